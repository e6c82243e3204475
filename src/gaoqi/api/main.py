"""The REST API at /api/: one router per app, the same scope as the pages, errors as {message, extra}."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from gaoqi.api.auth import AUTH
from gaoqi.errors import ApplicationError

api = NinjaAPI(
    title="Gaoqi API",
    version="1.0.0",
    description="高企培育平台 REST API. Every answer is scoped to the caller's role and region.",
    auth=AUTH,
    urls_namespace="api-1.0.0",
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


def _mount() -> None:
    from gaoqi.accounts.api import router as accounts_router
    from gaoqi.coaching.api import router as coaching_router
    from gaoqi.regions.api import router as regions_router
    from gaoqi.registry.api import router as registry_router

    api.add_router("/regions", regions_router)
    api.add_router("/", registry_router)
    api.add_router("/", coaching_router)
    api.add_router("/", accounts_router)


_mount()
