"""The staff inbox: threads (one per person or unknown number), and staff answers to them.

The grouping is ``handlers.inbox_threads``, shared with the staff pages.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, ContentOut, Count, Text, Time
from handlers import inbox_threads as threads
from handlers.attachments import attachments_of, message_content
from handlers.errors import InputError
from storage.models import InboxItem, Message, MessageAttachment
from storage.models.states import InboxStatus, MessageStatus

STATUS_VIEWS = {"open": "all", "resolved": "resolved", "all": "any"}


class ReplyIn(ApiModel):
    text: Text = Field(min_length=1, max_length=1600)


class InboxQuery(ApiModel):
    status: Literal["open", "resolved", "all"] = "open"
    view: Literal["mine", "unassigned"] | None = None
    limit: Count | None = Field(None, ge=1, le=500)
    cursor: Text | None = Field(None, max_length=200)


class ItemOut(ContentOut):
    id: int
    kind: str
    urgent: bool
    status: InboxStatus
    text: str | None
    summary: str | None
    assigned_to: int | None
    created_at: Time
    resolved_at: Time | None


class ThreadOut(ApiModel):
    id: str
    person_id: int | None
    person_name: str | None
    from_: str | None = Field(alias="from", serialization_alias="from")
    site_id: int | None
    urgent: bool
    status: str
    open_count: int
    item_count: int
    last_at: Time
    assigned_staff_id: int | None
    items: list[ItemOut]


class ThreadPage(ApiModel):
    items: list[ThreadOut]
    next: str | None


class QueuedOut(ApiModel):
    message_id: int
    status: MessageStatus


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
        "created_at": item.created_at,
        "resolved_at": item.resolved_at,
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
        "last_at": summary.last_at,
        "assigned_staff_id": summary.assigned_staff_id,
        "items": [item_json(i, m, attached.get(m.id) if m else None) for i, m in items],
    }


@endpoint(
    "GET",
    "/api/inbox",
    summary=(
        "Threads of your sites, one per person or unknown number, crisis first "
        "(?status=open|resolved|all, ?view=mine|unassigned for open threads, ?limit=, ?cursor=); "
        "each with its newest items and counts"
    ),
    tag="inbox",
    query=InboxQuery,
    response=ThreadPage,
)
async def list_threads(request: web.Request, *, query: InboxQuery) -> Any:
    if query.view is not None and query.status != "open":
        raise InputError({"view": "mine and unassigned are open threads"})
    staff = staff_of(request)
    async with los_of(request).sessions() as session:
        page = await threads.list_threads(
            session,
            staff,
            view=query.view or STATUS_VIEWS[query.status],
            limit=query.limit,
            cursor=query.cursor,
        )
        items = await threads.items_of(
            session, staff, page.threads, open_only=query.status == "open"
        )
        attached = await attachments_of(
            session, (m.id for listed in items.values() for _, m in listed if m is not None)
        )
        body = [thread_json(s, items[str(s.key)], attached) for s in page.threads]
    return {"items": body, "next": page.next}


@endpoint(
    "POST",
    "/api/inbox/{id}/reply",
    summary="Answer the sender of this item (the thread's person or number)",
    tag="inbox",
    body=ReplyIn,
    response=QueuedOut,
    status=202,
)
async def reply(request: web.Request, *, body: ReplyIn, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        message = await threads.reply_to_item(
            session, los.clock, staff, path_id(request), body.text
        )
        audit(session, los.clock, staff, "inbox.reply", "inbox_item", path_id(request))
        result = {"message_id": message.id, "status": message.status}
    los.dispatcher.wake()
    return result


@endpoint(
    "POST",
    "/api/inbox/{id}/resolve",
    summary="Mark as dealt with",
    tag="inbox",
    response=ItemOut,
)
async def resolve(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        item = await threads.resolve_item(session, los.clock, staff, path_id(request))
        audit(session, los.clock, staff, "inbox.resolve", "inbox_item", item.id)
        return item_json(item, None)
