"""Signing up: JA to an invitation, MELD/AVMELD/AKTIVITETER, the waiting line, attendance,
and FORSLAG (the suggestion box).

The last place is never given twice: the activity row is locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite lets one writer at a time) before places are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import activities as acts
from handlers import inbox, paging, thread_figures
from handlers.clock import Clock
from handlers.context import Conversation, Rules
from handlers.errors import Conflict, InputError, NotFound
from handlers.keywords import Answer
from storage.models import Activity, InboxItem, OpenQuestion, Person, Signup

ATTENDANCE = ("attended", "no_show")


@dataclass(frozen=True)
class Outcome:
    """What a sign-up attempt came to: ``signed_up``, ``waitlisted``, ``already``,
    ``already_waitlisted``, ``closed``, ``not_open`` or ``no_signup``."""

    result: str
    place: int | None = None


async def lock_activity(session: AsyncSession, activity_id: int) -> Activity | None:
    """Load the activity and hold its row until the transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite ignores that, so a no-op UPDATE takes the
    database's single write lock first (a reader would otherwise count before the other
    writer's place is committed).
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(Activity)
            .where(Activity.id == activity_id)
            .values(id=Activity.id)
            .execution_options(synchronize_session=False)
        )
    return await session.scalar(
        select(Activity)
        .where(Activity.id == activity_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def find_signup(session: AsyncSession, activity_id: int, person_id: int) -> Signup | None:
    return await session.scalar(
        select(Signup).where(Signup.activity_id == activity_id, Signup.person_id == person_id)
    )


async def taken_places(session: AsyncSession, activity_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.activity_id == activity_id, Signup.status.in_(acts.HOLDS_PLACE))
        )
        or 0
    )


async def place_in_line(session: AsyncSession, signup: Signup) -> int:
    ahead = await session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(
            Signup.activity_id == signup.activity_id,
            Signup.status == "waitlisted",
            (Signup.position < signup.position)
            | ((Signup.position == signup.position) & (Signup.id < signup.id)),
        )
    )
    return int(ahead or 0) + 1


async def sign_up(
    session: AsyncSession,
    clock: Clock,
    activity_id: int,
    person: Person,
    *,
    source: str = "text",
    check_deadline: bool = True,
) -> Outcome:
    """Give ``person`` a place, or a place in line when it is full."""
    activity = await lock_activity(session, activity_id)
    now = clock.now()
    if activity is None or activity.status != "planned" or activity.starts_at <= now:
        return Outcome("not_open")
    if not activity.signup_required:
        return Outcome("no_signup")
    signup = await find_signup(session, activity.id, person.id)
    if signup is not None and signup.status in acts.HOLDS_PLACE:
        return Outcome("already")
    if signup is not None and signup.status == "waitlisted":
        return Outcome("already_waitlisted", await place_in_line(session, signup))
    if check_deadline and acts.deadline(activity) <= now:
        return Outcome("closed")
    if signup is None:
        # Its status is decided below; it is not written before then (statuses are checked).
        signup = Signup(activity_id=activity.id, person_id=person.id, position=0, created_at=now)
        session.add(signup)
    signup.source = source
    signup.updated_at = now
    signup.cancelled_at = None
    with session.no_autoflush:
        full = (
            activity.capacity is not None
            and await taken_places(session, activity.id) >= activity.capacity
        )
        last = (
            await session.scalar(
                select(func.max(Signup.position)).where(
                    Signup.activity_id == activity.id, Signup.status == "waitlisted"
                )
            )
            if full
            else None
        )
    if full:
        signup.status = "waitlisted"
        signup.position = int(last or 0) + 1
        await session.flush()
        return Outcome("waitlisted", await place_in_line(session, signup))
    signup.status = "signed_up"
    signup.signed_up_at = now
    await session.flush()
    await acts.queue_reminders(session, clock, activity, person)
    return Outcome("signed_up")


