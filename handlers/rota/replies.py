"""What volunteers text about the rota: JA/NEI to offers and open calls, late answers, and the
VAKTER (my shifts) and AVBUD (give one back) commands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import paging, questions
from handlers.context import Conversation
from handlers.keywords import Answer, parse_yes_no
from handlers.rota.offers import URGENT_WITHIN, confirm, pass_on, release, settle_if_full, window_of
from handlers.rota.shifts import count_status, lock_shift, shift_label, shift_words
from handlers.texts import t
from storage.models import Assignment, OpenQuestion, Shift

MAX_LISTED = 10


# --- answers ----------------------------------------------------------------------------------
async def reopen(conv: Conversation, question: OpenQuestion, shift: Shift) -> None:
    """KANSKJE is no answer: keep the question open and ask for JA or NEI."""
    question.status, question.answer, question.answered_at = "open", None, None
    words = shift_words(shift, conv.tz, conv.language)
    await conv.reply("shift_yes_or_no", **words)


async def answer_offer(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """JA/NEI to one offer (``question.ref_id`` is the assignment)."""
    session, now = conv.session, conv.clock.now()
    with session.no_autoflush:  # see lock_shift
        assignment = await session.get(Assignment, question.ref_id or 0)
    if assignment is None or conv.person is None:
        await conv.reply("thanks_answer")
        return
    shift = await lock_shift(session, assignment.shift_id)
    assert shift is not None
    await session.refresh(assignment)
    if answer.value not in ("yes", "no"):
        await reopen(conv, question, shift)
        return
    if assignment.status != "offered":
        await conv.reply("shift_taken" if answer.value == "yes" else "thanks_answer")
        return
    assignment.answered_at = now
    if answer.value == "no":
        assignment.status = "declined"
        await conv.reply("shift_declined")
        await pass_on(session, conv.clock, conv.rules, shift, window=window_of(assignment))
        return
    if shift.status != "open" or shift.starts_at <= now:
        assignment.status = "expired"
        await conv.reply("answer_too_late")
        return
    if await count_status(session, shift.id, ("confirmed",)) >= shift.needed:
        assignment.status = "cancelled"
        await conv.reply("shift_taken")
        return
    await confirm(session, conv.clock, conv.rules, shift, assignment, conv.person)
    await conv.reply("shift_confirmed", **shift_words(shift, conv.tz, conv.language))
    await settle_if_full(session, shift, now)


async def answer_call(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """JA/NEI to an open call (``question.ref_id`` is the shift): the first JA gets it."""
    session, now = conv.session, conv.clock.now()
    shift = await lock_shift(session, question.ref_id or 0)
    if shift is None or conv.person is None:
        await conv.reply("thanks_answer")
        return
    if answer.value == "no":
        await conv.reply("thanks_answer")
        return
    if answer.value != "yes":
        await reopen(conv, question, shift)
        return
    if shift.status != "open" or shift.starts_at <= now:
        await conv.reply("answer_too_late")
        return
    mine = await session.scalar(
        select(Assignment)
        .where(Assignment.shift_id == shift.id, Assignment.person_id == conv.person.id)
        .execution_options(populate_existing=True)
    )
    if mine is not None and mine.status == "confirmed":
        await conv.reply("shift_confirmed", **shift_words(shift, conv.tz, conv.language))
        return
    if await count_status(session, shift.id, ("confirmed",)) >= shift.needed:
        await conv.reply("shift_taken")
        return
    if mine is None:
        rounds = await session.scalar(
            select(func.max(Assignment.round)).where(Assignment.shift_id == shift.id)
        )
        mine = Assignment(
            shift_id=shift.id,
            person_id=conv.person.id,
            status="confirmed",
            round=int(rounds or 0) + 1,
            offered_at=question.asked_at,
            created_at=now,
        )
        session.add(mine)
    mine.source = "call"
    await confirm(session, conv.clock, conv.rules, shift, mine, conv.person)
    await conv.reply("shift_confirmed", **shift_words(shift, conv.tz, conv.language))
    await settle_if_full(session, shift, now)


async def late_answer(conv: Conversation) -> bool:
    """Interceptor: a JA to a shift offer that has passed on, or to an open call that is filled,
    gets "it is taken" (a NEI a plain thanks) rather than the general "too late". Only when no
    question is open."""
    if conv.person is None:
        return False
    answer = parse_yes_no(conv.message.text or "", conv.language)
    if answer is None or answer.value not in ("yes", "no"):
        return False
    now = conv.clock.now()
    if await questions.open_for(conv, now, "yesno"):
        return False
    late = await questions.recently_closed(conv.session, conv.person.id, now, "yesno")
    if late is None or late.kind not in ("shift", "shift_call"):
        return False
    if answer.value == "no":
        await conv.reply("thanks_answer")
        return True
    shift_id = late.ref_id or 0
    if late.kind == "shift":
        assignment = await conv.session.get(Assignment, shift_id)
        shift_id = assignment.shift_id if assignment else 0
    shift = await conv.session.get(Shift, shift_id)
    called_off = shift is not None and shift.status == "cancelled"
    await conv.reply("shift_gone" if called_off else "shift_taken")
    return True


# --- what volunteers text ---------------------------------------------------------------------
async def upcoming(session: AsyncSession, person_id: int, now: datetime) -> list[Assignment]:
    rows = await session.scalars(
        select(Assignment)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.person_id == person_id,
            Assignment.status == "confirmed",
            Shift.status == "open",
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at, Shift.id)
        .limit(MAX_LISTED)
    )
    return list(rows)


async def listed(conv: Conversation, assignments: list[Assignment]) -> list[str]:
    lines = []
    for n, assignment in enumerate(assignments, start=1):
        shift = await conv.session.get(Shift, assignment.shift_id)
        assert shift is not None
        lines.append(f"{n}: {shift_label(shift, conv.tz, conv.language)}")
    return lines


async def list_shifts(conv: Conversation, args: list[str]) -> None:
    """VAKTER / SHIFTS: my upcoming confirmed shifts, in parts that fit two SMS (MER)."""
    await paging.show(conv, "shifts", await shift_listing(conv))


async def shift_listing(conv: Conversation) -> paging.Listing:
    assert conv.person is not None
    mine = await upcoming(conv.session, conv.person.id, conv.clock.now())
    return paging.Listing("shift_list", await listed(conv, mine), "shift_list_empty")


async def cancel_listing(conv: Conversation) -> paging.Listing:
    """AVBUD's numbered list; the numbers are the same on every part."""
    assert conv.person is not None
    mine = await upcoming(conv.session, conv.person.id, conv.clock.now())
    return paging.Listing("shift_cancel_which", await listed(conv, mine), "shift_cancel_none")


