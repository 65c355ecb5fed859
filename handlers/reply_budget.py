"""The reply budget: every automatic answer to a sender passes here.

A flood from one number, or a loop between Los and an auto-responder, must cost a few texts, not
thousands. Per sender (contact point): the same answer at most once in ``same_answer_minutes``,
at most ``per_ten_minutes`` answers in ten minutes and ``per_day`` in a day. Past that, texts are
still stored and routed (an answer to a question still counts) but get no answer, and staff get
one inbox item a day about the flood. A sender whose texts look automatic several times in a row
(the same text again, or a text within seconds of our answer) is not answered for a day, with an
inbox item. Crisis answers are outside the budget, at most one per ``crisis_minutes``.

``Conversation.reply``/``reply_text`` call :func:`allow_answer`; the router calls
:func:`note_inbound` once per incoming text and :func:`save` when the text is handled. A new
automatic answer needs nothing more than to go through ``Conversation.reply``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.texts import t
from storage.models import ReplyBudget

if TYPE_CHECKING:
    from handlers.context import Conversation


@dataclass(frozen=True)
class Budget:
    """The limits, from the settings (bot/config.py)."""

    same_answer_minutes: int = 10
    per_ten_minutes: int = 5
    per_day: int = 20
    crisis_minutes: int = 15
    # A text this soon after our automatic answer looks like an auto-responder's.
    robot_seconds: int = 5
    # This many automatic-looking texts in a row: stop answering for ``robot_mute_hours``.
    robot_signs: int = 3
    robot_mute_hours: int = 24


TEN_MINUTES = timedelta(minutes=10)
DAY = timedelta(days=1)


def digest(text: str) -> str:
    """A short fingerprint of a text: enough to see "the same again" without keeping it."""
    folded = " ".join(text.casefold().split())
    return hashlib.sha256(folded.encode()).hexdigest()[:16]


@dataclass(slots=True)
class State:
    """A sender's ``reply_budgets`` row as plain values: read once per text, written once at
    its end (:func:`save`), so the budget costs no ORM unit of work and at most two statements.
    """

    contact_point_id: int
    answers: list[Any] = field(default_factory=list)
    last_answer_at: datetime | None = None
    last_inbound_at: datetime | None = None
    last_inbound_digest: str | None = None
    robot_signs: int = 0
    muted_until: datetime | None = None
    withheld: int = 0
    flood_noticed_at: datetime | None = None
    crisis_answered_at: datetime | None = None
    # The row as read (None: there was none), to write only what changed.
    stored: dict[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _COLUMNS}


TABLE = cast(Table, ReplyBudget.__table__)
_COLUMNS = [column.key for column in TABLE.columns]
_READ = select(TABLE).where(TABLE.c.contact_point_id == bindparam("sender"))
_WRITE = update(TABLE).where(TABLE.c.contact_point_id == bindparam("sender"))
_INSERT = insert(TABLE)


def from_row(contact_point_id: int, row: Sequence[Any] | None) -> State:
    """The budget from its row's values in column order (``TABLE.columns``): the router reads
    them with the sender (an outer join: all None when the sender has none yet).

    No row lock of its own: routing updates the sender's contact point (``last_inbound_at``,
    handlers/router.py) before it reads the budget, and that row's lock keeps two texts from one
    sender apart until the first commits (on SQLite the one writer does).
    """
    if row is None or row[0] is None:
        return State(contact_point_id=contact_point_id)
    stored = dict(zip(_COLUMNS, row, strict=True))
    state = State(**stored)
    state.answers = list(state.answers or [])
    state.stored = stored
    return state


async def budget_of(session: AsyncSession, contact_point_id: int) -> State:
    """The sender's budget read alone (a fresh one when it has none yet); see :func:`from_row`."""
    row = (await session.execute(_READ, {"sender": contact_point_id})).first()
    return from_row(contact_point_id, row)


async def save(conv: Conversation) -> None:
    """Write the sender's budget if this text changed it, or leave it to the batch's writes."""
    state = conv.budget
    if state is None:
        return
    if conv.later is not None:
        conv.later.budgets.append(state)
    else:
        await write(conv.session, [state])