async def cancel_signup(
    session: AsyncSession, clock: Clock, activity_id: int, person: Person
) -> bool:
    """Cancel a place or a place in line; the first in line moves up. False if none was held."""
    activity = await lock_activity(session, activity_id)
    if activity is None:
        return False
    signup = await find_signup(session, activity.id, person.id)
    if signup is None or signup.status not in ("signed_up", "waitlisted", "interested"):
        return False
    had_place = signup.status == "signed_up"
    now = clock.now()
    signup.status = "cancelled"
    signup.cancelled_at = now
    signup.updated_at = now
    await session.flush()
    await acts.cancel_reminders(session, acts.reminder_prefix(activity.id, person.id))
    if had_place:
        await promote(session, clock, activity)
    return True


async def promote(session: AsyncSession, clock: Clock, activity: Activity) -> int:
    """Fill free places from the waiting line, first come first served; each is told at once."""
    now = clock.now()
    if activity.status != "planned" or activity.starts_at <= now:
        return 0
    promoted = 0
    for signup in await acts.signups_with(session, activity.id, ("waitlisted",)):
        if (
            activity.capacity is not None
            and await taken_places(session, activity.id) >= activity.capacity
        ):
            break
        person = await session.get(Person, signup.person_id)
        if person is None or person.erased_at is not None:
            continue
        signup.status = "signed_up"
        signup.signed_up_at = now
        signup.promoted_at = now
        signup.updated_at = now
        await session.flush()
        await acts.tell(session, clock, activity, person, "act_promoted")
        await acts.queue_reminders(session, clock, activity, person)
        promoted += 1
    return promoted


async def set_attendance(
    session: AsyncSession, clock: Clock, activity: Activity, person_id: int, status: str
) -> Signup:
    """Staff record what happened: ``attended``/``no_show`` (a walk-in gets a row too),
    or ``signed_up``/``cancelled`` to correct the list."""
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person")
    now = clock.now()
    if status in ("signed_up", "cancelled") and activity.starts_at > now:
        if status == "cancelled":
            await cancel_signup(session, clock, activity.id, person)
        else:
            await sign_up(session, clock, activity.id, person, source="staff", check_deadline=False)
        found = await find_signup(session, activity.id, person_id)
        if found is None:
            raise InputError({"status": "no sign-up to cancel"})
        return found
    if status not in ATTENDANCE:
        raise InputError({"status": "use attended or no_show once it has started"})
    signup = await find_signup(session, activity.id, person_id)
    if signup is None:
        signup = Signup(
            activity_id=activity.id,
            person_id=person_id,
            status=status,
            position=0,
            source="staff",
            created_at=now,
        )
        session.add(signup)
    signup.status = status
    signup.updated_at = now
    if activity.status == "planned" and activity.starts_at <= now:
        activity.status = "held"
    await session.flush()
    return signup


async def record_attendance(
    session: AsyncSession,
    clock: Clock,
    activity: Activity,
    *,
    attended: Sequence[int] = (),
    no_show: Sequence[int] = (),
    head_count: int | None = None,
) -> None:
    """Who came, at the door or afterwards; shared by the API and the attendance page."""
    both = set(attended) & set(no_show)
    if both:
        raise InputError({"no_show": f"person {min(both)} is also in attended"})
    if activity.starts_at > clock.now():
        raise Conflict("not started", {"activity": "record attendance once it has started"})
    for status, ids in (("attended", attended), ("no_show", no_show)):
        for person_id in ids:
            await set_attendance(session, clock, activity, person_id, status)
    if head_count is not None:
        if head_count < 0:
            raise InputError({"head_count": "must not be negative"})
        activity.head_count = head_count
    if activity.status == "planned":
        activity.status = "held"


# --- the conversation -----------------------------------------------------------------------


async def reply_outcome(conv: Conversation, activity: Activity, outcome: Outcome) -> None:
    values = acts.activity_values(activity, conv.tz, conv.language, conv.clock.now())
    keys = {
        "signed_up": "act_signed_up",
        "waitlisted": "act_waitlisted",
        "already": "act_already",
        "already_waitlisted": "act_already_waitlisted",
        "closed": "act_closed",
        "not_open": "act_not_open",
        "no_signup": "act_no_signup",
    }
    await conv.reply(keys[outcome.result], place=outcome.place, **values)


