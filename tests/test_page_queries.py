"""The staff pages' lean reads give the answers the rules give: who is next for a shift (read
for the one shift, not the whole rota), the invitation preview (counted in SQL, not person by
person), the SMS parts of the yearly report (per distinct text) and the people menus."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.demo import fill_demo
from handlers import yearly_report
from handlers.activities import announce_preview
from handlers.people_pages import person_choices, search_people
from handlers.rota import offers, shifts
from handlers.rota.plan import plan
from storage.models import (
    Activity,
    ContactPoint,
    Message,
    Person,
    PersonRole,
    Shift,
    Site,
    StaffUser,
    VolunteerTerms,
)
from tests.harness import Harness, oslo


async def planner_would_ask(h: Harness, shift: Shift) -> int | None:
    """The planner over every volunteer of the site, as ``pass_on`` asks it."""
    async with h.session() as session:
        site = await session.get(Site, shift.site_id)
        assert site is not None
        tz = shifts.site_tz(site)
        pool = await shifts.pool_for(session, site, h.clock.now(), shift.starts_at, shift.ends_at)
        result = plan([shifts.plan_shift(shift, 1, tz)], pool.volunteers, pool.existing, tz=tz)
        return result.offers[0].person_id if result.offers else None


async def test_who_is_next_is_who_the_whole_planner_would_ask(h: Harness) -> None:
    async with h.session() as session:
        await fill_demo(session, h.clock)
        volunteers = list(
            await session.scalars(
                select(PersonRole.person_id)
                .where(PersonRole.role == "volunteer")
                .order_by(PersonRole.person_id)
            )
        )
        # Some cannot be reached, one is paused, one has a daily window and days away.
        await session.execute(
            update(ContactPoint)
            .where(ContactPoint.person_id.in_(volunteers[:2]))
            .values(opted_out_at=h.clock.now())
        )
        await session.execute(
            update(Person).where(Person.id == volunteers[2]).values(status="paused")
        )
        await session.execute(
            update(VolunteerTerms)
            .where(VolunteerTerms.person_id == volunteers[3])
            .values(from_time="09:00", to_time="15:00", unavailable_dates=["2026-03-04"])
        )
        site = await session.scalar(select(Site))
        assert site is not None
        today = h.clock.now().date()  # three more weeks, without offers yet
        await shifts.generate_for_site(
            session, h.clock, site, today + timedelta(days=7), today + timedelta(days=27)
        )
        coming = list(
            await session.scalars(
                select(Shift)
                .where(Shift.status == "open", Shift.starts_at > h.clock.now())
                .order_by(Shift.starts_at)
            )
        )
    assert len(coming) > 20
    asked = []
    for shift in coming:
        async with h.session() as session:
            found = await offers.next_candidate(session, h.clock, shift)
        expected = await planner_would_ask(h, shift)
        assert (found.id if found else None) == expected, shift.title
        asked.append(expected)
    assert len({a for a in asked if a is not None}) > 2  # different shifts, different people
    assert not set(asked) & set(volunteers[:3])  # never the unreachable or paused


async def test_invitation_preview_counts_what_announcing_sends(h: Harness) -> None:
    await h.person("Anne Berg", phone="+4791000001")
    bjorn = await h.person("Bjørn Lie", phone="+4791000002")
    carl = await h.person("Carl Holm", phone=None)
    await h.link_telegram(carl["id"], 7001)
    await h.person("Dina Uten Nummer", phone=None)
    eva = await h.person("Eva Pause", phone="+4791000005")
    await h.person("Frank Stopp", phone="+4791000006")
    await h.person("Vera Frivillig", roles=["volunteer"], phone="+4791000009")
    await h.sms("+4791000006", "STOPP")
    await h.api("PATCH", f"/api/people/{eva['id']}", {"status": "paused"}, expect=200)
    quiz = await h.api(
        "POST",
        "/api/activities",
        {"title": "Quiz", "starts_at": "2026-03-05T18:00:00", "audience": "participants"},
        expect=201,
    )
    await h.api(
        "POST",
        f"/api/activities/{quiz['id']}/signups",
        {"person_id": bjorn["id"]},
        expect=201,
    )
    async with h.session() as session:
        activity = await session.get(Activity, quiz["id"])
        assert activity is not None
        preview = await announce_preview(session, h.clock, activity)
    # Anne by SMS and Carl on Telegram; Bjørn is signed up; Dina, Eva and Frank cannot be asked.
    assert preview["recipients"] == 2
    assert preview["already"] == 1
    assert preview["unreachable"] == 3
    assert preview["sms_messages"] == preview["segments"].segments * 1
    sent = await h.api("POST", f"/api/activities/{quiz['id']}/announce", expect=202)
    await h.send_due()
    progress = await h.api("GET", f"/api/broadcasts/{sent['broadcast_id']}", expect=200)
    assert progress["sent"] == preview["recipients"]  # the others are asked, and skipped
    assert progress["recipients"] == preview["recipients"] + preview["unreachable"]
    assert h.sms_to("+4791000001")[-1].startswith("Quiz torsdag 5. mars")
    assert h.tg_to(7001)[-1].startswith("Quiz torsdag 5. mars")
    assert h.sms_to("+4791000002") == []  # Bjørn is signed up already


async def test_report_sms_parts_count_each_text_sent(h: Harness) -> None:
    async with h.session() as session:
        site_id = await session.scalar(select(Site.id))
        assert site_id is not None
        now = h.clock.now()
        long_text = "Hei! " * 40  # 200 GSM-7 characters: two parts
        for text, status in [
            ("Kort", "delivered"),
            ("Kort", "sent"),
            (long_text, "delivered"),
            (long_text, "delivered"),
            ("Ærlig talt, nå æøå", "delivered"),
            ("Ikke sendt", "failed"),
            ("", "delivered"),  # blanked by retention: one part
        ]:
            session.add(
                Message(
                    direction="out",
                    site_id=site_id,
                    channel="sms",
                    address="+4791000001",
                    text=text,
                    status=status,
                    kind="reply",
                    attempts=1,
                    urgent=False,
                    created_at=now,
                )
            )
    async with h.session() as session:
        figures = await yearly_report.messages_section(
            session,
            site_id,
            now - timedelta(days=1),
            now + timedelta(days=1),
            yearly_report.Options(sms_price=0.5, timezone="Europe/Oslo"),
        )
    parts = {f.key: f.value for f in figures}
    assert parts["sms_segments"] == 1 + 1 + 2 + 2 + 1 + 1
    assert parts["sms_cost"] == 4.0


async def test_person_menus_list_the_role_in_name_order(h: Harness) -> None:
    for name, roles in [
        ("Øyvind", ["volunteer"]),
        ("Anne", ["volunteer"]),
        ("Berit", ["participant"]),
        ("Carl", ["volunteer", "participant"]),
    ]:
        await h.person(name, roles=roles, phone=None)
    async with h.session() as session:
        staff = await session.scalar(select(StaffUser).limit(1))
        if staff is None:
            staff = StaffUser(
                name="Admin", email="a@los.test", role="admin", created_at=oslo(2026, 1, 1)
            )
        choices = await person_choices(session, staff, role="volunteer")
        full = await search_people(session, staff, role="volunteer")
    assert [c.name for c in choices] == [p.name for p in full.people]
    assert [c.name for c in choices][:2] == ["Anne", "Carl"]
    assert "Berit" not in [c.name for c in choices]


def test_a_plans_small_chart_is_drawn_as_the_template_drew_it() -> None:
    from bot.web.views_checkins import small_chart

    at = oslo(2026, 3, 1, 10, 30)
    chart = small_chart([(at, 4), (at + timedelta(days=1), 2), (at + timedelta(days=2), 5)])
    assert chart["scores"] == "4, 2, 5"
    marks = str(chart["marks"])
    assert marks.count('<line class="grid-line" x1="20" x2="150"') == 5
    assert '<polyline class="line" points="20.0,24.0 80.0,32.0 140.0,20.0"/>' in marks
    assert '<circle class="dot low" cx="80.0" cy="32.0" r="3"/>' in marks
    assert marks.count('class="dot"') == 2
    assert "circle" not in small_chart([])["marks"]  # no answers yet: no chart is shown