async def cancel_shift(conv: Conversation, args: list[str]) -> None:
    """AVBUD / CANCEL [n]: give back a confirmed shift; the replacement chain starts at once."""
    assert conv.person is not None
    session, now = conv.session, conv.clock.now()
    mine = await upcoming(session, conv.person.id, now)
    if not mine:
        await conv.reply("shift_cancel_none")
        return
    number = next((int(a) for a in args if a.isdigit()), None)
    if number is None and len(mine) == 1:
        number = 1
    if number is None or not 1 <= number <= len(mine):
        await paging.show(conv, "shift_cancel", await cancel_listing(conv))
        return
    assignment = mine[number - 1]
    shift = await lock_shift(session, assignment.shift_id)
    assert shift is not None
    await session.refresh(assignment)
    if assignment.status != "confirmed":
        await conv.reply("shift_cancel_none")
        return
    await release(session, assignment, "cancelled")
    assignment.answered_at = now
    await session.flush()
    words = shift_words(shift, conv.tz, conv.language)
    await conv.reply("shift_cancelled", **words)
    await conv.to_inbox(
        "shift_cancelled",
        t("nb", "shift_cancelled_inbox", label=shift_label(shift, conv.tz, "nb")),
        urgent=shift.starts_at - now < URGENT_WITHIN,
    )
    await pass_on(session, conv.clock, conv.rules, shift, window=window_of(assignment))
