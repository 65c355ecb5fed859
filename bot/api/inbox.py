"""The staff inbox: what the bot could not answer, and staff answers to it."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Text, Time
from handlers import lists, outbox
from handlers.access import visible
from handlers.errors import InputError
from storage.models import ContactPoint, InboxItem, Message, Person, StaffUser
from storage.models.states import InboxStatus, MessageStatus


class ReplyIn(ApiModel):
    text: Text = Field(min_length=1, max_length=1600)


class InboxQuery(ApiModel):
    status: Literal["open", "resolved", "all"] = "open"


class ItemOut(ApiModel):
    id: int
    site_id: int
    kind: str
    urgent: bool
    status: InboxStatus
    person_id: int | None
    person_name: str | None
    from_: str | None = Field(alias="from", serialization_alias="from")
    text: str | None
    summary: str | None
    assigned_to: int | None
    created_at: Time
    resolved_at: Time | None


class QueuedOut(ApiModel):
    message_id: int
    status: MessageStatus


def item_json(item: InboxItem, message: Message | None, person: Person | None) -> dict[str, Any]:
    return {
        "id": item.id,
        "site_id": item.site_id,
        "kind": item.kind,
        "urgent": item.urgent,
        "status": item.status,
        "person_id": item.person_id,
        "person_name": person.name if person else None,
        "from": message.address if message and not person else None,
        "text": message.text if message else None,
        "summary": item.summary,
        "assigned_to": item.assigned_to,
        "created_at": item.created_at,
        "resolved_at": item.resolved_at,
    }


async def load_item(session: AsyncSession, staff: StaffUser, item_id: int) -> InboxItem:
    return await visible(session, staff, InboxItem, item_id, "inbox item")


@endpoint(
    "GET",
    "/api/inbox",
    summary="Inbox items of your sites (?status=open|resolved|all), urgent first",
    tag="inbox",
    query=InboxQuery,
    response=list[ItemOut],
)
async def list_items(request: web.Request, *, query: InboxQuery) -> Any:
    status = None if query.status == "all" else query.status
    async with los_of(request).sessions() as session:
        rows = await lists.inbox(session, staff_of(request), status=status)
        return [item_json(i, m, p) for i, m, p in rows]


@endpoint(
    "POST",
    "/api/inbox/{id}/reply",
    summary="Answer the sender",
    tag="inbox",
    body=ReplyIn,
    response=QueuedOut,
    status=202,
)
async def reply(request: web.Request, *, body: ReplyIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        item = await load_item(session, staff_of(request), path_id(request))
        contact = (
            await session.get(ContactPoint, item.contact_point_id)
            if item.contact_point_id
            else None
        )
        person = await session.get(Person, item.person_id) if item.person_id else None
        if contact is None and person is not None:
            contact = outbox.preferred_contact(person)
        if contact is None or contact.opted_out_at is not None:
            raise InputError({"id": "this sender cannot be reached (no address or opted out)"})
        message = await outbox.queue(
            session,
            los.clock,
            contact=contact,
            text=body.text,
            site_id=item.site_id,
            person_id=item.person_id,
            kind="staff_reply",
        )
        assert message is not None
        audit(session, los.clock, staff_of(request), "inbox.reply", "inbox_item", item.id)
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
        item = await load_item(session, staff, path_id(request))
        item.status = "resolved"
        item.resolved_at = los.clock.now()
        item.resolved_by = staff.id
        audit(session, los.clock, staff, "inbox.resolve", "inbox_item", item.id)
        return item_json(item, None, None)
