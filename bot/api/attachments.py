"""``GET /api/messages/{id}/attachments/{n}``: open a picture or voice note through Los."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.api.middleware import audit
from bot.api.registry import ApiError, endpoint, los_of, path_id, staff_of
from bot.media import MediaUnavailable, serve_attachment
from handlers.access import require_visible
from handlers.attachments import VIEWABLE
from handlers.errors import NotFound
from storage.models import Message, MessageAttachment


@endpoint(
    "GET",
    "/api/messages/{id}/attachments/{n}",
    summary="The n-th attachment of a message, fetched from the provider (no copy is kept)",
    tag="inbox",
    response=bytes,
    extra_statuses=(502,),
)
async def open_attachment(request: web.Request, *, query: object) -> web.StreamResponse:
    los = los_of(request)
    staff = staff_of(request)
    message_id, position = path_id(request), path_id(request, "n")
    async with los.sessions.begin() as session:
        message = await session.get(Message, message_id)
        if message is None:
            raise NotFound("message")
        require_visible(staff, message.site_id, "message")
        attachment = await session.scalar(
            select(MessageAttachment).where(
                MessageAttachment.message_id == message.id,
                MessageAttachment.position == position,
            )
        )
        if attachment is None or attachment.kind not in VIEWABLE or not attachment.provider_ref:
            raise NotFound("attachment")
        audit(session, los.clock, staff, "message.open_attachment", "message", message.id)
    try:
        return await serve_attachment(los, request, message, attachment)
    except MediaUnavailable as exc:
        raise ApiError(
            502, "media_unavailable", f"the provider did not give the file: {exc}"
        ) from None
