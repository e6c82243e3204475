"""The OpenAPI components are keyed by class name: two API schemas of one name and different fields publish one of
them for both operations (the agency assignments were documented as the pool's expert assignments)."""

import importlib
import inspect
import pkgutil
from collections import defaultdict

from pydantic import BaseModel

import gaoqi
from gaoqi.api.main import api


def _api_models():
    found = defaultdict(dict)
    for info in pkgutil.walk_packages(gaoqi.__path__, "gaoqi."):
        if not info.name.endswith(".api"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                found[name][module.__name__] = obj
    return found


def test_schema_names_are_unique_or_the_same_schema():
    models = _api_models()
    assert len(models) > 50  # the walk found the API's schemas
    for name, by_module in models.items():
        shapes = {m: cls.model_json_schema()["properties"] for m, cls in by_module.items()}
        assert len({repr(s) for s in shapes.values()}) == 1, f"{name} differs between {sorted(shapes)}"


def test_the_agency_assignments_are_documented_as_themselves():
    schema = api.get_openapi_schema(path_prefix="/api")
    components = schema["components"]["schemas"]
    operation = schema["paths"]["/api/agencies/{agency_id}/assignments"]
    body = operation["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(components[body]["properties"]) == {"credit_code", "reason"}
    items = operation["get"]["responses"][200]["content"]["application/json"]["schema"]["items"]["$ref"]
    assert set(components[items.rsplit("/", 1)[1]]["properties"]) == {"credit_code", "name", "assigned_on"}
