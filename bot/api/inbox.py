"""The staff inbox: threads (one per person or unknown number), and staff answers to them.

The grouping is ``handlers.inbox_threads``, shared with the staff pages.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from bot.api.middleware import audit
from bot.api.registry import endpoint, json_response, los_of, path_id, read_body, staff_of
from handlers import inbox_threads as threads
from handlers.attachments import attachments_of, message_content
from handlers.errors import InputError
from storage.models import InboxItem, Message, MessageAttachment


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=1600)


def item_json(
    item: InboxItem, message: Message | None, attached: list[MessageAttachment] | None = None
) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "urgent": item.urgent,
        "status": item.status,
        "text": message.text if message else None,
        **message_content(message, attached or []),
        "summary": item.summary,
        "assigned_to": item.assigned_to,
        "created_at": item.created_at.isoformat(),
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
    }


def thread_json(
    summary: threads.ThreadSummary,
    items: list[tuple[InboxItem, Message | None]],
    attached: dict[int, list[MessageAttachment]],
) -> dict[str, Any]:
    return {
        "id": str(summary.key),
        "person_id": summary.person_id,
        "person_name": summary.name,
        "from": summary.address if summary.person_id is None else None,
        "site_id": summary.site_id,
        "urgent": summary.urgent,
        "status": summary.status,
        "open_count": summary.open_items,
        "item_count": summary.items,
        "last_at": summary.last_at.isoformat(),
        "assigned_staff_id": summary.assigned_staff_id,
        "items": [item_json(i, m, attached.get(m.id) if m else None) for i, m in items],
    }


STATUS_VIEWS = {"open": "all", "resolved": "resolved", "all": "any"}


@endpoint(
    "GET",
    "/api/inbox",
    summary=(
        "Threads, one per person or unknown number, crisis first (?status=open|resolved|all, "
        "?view=mine|unassigned, ?limit=, ?cursor=); each with its items and counts"
    ),
    tag="inbox",
)
async def list_threads(request: web.Request) -> web.Response:
    status = request.query.get("status", "open")
    if status not in STATUS_VIEWS:
        raise InputError({"status": "use open, resolved or all"})
    view = request.query.get("view") or STATUS_VIEWS[status]
    if view in ("mine", "unassigned") and status != "open":
        raise InputError({"view": "mine and unassigned are open threads"})
    raw_limit = request.query.get("limit")
    if raw_limit is not None and not raw_limit.isdigit():
        raise InputError({"limit": "a number"})
    staff = staff_of(request)
    async with los_of(request).sessions() as session:
        page = await threads.list_threads(
            session,
            staff,
            view=view,
            limit=int(raw_limit) if raw_limit else None,
            cursor=request.query.get("cursor") or None,
        )
        items = await threads.items_of(session, staff, page.threads, open_only=status == "open")
        attached = await attachments_of(
            session, (m.id for listed in items.values() for _, m in listed if m is not None)
        )
        body = [thread_json(s, items[str(s.key)], attached) for s in page.threads]
    return json_response({"items": body, "next": page.next})


@endpoint(
    "POST",
    "/api/inbox/{id}/reply",
    summary="Answer the sender of this item (the thread's person or number)",
    tag="inbox",
    body=ReplyIn,
    status=202,
)
async def reply(request: web.Request) -> web.Response:
    body = await read_body(request, ReplyIn)
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        message = await threads.reply_to_item(
            session, los.clock, staff, path_id(request), body.text
        )
        audit(session, los.clock, staff, "inbox.reply", "inbox_item", path_id(request))
        result = {"message_id": message.id, "status": message.status}
    los.dispatcher.wake()
    return json_response(result, 202)


@endpoint("POST", "/api/inbox/{id}/resolve", summary="Mark as dealt with", tag="inbox")
async def resolve(request: web.Request) -> web.Response:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        item = await threads.resolve_item(session, los.clock, staff, path_id(request))
        audit(session, los.clock, staff, "inbox.resolve", "inbox_item", item.id)
        result = item_json(item, None)
    return json_response(result)
