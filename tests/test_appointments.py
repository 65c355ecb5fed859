"""Appointments as the participant and the escort live them: reminders, answers, changes.

The clock starts on Monday 2 March 2026, 10:00 in Oslo. Quiet hours are 21:00-08:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.models import Appointment, AuditEntry, InboxItem, Message, OpenQuestion
from tests.harness import Harness, oslo

OLA = "+4791234567"
KARI = "+4791234568"

REMINDER = (
    "Påminnelse: Avtale {when}, Storgata 1. Kommer du? Svar JA eller NEI. "
    "Trenger du ny tid, skriv FLYTT."
)


def local(when: datetime) -> str:
    """A time as staff send it: no offset, so in the site's time zone."""
    return when.replace(tzinfo=None).isoformat(timespec="minutes")


async def book(h: Harness, person_id: int, when: datetime, **extra: Any) -> dict[str, Any]:
    body = {"person_id": person_id, "starts_at": local(when), "location": "Storgata 1", **extra}
    result: dict[str, Any] = await h.api("POST", "/api/appointments", body, expect=201)
    return result


async def status_of(h: Harness, appointment_id: int) -> str:
    found = await h.api("GET", f"/api/appointments/{appointment_id}", expect=200)
    return str(found["status"])


async def inbox(h: Harness) -> list[tuple[str, str | None]]:
    async with h.session() as session:
        items = await session.scalars(select(InboxItem).order_by(InboxItem.id))
        return [(i.kind, i.summary) for i in items]


async def ola_and_kari(h: Harness) -> tuple[int, int]:
    ola = await h.person("Ola Nordmann", phone=OLA)
    kari = await h.person("Kari Hansen", roles=["volunteer"], phone=KARI)
    return ola["id"], kari["id"]


# --- reminder timing ---------------------------------------------------------------------------


async def test_reminders_the_day_before_and_two_hours_before_in_local_time(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0))
    assert appointment["status"] == "scheduled"
    assert appointment["title"] == "Avtale"
    assert appointment["reminders_minutes_before"] == [1440, 120]
    assert appointment["starts_at"] == "2026-03-04T09:00:00+00:00"
    await h.set_time(oslo(2026, 3, 3, 9, 59))
    assert h.sms_to(OLA) == []
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    assert h.sms_to(OLA) == [REMINDER.format(when="i morgen kl. 10:00")]
    await h.set_time(oslo(2026, 3, 4, 7, 59))
    assert len(h.sms_to(OLA)) == 1
    await h.set_time(oslo(2026, 3, 4, 8, 0))
    assert h.sms_to(OLA)[1] == REMINDER.format(when="i dag kl. 10:00")
    async with h.session() as session:
        audited = await session.scalars(select(AuditEntry.action))
        assert "appointment.create" in list(audited)


async def test_spring_forward_keeps_the_local_times(h: Harness) -> None:
    """Clocks go from 02:00 to 03:00 on Sunday 29 March 2026."""
    ola = await h.person(phone=OLA)
    await book(h, ola["id"], oslo(2026, 3, 29, 10, 0))
    await h.set_time(oslo(2026, 3, 28, 9, 59))
    assert h.sms_to(OLA) == []
    await h.set_time(oslo(2026, 3, 28, 10, 0))  # the day before at the same wall-clock time
    assert h.sms_to(OLA) == [REMINDER.format(when="i morgen kl. 10:00")]
    await h.set_time(oslo(2026, 3, 29, 7, 59))
    assert len(h.sms_to(OLA)) == 1
    await h.set_time(oslo(2026, 3, 29, 8, 0))  # two real hours before
    assert h.sms_to(OLA)[1] == REMINDER.format(when="i dag kl. 10:00")


