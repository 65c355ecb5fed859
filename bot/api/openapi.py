"""The OpenAPI 3 document, built from the declared endpoints and their pydantic bodies."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api.registry import ENDPOINTS, Endpoint, json_response

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
            "required": ["code", "message"],
        }
    },
}


def operation(ep: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": ep.summary,
        "tags": [ep.tag],
        "operationId": f"{ep.tag}_{ep.handler.__name__}",
        "responses": {
            str(ep.status): {"description": "OK", "content": {"application/json": {}}},
            "401": {"$ref": "#/components/responses/Error"},
            "422": {"$ref": "#/components/responses/Error"},
        },
    }
    params = [seg[1:-1] for seg in ep.path.split("/") if seg.startswith("{")]
    if params:
        op["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "integer"}}
            for p in params
        ]
    if ep.body is not None:
        schema = ep.body.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[ep.body.__name__] = schema
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{ep.body.__name__}"}}
            },
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
        "info": {"title": "Los staff API", "version": "1"},
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }


async def openapi(request: web.Request) -> web.Response:
    from bot.api.registry import los_of

    return json_response(document(include_dev=los_of(request).fake_clock is not None))
