"""Declaring endpoints once: the route, its body model and its summary feed both aiohttp and the
OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ValidationError

from storage.models import StaffUser

if TYPE_CHECKING:
    from bot.service import Los

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)
LOS_KEY: web.AppKey[Los] = web.AppKey("los")
STAFF_KEY: web.RequestKey[StaffUser] = web.RequestKey("staff", StaffUser)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None
    status: int
    tag: str


ENDPOINTS: list[Endpoint] = []


def endpoint(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    status: int = 200,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ENDPOINTS.append(Endpoint(method, path, handler, summary, body, status, tag))
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
    """Irreversible actions (erasure) are for admins; coordinators get 403."""
    staff = request[STAFF_KEY]
    if staff.role != "admin":
        raise ApiError(403, "forbidden", "only an admin may do this")
    return staff


async def read_body(request: web.Request, model: type[M]) -> M:
    """Parse and validate the JSON body; 400 if it is not JSON, 422 naming each bad field."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid", "some fields are invalid", validation_fields(exc)) from None
    bad = out_of_range(parsed.model_dump(by_alias=True))
    if bad:
        raise ApiError(422, "invalid", "some fields are invalid", {bad[0]: bad[1]})
    return parsed


def validation_fields(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "body"
        fields.setdefault(name, str(err["msg"]).removeprefix("Value error, "))
    return fields


# Ids and counts are 64-bit in the database; a larger number is bad input, not a crash.
INT64 = 2**63 - 1


def path_id(request: web.Request, name: str = "id") -> int:
    try:
        value = int(request.match_info[name])
    except ValueError:
        raise ApiError(404, "not_found", f"no such {name}") from None
    if not 0 < value <= INT64:
        raise ApiError(404, "not_found", f"no such {name}")
    return value


def query_id(request: web.Request, name: str) -> int | None:
    """An optional id in the query string (``?person_id=3``); 422 naming it if it is not one."""
    raw = request.query.get(name)
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= INT64:
        raise ApiError(422, "invalid", "some fields are invalid", {name: "must be a number"})
    return int(raw)


# Times outside these years are typing errors, and near year 1 or 9999 time zone arithmetic fails.
YEARS = range(1900, 2201)


def out_of_range(value: Any, where: str = "") -> tuple[str, str] | None:
    """The dotted name of the first number or time in ``value`` that cannot be stored or
    reckoned with, and why."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (where or "body", "number too large") if abs(value) > INT64 else None
    if isinstance(value, date):  # datetimes too
        if value.year not in YEARS:
            return where or "body", f"must be between the years {YEARS[0]} and {YEARS[-1]}"
        return None
    items = (
        value.items()
        if isinstance(value, dict)
        else (enumerate(value) if isinstance(value, list | tuple) else ())
    )
    for key, item in items:
        found = out_of_range(item, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def local_to_utc(value: datetime, timezone: str) -> datetime:
    """A time without an offset is in the site's time zone (CONTRACT §4)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(ZoneInfo("UTC"))


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, default=str))