async def test_autumn_back_keeps_the_local_times(h: Harness) -> None:
    """Clocks go from 03:00 back to 02:00 on Sunday 25 October 2026."""
    ola = await h.person(phone=OLA)
    await book(h, ola["id"], oslo(2026, 10, 25, 10, 0))
    await h.set_time(oslo(2026, 10, 24, 9, 59))
    assert h.sms_to(OLA) == []
    await h.set_time(oslo(2026, 10, 24, 10, 0))
    assert h.sms_to(OLA) == [REMINDER.format(when="i morgen kl. 10:00")]
    await h.set_time(oslo(2026, 10, 25, 7, 59))
    assert len(h.sms_to(OLA)) == 1
    await h.set_time(oslo(2026, 10, 25, 8, 0))
    assert h.sms_to(OLA)[1] == REMINDER.format(when="i dag kl. 10:00")


async def test_a_reminder_whose_time_has_passed_is_skipped_not_sent_late(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    await book(h, ola["id"], oslo(2026, 3, 2, 11, 30))  # both reminder times are gone
    await book(h, ola["id"], oslo(2026, 3, 2, 13, 0))  # only the two-hour one is left
    await h.advance(minutes=1)
    assert h.sms_to(OLA) == []
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    assert h.sms_to(OLA) == [REMINDER.format(when="i dag kl. 13:00")]
    await h.set_time(oslo(2026, 3, 2, 14, 0))
    assert len(h.sms_to(OLA)) == 1


async def test_a_reminder_in_quiet_hours_moves_earlier(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    await book(h, ola["id"], oslo(2026, 3, 3, 8, 30), reminders_minutes_before=[120])
    await h.set_time(oslo(2026, 3, 2, 20, 58))
    assert h.sms_to(OLA) == []
    await h.set_time(oslo(2026, 3, 2, 20, 59))  # 06:30 is quiet: the last minute before 21:00
    assert h.sms_to(OLA) == [REMINDER.format(when="i morgen kl. 08:30")]
    await h.set_time(oslo(2026, 3, 3, 8, 29))
    assert len(h.sms_to(OLA)) == 1


async def test_a_reminder_moved_before_now_goes_at_once_never_earlier(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    await h.set_time(oslo(2026, 3, 2, 20, 59, 30))
    await book(h, ola["id"], oslo(2026, 3, 3, 7, 30), reminders_minutes_before=[120])
    await h.send_due()  # 05:30 is quiet and 20:59 has just passed: now, not in the night
    assert h.sms_to(OLA) == [REMINDER.format(when="i morgen kl. 07:30")]
    await h.set_time(oslo(2026, 3, 3, 7, 29))
    assert len(h.sms_to(OLA)) == 1


# --- answers -----------------------------------------------------------------------------------


async def test_ja_confirms_and_the_last_reminder_asks_nothing(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    await h.sms(OLA, "Ja!")
    assert h.sms_to(OLA)[-1] == "Takk! Da er avtalen i morgen kl. 10:00 bekreftet."
    assert await status_of(h, appointment["id"]) == "confirmed"
    await h.set_time(oslo(2026, 3, 4, 8, 0))
    assert h.sms_to(OLA)[-1] == (
        "Påminnelse: Avtale i dag kl. 10:00, Storgata 1. Takk for at du har bekreftet."
    )
    assert len(h.sms_to(OLA)) == 3
    assert await inbox(h) == []


async def test_the_second_reminder_asks_the_same_question_again(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 4, 8, 0))  # no answer to the first: the second asks again
    assert h.sms_to(OLA) == [
        REMINDER.format(when="i morgen kl. 10:00"),
        REMINDER.format(when="i dag kl. 10:00"),
    ]
    async with h.session() as session:
        sent = list(
            await session.scalars(
                select(Message).where(Message.kind == "appointment_reminder").order_by(Message.id)
            )
        )
        asked = list(await session.scalars(select(OpenQuestion)))
    assert len(asked) == 1  # one question, never two about one appointment
    assert [m.question_id for m in sent] == [asked[0].id, asked[0].id]
    assert all(m.buttons == [["JA", "yes"], ["NEI", "no"]] for m in sent)  # Telegram buttons
    await h.sms(OLA, "ja")
    assert h.sms_to(OLA)[-1] == "Takk! Da er avtalen i dag kl. 10:00 bekreftet."
    assert await status_of(h, appointment["id"]) == "confirmed"


async def test_kanskje_goes_to_staff(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    await h.sms(OLA, "kanskje")
    assert h.sms_to(OLA)[-1] == "Takk! En av de ansatte tar kontakt med deg."
    assert await inbox(h) == [("message", "KANSKJE: Avtale onsdag 4. mars 10:00")]
    assert await status_of(h, appointment["id"]) == "scheduled"
    await h.sms(OLA, "ja")  # still the open question
    assert await status_of(h, appointment["id"]) == "confirmed"


async def test_nei_declines_tells_staff_and_stops_the_reminders(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    await h.sms(OLA, "nei")
    assert h.sms_to(OLA)[-1] == (
        "Takk for at du sier fra. Vi tar kontakt med deg for å finne en ny tid hvis du vil."
    )
    assert await status_of(h, appointment["id"]) == "declined"
    assert await inbox(h) == [("declined", "NEI: Avtale onsdag 4. mars 10:00")]
    await h.set_time(oslo(2026, 3, 4, 9, 0))
    assert len(h.sms_to(OLA)) == 2  # the reminder and the reply; no two-hour reminder


async def test_flytt_and_ny_tid_ask_staff_for_a_new_time(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0), title="Time hos NAV")
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    assert h.sms_to(OLA)[-1].startswith("Påminnelse: Time hos NAV i morgen kl. 10:00")
    await h.sms(OLA, "FLYTT")
    assert h.sms_to(OLA)[-1] == "Takk! En av de ansatte finner en ny tid og tar kontakt med deg."
    await h.sms(OLA, "Ny tid takk")
    await h.sms(OLA, "ny adresse: Kirkeveien 3")  # NY without TID is an ordinary message
    assert await inbox(h) == [
        ("reschedule", "Ønsker ny tid: Time hos NAV onsdag 4. mars 10:00"),
        ("reschedule", "Ønsker ny tid: Time hos NAV onsdag 4. mars 10:00"),
        ("message", "ny adresse: Kirkeveien 3"),
    ]
    assert await status_of(h, appointment["id"]) == "scheduled"


async def test_telegram_reminder_has_buttons_and_a_press_confirms(h: Harness) -> None:
    ola = await h.person(phone=None)
    await h.link_telegram(ola["id"], 4242)
    appointment = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    assert h.tg_to(4242)[-1] == REMINDER.format(when="i morgen kl. 10:00")
    buttons = h.telegram.sent[-1]["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["JA", "NEI"]
    await h.tg_press(4242, buttons[0]["callback_data"])
    assert h.tg_to(4242)[-1] == "Takk! Da er avtalen i morgen kl. 10:00 bekreftet."
    assert await status_of(h, appointment["id"]) == "confirmed"


async def test_ja_with_two_open_questions_is_never_applied_to_the_wrong_one(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    morning = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0), reminders_minutes_before=[1440])
    later = await book(h, ola["id"], oslo(2026, 3, 4, 14, 0), reminders_minutes_before=[1440])
    await h.set_time(oslo(2026, 3, 3, 14, 0))
    assert len(h.sms_to(OLA)) == 2
    await h.sms(OLA, "JA")
    assert "1: Avtale onsdag 4. mars 10:00" in h.sms_to(OLA)[-1]
    assert "2: Avtale onsdag 4. mars 14:00" in h.sms_to(OLA)[-1]
    assert await status_of(h, morning["id"]) == "scheduled"
    assert await status_of(h, later["id"]) == "scheduled"
    await h.sms(OLA, "2 ja")
    assert await status_of(h, later["id"]) == "confirmed"
    assert await status_of(h, morning["id"]) == "scheduled"
    assert h.sms_to(OLA)[-1] == "Takk! Da er avtalen i morgen kl. 14:00 bekreftet."


async def test_an_answer_after_the_start_is_not_applied(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 2, 12, 0), reminders_minutes_before=[60])
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    assert h.sms_to(OLA) == [REMINDER.format(when="i dag kl. 12:00")]
    await h.set_time(oslo(2026, 3, 2, 12, 5))
    await h.sms(OLA, "ja")
    assert h.sms_to(OLA)[-1] == "Takk for svaret. Den tiden er allerede passert."
    assert await status_of(h, appointment["id"]) == "scheduled"
    assert [kind for kind, _ in await inbox(h)] == ["late_answer"]


# --- the escort --------------------------------------------------------------------------------


async def test_escort_gets_a_reminder_with_first_name_and_hears_of_a_decline(h: Harness) -> None:
    ola, kari = await ola_and_kari(h)
    await book(h, ola, oslo(2026, 3, 4, 10, 0), companion_id=kari, title="Time hos fastlegen")
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    assert h.sms_to(KARI) == ["Påminnelse: Du skal følge Ola i morgen kl. 10:00, Storgata 1."]
    assert "fastlegen" not in h.sms_to(KARI)[0]  # the escort is not told what it is for
    await h.sms(OLA, "nei")
    assert h.sms_to(KARI)[-1] == (
        "Ola kommer ikke på avtalen i morgen kl. 10:00. Du trenger ikke å møte opp."
    )
    await h.set_time(oslo(2026, 3, 4, 9, 0))
    assert len(h.sms_to(KARI)) == 2  # no two-hour reminder for an appointment that is off


# --- changes -----------------------------------------------------------------------------------


async def test_moving_the_time_sends_one_notice_and_only_fresh_reminders(h: Harness) -> None:
    ola, kari = await ola_and_kari(h)
    appointment = await book(h, ola, oslo(2026, 3, 4, 10, 0), companion_id=kari)
    moved = await h.api(
        "PATCH",
        f"/api/appointments/{appointment['id']}",
        {"starts_at": local(oslo(2026, 3, 5, 14, 0))},
        expect=200,
    )
    await h.send_due()
    assert moved["starts_at"] == "2026-03-05T13:00:00+00:00"
    assert h.sms_to(OLA) == [
        "Avtalen din er flyttet: Avtale torsdag 5. mars kl. 14:00, Storgata 1."
    ]
    assert h.sms_to(KARI) == [
        "Avtalen du skal følge Ola på er flyttet til torsdag 5. mars kl. 14:00, Storgata 1."
    ]
    await h.set_time(oslo(2026, 3, 4, 9, 0))  # both old reminder times have passed
    assert len(h.sms_to(OLA)) == 1 and len(h.sms_to(KARI)) == 1
    await h.set_time(oslo(2026, 3, 4, 14, 0))
    assert h.sms_to(OLA)[-1] == REMINDER.format(when="i morgen kl. 14:00")
    await h.set_time(oslo(2026, 3, 5, 12, 0))
    assert h.sms_to(OLA)[-1] == REMINDER.format(when="i dag kl. 14:00")
    assert len(h.sms_to(OLA)) == 3
    assert h.sms_to(KARI)[1:] == [
        "Påminnelse: Du skal følge Ola i morgen kl. 14:00, Storgata 1.",
        "Påminnelse: Du skal følge Ola i dag kl. 14:00, Storgata 1.",
    ]


async def test_a_moved_appointment_needs_a_new_answer(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    await h.sms(OLA, "ja")
    path = f"/api/appointments/{appointment['id']}"
    moved = await h.api("PATCH", path, {"starts_at": local(oslo(2026, 3, 4, 15, 0))}, expect=200)
    assert moved["status"] == "scheduled"
    await h.set_time(oslo(2026, 3, 4, 13, 0))
    assert h.sms_to(OLA)[-1] == REMINDER.format(when="i dag kl. 15:00")


async def test_a_new_escort_takes_over_and_the_old_one_is_let_go(h: Harness) -> None:
    ola, kari = await ola_and_kari(h)
    per = await h.person("Per Olsen", roles=["staff"], phone="+4791234570")
    appointment = await book(h, ola, oslo(2026, 3, 4, 10, 0), companion_id=kari)
    path = f"/api/appointments/{appointment['id']}"
    await h.api("PATCH", path, {"companion_id": per["id"]}, expect=200)
    await h.send_due()
    assert h.sms_to(KARI) == [
        "Du trenger ikke å følge Ola onsdag 4. mars kl. 10:00 likevel. Takk for at du stilte opp!"
    ]
    assert h.sms_to(OLA) == []  # nothing changed for Ola
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    assert h.sms_to("+4791234570") == [
        "Påminnelse: Du skal følge Ola i morgen kl. 10:00, Storgata 1."
    ]
    assert len(h.sms_to(KARI)) == 1 and len(h.sms_to(OLA)) == 1


async def test_cancelling_sends_one_notice_and_nothing_stale(h: Harness) -> None:
    ola, kari = await ola_and_kari(h)
    first = await book(h, ola, oslo(2026, 3, 4, 10, 0), companion_id=kari)
    second = await book(h, ola, oslo(2026, 3, 6, 10, 0))
    cancelled = await h.api("DELETE", f"/api/appointments/{first['id']}", expect=200)
    assert cancelled["status"] == "cancelled"
    await h.send_due()
    assert h.sms_to(OLA) == ["Avtalen din onsdag 4. mars kl. 10:00 er avlyst."]
    assert h.sms_to(KARI) == [
        "Avtalen med Ola onsdag 4. mars kl. 10:00 er avlyst. Du trenger ikke å møte opp."
    ]
    await h.api("PATCH", f"/api/appointments/{second['id']}", {"status": "cancelled"}, expect=200)
    await h.send_due()
    assert h.sms_to(OLA)[-1] == "Avtalen din fredag 6. mars kl. 10:00 er avlyst."
    await h.api("DELETE", f"/api/appointments/{second['id']}", expect=200)  # once is enough
    await h.set_time(oslo(2026, 3, 6, 12, 0))
    assert len(h.sms_to(OLA)) == 2 and len(h.sms_to(KARI)) == 1
    async with h.session() as session:
        questions = await session.scalars(select(OpenQuestion.status))
        assert set(questions) == {"closed"}


# --- outcomes ----------------------------------------------------------------------------------


async def test_missed_gets_one_gentle_question_the_next_morning(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 2, 14, 0), reminders_minutes_before=[60])
    await h.set_time(oslo(2026, 3, 2, 15, 0))
    path = f"/api/appointments/{appointment['id']}"
    marked = await h.api("PATCH", path, {"status": "missed"}, expect=200)
    assert marked["status"] == "missed" and marked["outcome_at"] is not None
    await h.set_time(oslo(2026, 3, 3, 8, 59))
    assert len(h.sms_to(OLA)) == 1  # only the reminder so far
    await h.set_time(oslo(2026, 3, 3, 9, 0))
    assert h.sms_to(OLA)[-1] == "Vi savnet deg i går. Vil du ha en ny time? Svar JA"
    await h.sms(OLA, "ja")
    assert h.sms_to(OLA)[-1] == "Takk! En av de ansatte tar kontakt for å finne en ny time."
    assert await inbox(h) == [("reschedule", "JA: Ny time etter mandag 2. mars")]
    await h.set_time(oslo(2026, 3, 5, 9, 0))
    assert len(h.sms_to(OLA)) == 3  # one message, never repeated


async def test_attended_withdraws_what_is_still_queued(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    appointment = await book(h, ola["id"], oslo(2026, 3, 2, 14, 0), reminders_minutes_before=[60])
    path = f"/api/appointments/{appointment['id']}"
    await h.api("PATCH", path, {"status": "missed"}, expect=200)
    await h.api("PATCH", path, {"status": "attended"}, expect=200)  # staff corrected it
    await h.set_time(oslo(2026, 3, 3, 12, 0))
    assert h.sms_to(OLA) == []
    assert await status_of(h, appointment["id"]) == "attended"


async def test_stats_count_reminders_answers_and_outcomes(h: Harness) -> None:
    ola = await h.person(phone=OLA)
    first = await book(h, ola["id"], oslo(2026, 3, 3, 12, 0), reminders_minutes_before=[60])
    second = await book(h, ola["id"], oslo(2026, 3, 3, 15, 0), reminders_minutes_before=[60])
    await h.set_time(oslo(2026, 3, 3, 11, 0))
    await h.sms(OLA, "ja")
    await h.set_time(oslo(2026, 3, 3, 14, 0))
    await h.sms(OLA, "nei")
    await h.set_time(oslo(2026, 3, 3, 16, 0))
    await h.api("PATCH", f"/api/appointments/{first['id']}", {"status": "attended"}, expect=200)
    await h.api("PATCH", f"/api/appointments/{second['id']}", {"status": "missed"}, expect=200)
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    assert stats["appointments"] == {
        "appointments": 2,
        "reminders_sent": 2,
        "escort_reminders_sent": 0,
        "confirmed": 1,
        "declined": 1,
        "cancelled": 0,
        "attended": 1,
        "missed": 1,
        "attendance_rate": 0.5,
    }
    earlier = await h.api("GET", "/api/stats?from=2026-02-01&to=2026-03-01", expect=200)
    assert earlier["appointments"]["reminders_sent"] == 0


# --- the person's own list ---------------------------------------------------------------------


async def test_timer_lists_upcoming_appointments_in_local_time(h: Harness) -> None:
    ola, kari = await ola_and_kari(h)
    await h.sms(OLA, "TIMER")
    assert h.sms_to(OLA) == ["Du har ingen avtaler fremover."]
    await book(h, ola, oslo(2026, 3, 3, 10, 0), companion_id=kari)
    await book(h, ola, oslo(2026, 3, 29, 14, 0), title="Time hos fastlegen", location=None)
    gone = await book(h, ola, oslo(2026, 3, 10, 9, 0))
    await h.api("DELETE", f"/api/appointments/{gone['id']}", expect=200)
    await h.send_due()  # the cancellation notice goes out before the answer to TIMER would
    await h.sms(OLA, "timer")
    assert h.sms_to(OLA)[-1] == (
        "Dine avtaler:\n"
        "i morgen kl. 10:00: Avtale, Storgata 1\n"
        "søndag 29. mars kl. 14:00: Time hos fastlegen"
    )
    await h.sms(KARI, "Avtaler?")
    assert h.sms_to(KARI)[-1] == "Dine avtaler:\ni morgen kl. 10:00: følge Ola, Storgata 1"
    anna = await h.person("Anna Smith", phone="+4791234569", language="en")
    await book(h, anna["id"], oslo(2026, 3, 4, 9, 30))
    await h.sms("+4791234569", "appointments")
    assert h.sms_to("+4791234569")[-1] == (
        "Your appointments:\nWednesday 4 March at 09:30: Appointment, Storgata 1"
    )


# --- bad input ---------------------------------------------------------------------------------


async def test_bad_input_is_422_naming_the_field(h: Harness) -> None:
    ola, kari = await ola_and_kari(h)
    other = await h.person("Per Olsen", phone="+4791234570")
    tomorrow = local(oslo(2026, 3, 3, 10, 0))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"person_id": 9999, "starts_at": tomorrow}, "person_id"),
        ({"person_id": ola, "starts_at": "neste tirsdag"}, "starts_at"),
        ({"person_id": ola, "starts_at": local(oslo(2026, 3, 2, 9, 0))}, "starts_at"),
        (
            {"person_id": ola, "starts_at": tomorrow, "ends_at": local(oslo(2026, 3, 3, 9, 0))},
            "ends_at",
        ),
        (
            {"person_id": ola, "starts_at": tomorrow, "reminders_minutes_before": [0]},
            "reminders_minutes_before",
        ),
        (
            {"person_id": ola, "starts_at": tomorrow, "reminders_minutes_before": [20161]},
            "reminders_minutes_before",
        ),
        ({"person_id": ola, "starts_at": tomorrow, "companion_id": other["id"]}, "companion_id"),
        ({"person_id": ola, "starts_at": tomorrow, "companion_id": 9999}, "companion_id"),
        ({"starts_at": tomorrow}, "person_id"),
    ]
    for body, field in cases:
        answer = await h.api("POST", "/api/appointments", body, expect=422)
        assert field in answer["error"]["fields"], (body, answer)
    appointment = await book(h, ola, oslo(2026, 3, 3, 10, 0), companion_id=kari)
    path = f"/api/appointments/{appointment['id']}"
    patches: list[tuple[dict[str, Any], str]] = [
        ({"starts_at": "soon"}, "starts_at"),
        ({"starts_at": local(oslo(2026, 3, 1, 10, 0))}, "starts_at"),
        ({"reminders_minutes_before": [-5]}, "reminders_minutes_before"),
        ({"status": "forgotten"}, "status"),
    ]
    for body, field in patches:
        answer = await h.api("PATCH", path, body, expect=422)
        assert field in answer["error"]["fields"], (body, answer)
    answer = await h.api("GET", "/api/appointments?from=igår", expect=422)
    assert "from" in answer["error"]["fields"]
    answer = await h.api("GET", "/api/appointments?status=borte", expect=422)
    assert "status" in answer["error"]["fields"]
    await h.api("GET", "/api/appointments/9999", expect=404)
    assert await status_of(h, appointment["id"]) == "scheduled"


async def test_list_by_person_and_period(h: Harness) -> None:
    ola, _ = await ola_and_kari(h)
    per = await h.person("Per Olsen", phone="+4791234570")
    march = await book(h, ola, oslo(2026, 3, 3, 10, 0))
    april = await book(h, ola, oslo(2026, 4, 7, 10, 0))
    await book(h, per["id"], oslo(2026, 3, 3, 11, 0))
    found = await h.items(f"/api/appointments?person_id={ola}")
    assert [a["id"] for a in found] == [march["id"], april["id"]]
    found = await h.items(f"/api/appointments?person_id={ola}&from=2026-04-01&to=2026-04-08")
    assert [a["id"] for a in found] == [april["id"]]
    assert found[0]["starts_at"] == "2026-04-07T08:00:00+00:00"  # every time is answered in UTC


# --- erasure -----------------------------------------------------------------------------------


async def test_erasing_a_person_erases_what_staff_wrote_and_stops_reminders(h: Harness) -> None:
    ola, kari = await ola_and_kari(h)
    appointment = await book(
        h, ola, oslo(2026, 3, 4, 10, 0), title="Time hos fastlegen", companion_id=kari
    )
    await h.api("DELETE", f"/api/people/{ola}", expect=200)
    found = await h.api("GET", f"/api/appointments/{appointment['id']}", expect=200)
    assert found["title"] == "Avtale" and found["location"] is None
    await h.set_time(oslo(2026, 3, 4, 9, 0))
    assert h.sms_to(OLA) == [] and h.sms_to(KARI) == []
    async with h.session() as session:
        queued = await session.scalars(select(Message).where(Message.status == "queued"))
        assert list(queued) == []
        row = await session.get(Appointment, appointment["id"])
        assert row is not None and row.companion_id == kari
