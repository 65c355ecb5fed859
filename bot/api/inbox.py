"""The staff inbox: what the bot could not answer, and staff answers to it."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.api.middleware import audit
from bot.api.registry import endpoint, json_response, los_of, path_id, read_body, staff_of
from handlers import outbox
from handlers.attachments import attachments_of, message_content
from handlers.errors import InputError, NotFound
from storage.models import ContactPoint, InboxItem, Message, MessageAttachment, Person


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=1600)


def item_json(
    item: InboxItem,
    message: Message | None,
    person: Person | None,
    attached: list[MessageAttachment] | None = None,
) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "urgent": item.urgent,
        "status": item.status,
        "person_id": item.person_id,
        "person_name": person.name if person else None,
        "from": message.address if message and not person else None,
        "text": message.text if message else None,
        **message_content(message, attached or []),
        "summary": item.summary,
        "assigned_to": item.assigned_to,
        "created_at": item.created_at.isoformat(),
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
    }


@endpoint(
    "GET",
    "/api/inbox",
    summary="Inbox items (?status=open|resolved|all), urgent first",
    tag="inbox",
)
async def list_items(request: web.Request) -> web.Response:
    status = request.query.get("status", "open")
    if status not in ("open", "resolved", "all"):
        raise InputError({"status": "use open, resolved or all"})
    query = (
        select(InboxItem, Message, Person)
        .outerjoin(Message, Message.id == InboxItem.message_id)
        .outerjoin(Person, Person.id == InboxItem.person_id)
        .order_by(InboxItem.urgent.desc(), InboxItem.created_at, InboxItem.id)
    )
    if status != "all":
        query = query.where(InboxItem.status == status)
    async with los_of(request).sessions() as session:
        rows = (await session.execute(query)).all()
        attached = await attachments_of(session, (m.id for _, m, _ in rows if m is not None))
        return json_response(
            [item_json(i, m, p, attached.get(m.id) if m else None) for i, m, p in rows]
        )


@endpoint(
    "POST",
    "/api/inbox/{id}/reply",
    summary="Answer the sender",
    tag="inbox",
    body=ReplyIn,
    status=202,
)
async def reply(request: web.Request) -> web.Response:
    body = await read_body(request, ReplyIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        item = await session.get(InboxItem, path_id(request))
        if item is None:
            raise NotFound("inbox item")
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
    return json_response(result, 202)


@endpoint("POST", "/api/inbox/{id}/resolve", summary="Mark as dealt with", tag="inbox")
async def resolve(request: web.Request) -> web.Response:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        item = await session.get(InboxItem, path_id(request))
        if item is None:
            raise NotFound("inbox item")
        item.status = "resolved"
        item.resolved_at = los.clock.now()
        item.resolved_by = staff.id
        audit(session, los.clock, staff, "inbox.resolve", "inbox_item", item.id)
        result = item_json(item, None, None)
    return json_response(result)
