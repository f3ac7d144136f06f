"""The OpenAPI document, completed with the problem responses every operation can give."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import PROBLEM_JSON, Problem

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DESCRIPTIONS = {
    "400": "Bad Request (a body that cannot be parsed)",
    "401": "Unauthorized (a missing, wrong or revoked API key)",
    "413": "Content Too Large",
    "422": "Invalid input",
    "429": "Too Many Requests",
    "503": "Service Unavailable (the database is busy or cannot take writes; see Retry-After)",
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def _complete(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    wanted = ["401"]
    if operation.get("parameters") or operation.get("requestBody"):
        wanted.append("422")
    if operation.get("requestBody"):
        wanted += ["400", "413"]
    if method in WRITE_METHODS:
        wanted += ["429", "503"]
    for status in wanted:
        # FastAPI documents its own 422 body as application/json; ours are problem details.
        if status not in responses or status == "422":
            responses[status] = _problem(DESCRIPTIONS[status])


def install_openapi(app: FastAPI) -> None:
    """Document, for every operation, the problem responses the service can always give."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            components.update(
                Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs")
            )
            components["Problem"] = Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            components["Problem"].pop("$defs", None)
            for path in schema["paths"].values():
                for method, operation in path.items():
                    _complete(method, operation)
            app.openapi_schema = schema
        return app.openapi_schema

    # Replacing the method is FastAPI's documented way to extend the schema; mypy refuses
    # assignments to methods.
    app.openapi = openapi  # type: ignore[method-assign]