async def write(session: AsyncSession, states: list[State]) -> None:
    """Write the budgets that changed: one INSERT for the new ones and one UPDATE (of the
    changed columns of one, of every column of many) for the others."""
    new = [state.values() for state in states if state.stored is None]
    old = [state for state in states if state.stored is not None and state.values() != state.stored]
    if new:
        await session.execute(_INSERT, new if len(new) > 1 else new[0])
    if len(old) == 1:
        values, stored = old[0].values(), old[0].stored or {}
        changed = {k: v for k, v in values.items() if v != stored[k]}
        await session.execute(_WRITE, {"sender": old[0].contact_point_id, **changed})
    elif old:
        rows = [{**state.values(), "sender": state.contact_point_id} for state in old]
        for row in rows:
            del row["contact_point_id"]
        await session.execute(_WRITE, rows)
    for state in states:
        state.stored = state.values()


async def conv_budget(conv: Conversation) -> State:
    """The sender's budget, read once per text however often it is asked."""
    if conv.budget is None:
        conv.budget = await budget_of(conv.session, conv.contact.id)
    return conv.budget


async def note_inbound(conv: Conversation, *, understood: bool = False) -> None:
    """Look at an incoming text for the signs of an auto-responder; mute one for a day.

    A text within seconds of our answer is a sign unless it is a word Los ``understood`` (a
    person quick with TIMER or JA); the same text again within minutes always is.
    """
    if conv.message.kind.startswith("button:"):
        return  # a button press is a person's tap, never a robot's answer
    budget = conv.rules.budget
    state = await conv_budget(conv)
    now = conv.clock.now()
    # When it arrived, not when it is handled: texts that waited out an outage in the spool are
    # handled in a burst, and are no robot's for that.
    arrived = min(conv.message.created_at, now)
    seen = digest(conv.message.text or "")
    since_answer = arrived - state.last_answer_at if state.last_answer_at else None
    quick = (
        not understood
        and since_answer is not None
        and timedelta(0) <= since_answer <= timedelta(seconds=budget.robot_seconds)
    )
    repeated = (
        seen == state.last_inbound_digest
        and state.last_inbound_at is not None
        and arrived - state.last_inbound_at <= timedelta(minutes=budget.same_answer_minutes)
    )
    state.robot_signs = state.robot_signs + 1 if (quick or repeated) else 0
    state.last_inbound_at = arrived
    state.last_inbound_digest = seen
    muted = state.muted_until is not None and state.muted_until > now
    if state.robot_signs >= budget.robot_signs and not muted:
        state.muted_until = now + timedelta(hours=budget.robot_mute_hours)
        await conv.to_inbox("auto_responder", t("nb", "robot_inbox"))


async def allow_answer(conv: Conversation, text: str, *, crisis: bool = False) -> bool:
    """May Los send ``text`` to this sender now, as an automatic answer? Records it if so."""
    budget = conv.rules.budget
    state = await conv_budget(conv)
    now = conv.clock.now()
    if crisis:
        last = state.crisis_answered_at
        if last is not None and now - last < timedelta(minutes=budget.crisis_minutes):
            return False
        state.crisis_answered_at = now
        return True
    answers = [(datetime.fromisoformat(at), seen) for at, seen in state.answers]
    answers = [(at, seen) for at, seen in answers if now - at < DAY]
    fingerprint = digest(text)
    same_since = now - timedelta(minutes=budget.same_answer_minutes)
    if state.muted_until is not None and state.muted_until > now:
        return await _withhold(conv, state, flood=False)
    if any(seen == fingerprint and at > same_since for at, seen in answers):
        return await _withhold(conv, state, flood=state.withheld + 1 >= budget.per_ten_minutes)
    recent = sum(1 for at, _ in answers if now - at < TEN_MINUTES)
    if recent >= budget.per_ten_minutes or len(answers) >= budget.per_day:
        return await _withhold(conv, state, flood=True)
    answers.append((now, fingerprint))
    state.answers = [[at.isoformat(), seen] for at, seen in answers]
    state.last_answer_at = now
    state.withheld = 0
    return True


async def _withhold(conv: Conversation, state: State, *, flood: bool) -> bool:
    """No answer this time; staff hear about a flood once a day."""
    state.withheld += 1
    now = conv.clock.now()
    if flood and (state.flood_noticed_at is None or now - state.flood_noticed_at >= DAY):
        state.flood_noticed_at = now
        await conv.to_inbox("flood", t("nb", "flood_inbox"))
    return False
