"""Declaring endpoints once: ``@endpoint(...)`` gives the route, the body, query and response
models, and the statuses; the registry parses and validates the request, hands the models to
the handler, checks the answer against its model, and the OpenAPI document is built from it.

A handler is ``async def h(request, *, body, query) -> data`` (``body`` only when it has one);
it returns plain data or models, and the registry answers with the endpoint's status.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.api.schema import INT32, ApiModel, local_to_utc
from storage.models import StaffUser
from storage.models.states import StaffRole

if TYPE_CHECKING:
    from bot.service import Los

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Any]]
M = TypeVar("M", bound=BaseModel)
# The names pydantic gives union branches in an error's location; they are not fields.
BRANCHES = ("date", "datetime", "int", "str", "float", "bool", "list", "dict", "none")
LOS_KEY: web.AppKey[Los] = web.AppKey("los")
STAFF_KEY: web.RequestKey[StaffUser] = web.RequestKey("staff", StaffUser)

__all__ = ["local_to_utc"]  # re-exported for the endpoint modules


class NoQuery(ApiModel):
    """An endpoint without query parameters still refuses unknown ones."""


@dataclass(frozen=True, eq=False)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    response: Any
    body: type[BaseModel] | None = None
    query: type[BaseModel] = NoQuery
    status: int = 200
    admin: bool = False
    extra_statuses: tuple[int, ...] = field(default=())
    # An old path kept for one version: the same handler, marked deprecated in OpenAPI.
    deprecated: bool = False

    @cached_property
    def answer(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.response)

    @property
    def path_params(self) -> list[str]:
        return [seg[1:-1] for seg in self.path.split("/") if seg.startswith("{")]

    def statuses(self) -> list[int]:
        """Every status this operation can answer."""
        found = {self.status, 401, 404, 422, *self.extra_statuses}
        if self.body is not None:
            found |= {400, 413}
        if self.admin:
            found.add(403)
        if self.method != "GET":
            found.add(409)
        return sorted(found)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if self.admin:
            require_admin(request)
        for name in self.path_params:  # an id the database cannot hold is 404 before all else
            path_id(request, name)
        kwargs: dict[str, Any] = {"query": parse(self.query, dict(request.query), "query")}
        if self.body is not None:
            kwargs["body"] = parse(self.body, await read_json(request), "body")
        result = await self.handler(request, **kwargs)
        if isinstance(result, web.StreamResponse):
            return result
        try:
            payload = self.answer.dump_json(self.answer.validate_python(result), by_alias=True)
        except ValidationError:
            log.exception("answer of %s %s does not match its model", self.method, self.path)
            raise
        return web.Response(body=payload, status=self.status, content_type="application/json")


ENDPOINTS: list[Endpoint] = []


def endpoint(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    response: Any,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] = NoQuery,
    status: int = 200,
    admin: bool = False,
    extra_statuses: tuple[int, ...] = (),
    deprecated: bool = False,
) -> Callable[[Handler], Handler]:
    """Register ``handler`` under ``method path``; see the module's docstring."""

    def register(handler: Handler) -> Handler:
        ENDPOINTS.append(
            Endpoint(
                method,
                path,
                handler,
                summary,
                tag,
                response,
                body,
                query,
                status,
                admin,
                extra_statuses,
                deprecated,
            )
        )
        return handler

    return register


class ApiError(web.HTTPException):
    """An error answer in the contract's format: ``{"error": {code, message, fields}}``."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        self.status_code = status
        super().__init__(
            text=json.dumps({"error": {"code": code, "message": message, "fields": fields or {}}}),
            content_type="application/json",
        )


def los_of(request: web.Request) -> Los:
    return request.app[LOS_KEY]


def staff_of(request: web.Request) -> StaffUser:
    return request[STAFF_KEY]


def require_admin(request: web.Request) -> StaffUser:
    """Irreversible actions (erasure), sites and staff are for admins; coordinators get 403."""
    staff = request[STAFF_KEY]
    if staff.role != StaffRole.ADMIN:
        raise ApiError(403, "forbidden", "only an admin may do this")
    return staff


async def read_json(request: web.Request) -> Any:
    """The JSON body; an empty body is ``{}``; 400 if it is not a JSON object."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "bad_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return data


def parse(model: type[M], data: Any, where: str) -> M:
    """Validate ``data`` with ``model``; 422 naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            422, "invalid", f"some {where} fields are invalid", validation_fields(exc, where)
        ) from None


def validation_fields(exc: ValidationError, where: str = "body") -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        # A union's branch name (e.g. "date", "datetime") is not a field: drop it.
        loc = [
            str(p)
            for p in err["loc"]
            if str(p) not in BRANCHES and not str(p).startswith(("function-", "list[", "dict["))
        ]
        name = ".".join(loc) or where
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "less_than_equal" and (err.get("ctx") or {}).get("le") == INT32:
            message = "number too large"
        fields.setdefault(name, message)
    return fields


def path_id(request: web.Request, name: str = "id") -> int:
    """An id in the path; anything the database cannot hold is 404, like an unknown id."""
    raw = request.match_info[name]
    if not raw.isdigit() or not 0 < int(raw) <= INT32:
        raise ApiError(404, "not_found", f"no such {name}")
    return int(raw)
