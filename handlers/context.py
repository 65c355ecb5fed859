"""What a handler is given: the session, the clock, the rules, and the conversation at hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import inbox, outbox, reply_budget
from handlers.clock import Clock
from handlers.texts import t
from storage.loading import load
from storage.models import ContactPoint, Message, OpenQuestion, Person, Site

if TYPE_CHECKING:
    from handlers.batch_writes import BatchWrites


@dataclass(frozen=True)
class Rules:
    """Service-wide defaults that bot/ takes from the settings; a site may override them."""

    timezone: str = "Europe/Oslo"
    quiet_hours: tuple[time, time] | None = (time(21, 0), time(8, 0))
    # Texts older than this are blanked (handlers/retention.py).
    retention_days: int = 365
    # How many automatic answers one sender may get (handlers/reply_budget.py).
    budget: reply_budget.Budget = field(default_factory=reply_budget.Budget)


def site_quiet_hours(site: Site, rules: Rules) -> tuple[time, time] | None:
    from handlers.localtime import parse_hhmm_range

    if site.quiet_hours is None:
        return rules.quiet_hours
    return parse_hhmm_range(site.quiet_hours)


@dataclass
class Conversation:
    """One incoming text being handled: who wrote, from where, and how to answer them."""

    session: AsyncSession
    clock: Clock
    rules: Rules
    site: Site
    contact: ContactPoint
    person: Person | None
    message: Message
    # The sender's reply budget, once handlers/reply_budget.py has read it for this text.
    budget: reply_budget.State | None = field(default=None, init=False)
    # Whether anyone shares the contact point (handlers/followup/shared.py): the router's first
    # read knows, so a number nobody shares costs no read of its sharers.
    shared: bool = field(default=True, init=False)
    # A person's questions with status "open", read once per text (handlers/questions.py
    # ``open_for``), or known to be none from the router's first read.
    asked: tuple[int, list[OpenQuestion]] | None = field(default=None, init=False)
    # A person's role names, from the router's first read (see ``role_names``).
    roles: tuple[int, list[str]] | None = field(default=None, init=False)
    # Routed in a batch: the writes that wait for the batch's end (handlers/batch_writes.py).
    later: BatchWrites | None = field(default=None, init=False)

    @property
    def language(self) -> str:
        """The person's language; for an unknown number, what it chose in the menu, or bokmål."""
        if self.person is not None:
            return self.person.language
        return self.contact.language or "nb"

    async def role_names(self) -> list[str]:
        """The person's role names (sorted): known from the router's first read while the text is
        still theirs, else loaded."""
        assert self.person is not None
        if self.roles is not None and self.roles[0] == self.person.id:
            return self.roles[1]
        await load(self.session, self.person, "roles")
        return self.person.role_names

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    def text(self, key: str, **values: object) -> str:
        return t(self.language, key, **values)

    async def reply(self, key: str, *, dedupe: str | None = None, **values: object) -> None:
        """Answer with catalogue text ``key``; sent at once, quiet hours or not, if the sender's
        reply budget allows it (handlers/reply_budget.py)."""
        await self.reply_text(self.text(key, **values), dedupe=dedupe)

    async def reply_text(
        self,
        text: str,
        *,
        dedupe: str | None = None,
        kind: str = "reply",
        buttons: list[list[str]] | None = None,
        question_id: int | None = None,
        language: str | None = None,
    ) -> None:
        """Every automatic answer comes through here, and so through the reply budget.
        ``language`` is the catalogue the text is in when it is not the conversation's.

        ``kind="crisis"`` is outside the budget (at most one per quarter of an hour), goes out
        first, and reaches even a sender who has said STOPP.
        """
        if not await reply_budget.allow_answer(self, text, crisis=kind == "crisis"):
            return
        values = outbox.answer_values(
            self.clock,
            contact=self.contact,
            text=text,
            site_id=self.site.id,
            person_id=self.person.id if self.person else None,
            kind=kind,
            key=dedupe,
            urgent=True,
            buttons=buttons,
            question_id=question_id,
            language=language or self.language,
        )
        if self.later is not None:
            self.later.answers.append(values)  # written with the batch's, before it commits
        else:
            await outbox.insert_answers(self.session, [values])

    async def to_inbox(
        self, kind: str = "message", summary: str | None = None, *, urgent: bool = False
    ) -> None:
        """An item for the staff inbox about this text (one INSERT; nothing reads it back)."""
        await inbox.add_item(
            self.session,
            self.clock,
            site_id=self.site.id,
            kind=kind,
            summary=summary if summary is not None else self.message.text,
            person_id=self.person.id if self.person else None,
            message_id=self.message.id,
            contact_point_id=self.contact.id,
            urgent=urgent,
            assigned_to=self.person.contact_staff_id if self.person else None,
        )