async def answer_invitation(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """JA -> a place (or the line); NEI -> thanks (and a place given back); KANSKJE -> interest."""
    assert conv.person is not None and question.ref_id is not None
    activity = await conv.session.get(Activity, question.ref_id)
    if activity is None:
        await conv.reply("thanks_answer")
        return
    if answer.value == "yes":
        outcome = await sign_up(
            conv.session, conv.clock, activity.id, conv.person, source="invitation"
        )
        await reply_outcome(conv, activity, outcome)
    elif answer.value == "maybe":
        await mark_interested(conv, activity)
    else:
        await cancel_signup(conv.session, conv.clock, activity.id, conv.person)
        await conv.reply("act_declined")


async def mark_interested(conv: Conversation, activity: Activity) -> None:
    assert conv.person is not None
    now = conv.clock.now()
    signup = await find_signup(conv.session, activity.id, conv.person.id)
    if signup is None:
        conv.session.add(
            Signup(
                activity_id=activity.id,
                person_id=conv.person.id,
                status="interested",
                position=0,
                source="invitation",
                created_at=now,
                updated_at=now,
            )
        )
    elif signup.status == "cancelled":
        signup.status = "interested"
        signup.updated_at = now
    values = acts.activity_values(activity, conv.tz, conv.language, now)
    await conv.reply("act_interested", **values)


def wanted_code(args: list[str]) -> str:
    """What follows MELD: "quiz", "Quiz!", "tur 2" -> QUIZ, TUR2."""
    return acts.fold_code("".join(args))[:12]


async def open_codes(conv: Conversation) -> list[str]:
    assert conv.person is not None
    now = conv.clock.now()
    return [
        a.code
        for a in await acts.upcoming_for(
            conv.session, conv.person, now, role_names=await conv.role_names()
        )
        if a.signup_required and acts.deadline(a) > now
    ]


async def by_code(conv: Conversation, code: str) -> Activity | None:
    """The upcoming activity with this code that the person may join."""
    assert conv.person is not None
    if not code:
        return None
    for activity in await acts.upcoming_for(
        conv.session, conv.person, conv.clock.now(), 200, await conv.role_names()
    ):
        if activity.code == code:
            return activity
    return None


async def join_command(conv: Conversation, args: list[str]) -> None:
    """MELD <kode> / JOIN <code>."""
    assert conv.person is not None
    code = wanted_code(args)
    activity = await by_code(conv, code)
    if activity is None:
        codes = await open_codes(conv)
        if not codes:
            await conv.reply("act_none_open")
        elif code:
            await conv.reply(
                "act_unknown_code", code=code, codes=", ".join(codes), example=codes[0]
            )
        else:
            await conv.reply("act_which_code", codes=", ".join(codes), example=codes[0])
        return
    outcome = await sign_up(conv.session, conv.clock, activity.id, conv.person)
    await reply_outcome(conv, activity, outcome)


async def my_signups(conv: Conversation) -> list[tuple[Activity, Signup]]:
    assert conv.person is not None
    rows = await conv.session.execute(
        select(Activity, Signup)
        .join(Signup, Signup.activity_id == Activity.id)
        .where(
            Signup.person_id == conv.person.id,
            Signup.status.in_(("signed_up", "waitlisted")),
            Activity.status == "planned",
            Activity.starts_at > conv.clock.now(),
        )
        .order_by(Activity.starts_at)
    )
    return [(a, s) for a, s in rows.all()]


async def leave_command(conv: Conversation, args: list[str]) -> None:
    """AVMELD <kode> / LEAVE <code>."""
    assert conv.person is not None
    code = wanted_code(args)
    mine = await my_signups(conv)
    activity = next((a for a, _ in mine if a.code == code), None)
    if activity is None:
        known = await by_code(conv, code)
        if known is not None:
            values = acts.activity_values(known, conv.tz, conv.language, conv.clock.now())
            await conv.reply("act_not_signed_up", **values)
        elif mine:
            await conv.reply("act_leave_which", codes=", ".join(a.code for a, _ in mine))
        else:
            await conv.reply("act_leave_none")
        return
    await cancel_signup(conv.session, conv.clock, activity.id, conv.person)
    values = acts.activity_values(activity, conv.tz, conv.language, conv.clock.now())
    await conv.reply("act_left", **values)


# How many upcoming activities AKTIVITETER lists in all (in parts; MER for the next).
LIST_LIMIT = 12


async def list_command(conv: Conversation, args: list[str]) -> None:
    """AKTIVITETER / ACTIVITIES: what is on, with codes and the person's own status, in parts
    that fit two SMS (MER for the next)."""
    await paging.show(conv, "activities", await activity_listing(conv))


async def activity_listing(conv: Conversation) -> paging.Listing:
    assert conv.person is not None
    now = conv.clock.now()
    upcoming = await acts.upcoming_for(
        conv.session, conv.person, now, limit=LIST_LIMIT, role_names=await conv.role_names()
    )
    mine = (
        {
            s.activity_id: s.status
            for s in await conv.session.scalars(
                select(Signup).where(
                    Signup.person_id == conv.person.id,
                    Signup.activity_id.in_([a.id for a in upcoming]),
                )
            )
        }
        if upcoming
        else {}  # nothing is on: no sign-ups to read
    )
    lines = []
    for activity in upcoming:
        values = acts.activity_values(activity, conv.tz, conv.language, now)
        if mine.get(activity.id) == "signed_up":
            mark = conv.text("act_mark_signed_up")
        elif mine.get(activity.id) == "waitlisted":
            mark = conv.text("act_mark_waitlisted")
        elif not activity.signup_required:
            mark = conv.text("act_mark_open")
        elif acts.deadline(activity) <= now:
            mark = conv.text("act_mark_closed")
        else:
            mark = ""
        line = f"{activity.code}: {activity.title} {values['when']}"
        lines.append(f"{line} ({mark})" if mark else line)
    return paging.Listing("act_list", lines, "act_list_none")


# --- suggestions ----------------------------------------------------------------------------

ANONYMOUS_WORDS = frozenset({"anonym", "anonymt", "anon", "anonymous"})


async def suggestion_command(conv: Conversation, args: list[str]) -> None:
    """FORSLAG <tekst> / IDEA <text>; FORSLAG ANONYM <tekst> leaves no trace of the sender."""
    raw = (conv.message.text or "").strip()
    rest = raw.split(None, 1)[1] if len(raw.split(None, 1)) > 1 else ""
    anonymous = bool(args) and args[0] in ANONYMOUS_WORDS
    if anonymous:
        rest = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
    rest = rest.strip(" :,-")
    if not rest:
        await conv.reply("suggestion_empty")
        return
    if not anonymous:
        await conv.to_inbox("suggestion", rest)
        await conv.reply("suggestion_thanks")
        return
    # Nothing of the sender: no person, text, contact point or key worker on the item.
    item_id = await inbox.add_item(
        conv.session, conv.clock, site_id=conv.site.id, kind="suggestion", summary=rest
    )
    item = await conv.session.get_one(InboxItem, item_id)
    # The exact time would link the item to the sender's own incoming row: keep the day only
    # (local midnight). And the incoming row keeps no text at all.
    tz = ZoneInfo(conv.site.timezone)
    day = item.created_at.astimezone(tz).date()
    item.created_at = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    # A thread of its own (about nobody), whose time is now the day's.
    await thread_figures.recount(conv.session, thread_figures.key_of(item))
    conv.message.text = None
    await conv.reply("suggestion_thanks_anon")


async def erase_signups(session: AsyncSession, clock: Clock, rules: Rules, person: Person) -> None:
    """An erased person holds no place and waits in no line; a place they held goes to the first
    in line at once. Past attendance stays as counts."""
    held = await session.scalars(
        select(Signup.activity_id).where(
            Signup.person_id == person.id,
            Signup.status.in_(("signed_up", "waitlisted", "interested")),
            Signup.activity_id.in_(select(Activity.id).where(Activity.status == "planned")),
        )
    )
    for activity_id in list(held):
        await cancel_signup(session, clock, activity_id, person)
