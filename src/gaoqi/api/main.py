"""The REST API at /api/: one router per app, the same scope as the pages, errors as {message, extra}."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.db import DataError
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError

from gaoqi.api.auth import AUTH
from gaoqi.api.docs import OwnSwagger, docs_login_required
from gaoqi.api.schema import DeclaredErrorsAPI
from gaoqi.errors import ApplicationError

api = DeclaredErrorsAPI(  # a NinjaAPI whose schema declares the error answers of every operation
    title="Gaoqi API",
    version="1.0.0",
    description="高企培育平台 REST API. Every answer is scoped to the caller's role and region.",
    auth=AUTH,
    urls_namespace="api-1.0.0",
    docs=OwnSwagger(),  # Swagger UI from our own static files
    docs_decorator=docs_login_required,  # the docs and the schema only for logged-in users
)


@api.exception_handler(ApplicationError)
def _application_error(request, exc: ApplicationError):
    return api.create_response(request, {"message": exc.message, "extra": exc.extra}, status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return api.create_response(
        request, {"message": "请求参数有误", "extra": {"errors": exc.errors}}, status=422
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return api.create_response(request, {"message": "未登录或令牌无效", "extra": {}}, status=401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"message": "对象不存在或无权访问", "extra": {}}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return api.create_response(request, {"message": str(exc), "extra": {}}, status=exc.status_code)


@api.exception_handler(Exception)
def _server_error(request, exc):
    """Anything unexpected: logged with its traceback (as Django logs a 500), answered as JSON."""
    if isinstance(exc, DjangoPermissionDenied):
        return api.create_response(request, {"message": "无权访问", "extra": {}}, status=403)
    if isinstance(exc, SuspiciousOperation):
        return api.create_response(request, {"message": "请求有误", "extra": {}}, status=400)
    if isinstance(exc, OverflowError | DataError):
        # A number or text the database cannot hold (an id beyond 64 bits, a value out of a column's range):
        # the request's fault, found by schemathesis (tests/api/test_schemathesis.py).
        return api.create_response(request, {"message": "数值超出范围", "extra": {}}, status=422)
    logging.getLogger("django.request").error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    return api.create_response(
        request,
        {"message": "服务器内部错误，请稍后再试；如问题持续，请联系平台管理员", "extra": {}},
        status=500,
    )


def _mount() -> None:
    from gaoqi.accounts.api import router as accounts_router
    from gaoqi.alerts.api import router as alerts_router
    from gaoqi.coaching.api import router as coaching_router
    from gaoqi.monitoring.api import router as monitoring_router
    from gaoqi.programmes.api import router as programmes_router
    from gaoqi.programmes.hte.api import router as hte_router
    from gaoqi.programmes.pool.api import router as pool_router
    from gaoqi.regions.api import router as regions_router
    from gaoqi.registry.api import router as registry_router
    from gaoqi.rewards.api import router as rewards_router
    from gaoqi.rnd.api import router as rnd_router
    from gaoqi.targets.api import router as targets_router
    from gaoqi.workflow.api import router as workflow_router

    api.add_router("/regions", regions_router)
    api.add_router("/", registry_router)
    api.add_router("/", coaching_router)
    api.add_router("/", accounts_router)
    api.add_router("/", rewards_router)
    api.add_router("/rnd", rnd_router)
    api.add_router("/targets", targets_router)
    api.add_router("/monitoring", monitoring_router)
    api.add_router("/alerts", alerts_router)
    api.add_router("/", workflow_router)
    api.add_router("/", programmes_router)
    api.add_router("/pool", pool_router)
    api.add_router("/hte", hte_router)


_mount()
