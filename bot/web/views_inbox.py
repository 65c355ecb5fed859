"""Innboks: threads (one per person or unknown number), the conversation, reply, assign, note
and resolve. The rules are in ``handlers.inbox_threads``, shared with ``GET /api/inbox``."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.media import MediaUnavailable, serve_attachment
from bot.web.auth import staff_page
from bot.web.core import Form, PageError, error_key, los_of, redirect, render, user_of
from bot.web.sites import zone_for
from handlers import inbox_threads as threads
from handlers.access import can_see
from handlers.attachments import VIEWABLE
from handlers.audit import audit
from handlers.errors import InputError, NotFound
from handlers.segments import count_segments
from storage.loading import STAFF_LOADS
from storage.models import Message, MessageAttachment, StaffUser


@staff_page
async def inbox_page(request: web.Request) -> web.Response:
    view = request.query.get("view", "all")
    if view not in threads.VIEWS:
        view = "all"
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        try:
            page = await threads.list_threads(
                session, user, view=view, cursor=request.query.get("cursor"), with_counts=True
            )
        except InputError:
            page = await threads.list_threads(session, user, view=view, with_counts=True)
    counts = {v: threads.count_label(n) for v, n in page.counts.items()}
    return render(request, "inbox.html", {"page": page, "counts": counts, "view": view, "tz": tz})


async def colleagues(session: Any, thread: threads.Thread) -> list[StaffUser]:
    """Who a thread can be given to: enabled staff who see its site."""
    users = await session.scalars(
        select(StaffUser)
        .options(*STAFF_LOADS)
        .where(StaffUser.disabled_at.is_(None))
        .order_by(StaffUser.name)
    )
    return [u for u in users if can_see(u, thread.site_id)]


async def thread_view(
    request: web.Request, form: Form | None = None, status: int = 200
) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    key = threads.ThreadKey.parse(request.match_info["key"])
    async with los.sessions() as session:
        thread = await threads.load_thread(session, user, key, now=los.clock.now())
        tz = await zone_for(session, user)
        people = await colleagues(session, thread)
    name = (
        thread.person.name
        if thread.person is not None
        else (thread.contact.address if thread.contact else None)
    )
    counter = count_segments(form.get("text") if form else "")
    context = {
        "thread": thread,
        "name": name,
        "tz": tz,
        "colleagues": people,
        "counter": counter,
        "form": form or Form(),
    }
    return render(request, "thread.html", context, status=status)


@staff_page
async def thread_page(request: web.Request) -> web.Response:
    return await thread_view(request)


async def act(request: web.Request, action: str) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    key = threads.ThreadKey.parse(request.match_info["key"])
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            thread = await threads.load_thread(session, user, key, with_entries=False)
            if action == "reply":
                message = await threads.reply(session, los.clock, user, thread, form.get("text"))
                audit(session, los.clock, user, "inbox.reply", "message", message.id)
            elif action == "assign":
                raw = form.get("assign_to")
                to_id = int(raw) if raw.isdigit() else None
                await threads.assign(session, los.clock, user, thread, to_id)
                audit(session, los.clock, user, "inbox.assign", "thread", key.id, thread=str(key))
            elif action == "note":
                note = await threads.add_note(session, los.clock, user, thread, form.get("note"))
                audit(session, los.clock, user, "inbox.note", "inbox_note", note.id)
            else:
                await threads.resolve(session, los.clock, user, thread)
                audit(session, los.clock, user, "inbox.resolve", "thread", key.id, thread=str(key))
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await thread_view(request, form, status=422)
    if action == "reply":
        los.dispatcher.wake()
    if action == "resolve":
        return redirect(request, "/inbox?ok=resolve")
    return redirect(request, f"/inbox/{key}?ok={action}")


@staff_page
async def reply(request: web.Request) -> web.StreamResponse:
    return await act(request, "reply")


@staff_page
async def assign(request: web.Request) -> web.StreamResponse:
    return await act(request, "assign")


@staff_page
async def note(request: web.Request) -> web.StreamResponse:
    return await act(request, "note")


@staff_page
async def resolve(request: web.Request) -> web.StreamResponse:
    return await act(request, "resolve")


@staff_page
async def media(request: web.Request) -> web.StreamResponse:
    """A picture or voice note in a thread, fetched from the provider now (no copy is kept)."""
    los = los_of(request)
    user = user_of(request)
    message_id, position = int(request.match_info["id"]), int(request.match_info["n"])
    async with los.sessions.begin() as session:
        message = await session.get(Message, message_id)
        if message is None or not can_see(user, message.site_id):
            raise NotFound("message")
        attachment = await session.scalar(
            select(MessageAttachment).where(
                MessageAttachment.message_id == message.id,
                MessageAttachment.position == position,
            )
        )
        if attachment is None or attachment.kind not in VIEWABLE or not attachment.provider_ref:
            raise NotFound("attachment")
        audit(session, los.clock, user, "message.open_attachment", "message", message.id)
    try:
        return await serve_attachment(los, request, message, attachment)
    except MediaUnavailable:
        raise PageError(502, "inbox.media.unavailable") from None


@staff_page
async def counter(request: web.Request) -> web.Response:
    """The live character and SMS-part count under a reply (htmx swaps it in as one types)."""
    text = str((await request.post()).get("text", ""))
    return render(request, "counter.html", {"counter": count_segments(text)})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/inbox", inbox_page),
        web.post("/inbox/count", counter),
        web.get(r"/inbox/media/{id:\d+}/{n:\d+}", media),
        web.get("/inbox/{key}", thread_page),
        web.post("/inbox/{key}/reply", reply),
        web.post("/inbox/{key}/assign", assign),
        web.post("/inbox/{key}/note", note),
        web.post("/inbox/{key}/resolve", resolve),
    ]
