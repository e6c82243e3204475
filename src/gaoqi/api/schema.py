"""The OpenAPI schema says every answer an operation can give: besides each operation's own responses, the
errors every handler may answer with the platform's JSON {message, extra} (gaoqi.api.main's handlers):
400 (a request the input guard refuses, e.g. control characters), 401 (no valid session or token), 403, 404
(missing and forbidden objects alike), 422 (input that breaks a rule, a page out of range). A client, and
schemathesis in tests/api/test_schemathesis.py, can rely on the declared codes."""

from __future__ import annotations

from ninja import NinjaAPI

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "message": {"type": "string", "title": "Message"},
        "extra": {"type": "object", "title": "Extra"},
    },
    "required": ["message", "extra"],
}
ERRORS = {
    400: "请求有误",
    401: "未登录或令牌无效",
    403: "无权访问",
    404: "对象不存在或无权访问",
    422: "请求参数有误",
}


class DeclaredErrorsAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                for status, description in ERRORS.items():
                    if status == 401 and not operation.get("security"):
                        continue
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                            },
                        },
                    )
        return schema
