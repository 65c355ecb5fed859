"""The OpenAPI 3.1 document, built from the declared endpoints and their models.

Components are named ``<module>.<Class>`` (``checkins.PlanIn``, ``rota.PlanIn``), so two models
of the same class name in different modules never share a schema; a name that would still be
given to two different schemas stops the document from being built.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import TypeAdapter
from pydantic.json_schema import CoreModeRef, DefsRef, GenerateJsonSchema, JsonSchemaMode

from bot.api.registry import ENDPOINTS, Endpoint, los_of

REF = "#/components/schemas/{model}"
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    202: "Accepted: queued to be sent",
    400: "The body is not a JSON object",
    401: "No, an unknown, a revoked or a disabled token",
    403: "Only an admin may do this",
    404: "No such thing (or one of another site)",
    409: "Clashes with what is stored",
    413: "The body is too large",
    422: "A field or query parameter is invalid (named in error.fields)",
    502: "The provider did not give what was asked for",
    503: "The database cannot be reached just now; try again",
}


class SchemaNameClash(Exception):
    """Two different schemas would get the same component name."""


def qualified_name(core_ref: str) -> str:
    """``bot.api.checkins.PlanIn:1234`` -> ``checkins.PlanIn``."""
    path = core_ref.split(":", 1)[0]
    module, _, name = path.rpartition(".")
    return f"{module.rsplit('.', 1)[-1]}.{name}" if module else name


class QualifiedNames(GenerateJsonSchema):
    """Names each definition by module and class instead of class alone."""

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        ref = super().get_defs_ref(core_mode_ref)
        choices = self._prioritized_defsref_choices[ref]
        self._prioritized_defsref_choices[ref] = [
            DefsRef(qualified_name(core_mode_ref[0])),
            *choices,
        ]
        return ref


def schema_of(kind: Any, mode: JsonSchemaMode, schemas: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of ``kind``; its definitions go to ``schemas``."""
    schema = TypeAdapter(kind).json_schema(
        mode=mode, ref_template=REF, schema_generator=QualifiedNames
    )
    for name, sub in schema.pop("$defs", {}).items():
        if name in schemas and schemas[name] != sub:
            raise SchemaNameClash(f"two different schemas are both called {name}")
        schemas[name] = sub
    return schema


def named(kind: Any, mode: JsonSchemaMode, schemas: dict[str, Any]) -> dict[str, Any]:
    """A reference to ``kind``'s component (models), or its schema inline (lists, dicts)."""
    schema = schema_of(kind, mode, schemas)
    if "$ref" in schema or not hasattr(kind, "__pydantic_core_schema__"):
        return schema
    name = qualified_name(f"{kind.__module__}.{kind.__qualname__}")
    if name in schemas and schemas[name] != schema:
        raise SchemaNameClash(f"two different schemas are both called {name}")
    schemas[name] = schema
    return {"$ref": REF.format(model=name)}


def query_parameters(ep: Endpoint, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    schema = schema_of(ep.query, "validation", schemas)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def operation(ep: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in ep.statuses():
        if status == ep.status and ep.response is bytes:  # a file: CSV, XLSX, a picture
            responses[str(status)] = {
                "description": "A file, with its own content type",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        elif status == ep.status:
            responses[str(status)] = {
                "description": DESCRIPTIONS.get(status, "OK"),
                "content": {
                    "application/json": {"schema": named(ep.response, "serialization", schemas)}
                },
            }
        else:
            responses[str(status)] = {
                "description": DESCRIPTIONS[status],
                "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
            }
    op: dict[str, Any] = {
        "summary": ep.summary,
        "tags": [ep.tag],
        "operationId": f"{ep.tag}_{ep.handler.__name__}",
        "responses": responses,
    }
    if ep.deprecated:
        op["deprecated"] = True
        op["operationId"] += "_deprecated"
    params = [
        {
            "name": p,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        }
        for p in ep.path_params
    ]
    params += query_parameters(ep, schemas)
    if params:
        op["parameters"] = params
    if ep.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": named(ep.body, "validation", schemas)}},
        }
    return op


def document(include_dev: bool) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for ep in ENDPOINTS:
        if ep.tag == "dev" and not include_dev:
            continue
        paths.setdefault(ep.path, {})[ep.method.lower()] = operation(ep, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Los staff API",
            "version": "2",
            "description": "Every time in an answer is UTC, ISO 8601 with its offset (+00:00). "
            "A time in a request without an offset is in the site's time zone. A period is "
            "?from= (inclusive) and ?to= (exclusive).",
        },
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document(include_dev=los_of(request).fake_clock is not None))
