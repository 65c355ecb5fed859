"""The first hour with Los as a participant, a volunteer and an unknown number (issue 16):
help for strangers, stable "which question?" numbers, help that fits the person, long lists in
parts, one friendly answer after STOPP, and a sign that each text to staff arrived."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers import questions
from handlers.segments import count_segments
from storage.models import InboxItem, OpenQuestion, Person
from tests.harness import Harness

PHONE = "+4791234567"
VOLUNTEER = "+4791234568"
STRANGERS = ["+4798765431", "+4798765432", "+4798765433", "+4798765434"]


async def inbox_kinds(h: Harness) -> list[str]:
    async with h.session() as session:
        return list(await session.scalars(select(InboxItem.kind).order_by(InboxItem.id)))


def fits_two_sms(texts: list[str]) -> bool:
    return all(count_segments(text).segments <= 2 for text in texts)


# --- unknown numbers -------------------------------------------------------------------------


async def test_unknown_numbers_asking_for_help_learn_what_the_number_is_for(h: Harness) -> None:
    for phone, text in zip(STRANGERS, ["HJELP", "help", "TIMER", "MELD QUIZ"], strict=True):
        await h.sms(phone, text)
        [answer] = h.sms_to(phone)
        assert "Dette er SMS-tjenesten til" in answer and "This is the text service" in answer
        assert "Spør de ansatte om å bli registrert" in answer
        assert "ask the staff to add you" in answer
        assert fits_two_sms([answer])
    assert await inbox_kinds(h) == ["unknown_sender"] * 4  # staff see who is trying


async def test_an_unknown_number_gets_one_explanation_per_burst_and_help_after_hello(
    h: Harness,
) -> None:
    stranger = STRANGERS[0]
    await h.sms(stranger, "Hei, hvem er dette?")
    assert "ikke registrert hos oss" in h.sms_to(stranger)[-1]  # the polite answer
    await h.sms(stranger, "HJELP")
    assert "Spør de ansatte om å bli registrert" in h.sms_to(stranger)[-1]
    await h.sms(stranger, "TIMER")
    assert len(h.sms_to(stranger)) == 2  # the explanation came a moment ago
    await h.advance(minutes=11)
    await h.sms(stranger, "TIMER")
    assert len(h.sms_to(stranger)) == 3


# --- "which question?" ----------------------------------------------------------------------


async def ask(h: Harness, person_id: int, label: str) -> int:
    async with h.session() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        question = await questions.ask(
            session, h.clock, person, kind="to_staff", text=f"{label}? Svar JA.", label=label
        )
        assert question is not None
        question_id = question.id
    await h.send_due()
    return question_id


async def answers(h: Harness) -> dict[str | None, Any]:
    async with h.session() as session:
        rows = await session.execute(select(OpenQuestion.label, OpenQuestion.answer))
        return {label: answer for label, answer in rows.all()}


async def test_numbers_in_the_which_question_list_keep_their_meaning(h: Harness) -> None:
    ola = await h.person(phone=PHONE)
    for label in ("Kafé fredag", "Tur lørdag", "Kino søndag"):
        await ask(h, ola["id"], label)
    await h.sms(PHONE, "JA")
    first_list = h.sms_to(PHONE)[-1]
    assert "1: Kafé fredag\n2: Tur lørdag\n3: Kino søndag" in first_list
    await h.sms(PHONE, "2 JA")
    await h.sms(PHONE, "3 NEI")  # read from the first list: still the cinema
    assert await answers(h) == {"Kafé fredag": None, "Tur lørdag": "yes", "Kino søndag": "no"}

    await ask(h, ola["id"], "Middag mandag")
    await h.sms(PHONE, "JA")
    second_list = h.sms_to(PHONE)[-1]
    assert "1: Kafé fredag\n4: Middag mandag" in second_list  # 1 kept, the new one is 4
    assert "for eksempel 1 JA" in second_list
    await h.sms(PHONE, "2 JA")  # 2 is closed: never applied to another question
    assert "1: Kafé fredag" in h.sms_to(PHONE)[-1]
    await h.sms(PHONE, "4 ja")
    await h.sms(PHONE, "ja")  # one left
    assert await answers(h) == {
        "Kafé fredag": "yes",
        "Tur lørdag": "yes",
        "Kino søndag": "no",
        "Middag mandag": "yes",
    }


async def test_a_long_which_question_list_comes_in_parts(h: Harness) -> None:
    ola = await h.person(phone=PHONE)
    labels = [f"Tur til Gressholmen med frivillige, dag {n}" for n in range(1, 8)]
    for label in labels:
        await ask(h, ola["id"], label)
    sent = len(h.sms_to(PHONE))
    await h.sms(PHONE, "ja")
    await h.sms(PHONE, "MER")
    parts = h.sms_to(PHONE)[sent:]
    assert len(parts) == 2 and fits_two_sms(parts)
    assert "Skriv MER for" in parts[0] and "MER" not in parts[1]
    listed = "\n".join(parts)
    assert all(f"{n}: {label}" in listed for n, label in enumerate(labels, start=1))
    await h.sms(PHONE, "7 JA")
    assert (await answers(h))[labels[6]] == "yes"


# --- HJELP fits the person -------------------------------------------------------------------


async def test_help_lists_only_the_words_for_the_persons_roles(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.person(name="Vera Frivillig", roles=["volunteer"], phone=VOLUNTEER, language="en")
    await h.sms(PHONE, "HJELP")
    await h.sms(VOLUNTEER, "help")
    [participant] = h.sms_to(PHONE)
    [volunteer] = h.sms_to(VOLUNTEER)
    assert "TIMER" in participant and "AKTIVITETER" in participant
    assert "VAKTER" not in participant and "AVBUD" not in participant
    assert "SHIFTS" in volunteer and "CANCEL" in volunteer
    assert count_segments(participant).segments == 1
    assert count_segments(volunteer).segments == 1


# --- long lists ------------------------------------------------------------------------------


async def test_a_long_activity_list_comes_in_parts_with_mer(h: Harness) -> None:
    await h.person(phone=PHONE)
    titles = [
        "Quiz i kafeen",
        "Kino: Kon-Tiki",
        "Frisør i peisestua",
        "Tur til Gressholmen",
        "Fotballkamp på Ullevaal",
        "Datakurs for nybegynnere",
        "Kreativt verksted",
    ]
    for day, title in enumerate(titles, start=3):
        await h.api(
            "POST",
            "/api/activities",
            {"title": title, "starts_at": f"2026-03-{day:02d}T18:00", "audience": "participants"},
            expect=201,
        )
    await h.sms(PHONE, "AKTIVITETER")
    [first] = h.sms_to(PHONE)
    assert first.startswith("Aktiviteter:") and first.endswith("til.")
    assert "Skriv MER for" in first
    await h.sms(PHONE, "mer")
    second = h.sms_to(PHONE)[-1]
    assert "MER" not in second.replace("MELD", "")  # the last part says no more
    assert fits_two_sms(h.sms_to(PHONE))
    together = first + second
    assert all(title in together for title in titles)
    assert sum(together.count(title) for title in titles) == len(titles)  # nothing twice

    await h.sms(PHONE, "mer")  # the list was read to the end: a text for staff
    assert await inbox_kinds(h) == ["message"]


async def test_mer_only_continues_the_list_just_read(h: Harness) -> None:
    await h.person(phone=PHONE)
    for day in range(3, 10):
        await h.api(
            "POST",
            "/api/activities",
            {"title": f"Middag og prat nr. {day}", "starts_at": f"2026-03-{day:02d}T18:00"},
            expect=201,
        )
    await h.sms(PHONE, "aktiviteter")
    assert "Skriv MER" in h.sms_to(PHONE)[-1]
    await h.sms(PHONE, "Hei, når åpner dere?")
    await h.sms(PHONE, "mer")
    assert await inbox_kinds(h) == ["message", "message"]


# --- after STOPP -----------------------------------------------------------------------------


async def test_after_stopp_one_friendly_answer_and_nothing_else(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "STOPP")
    await h.sms(PHONE, "TIMER")
    assert h.sms_to(PHONE)[1:] == [
        "Du har sagt STOPP, så du får ingen meldinger. Skriv START for å få dem igjen."
    ]
    await h.sms(PHONE, "HJELP")
    await h.sms(PHONE, "ja")
    await h.sms(PHONE, "Kan noen ringe meg?")
    assert len(h.sms_to(PHONE)) == 2  # the STOPP confirmation and one reminder
    assert await inbox_kinds(h) == ["message"]  # the words for Los stop; the message is read

    await h.sms(PHONE, "START")
    # Past the reply budget's "the same answer at most once in 10 minutes".
    await h.advance(minutes=11)
    await h.sms(PHONE, "STOPP")
    await h.sms(PHONE, "TIMER")
    assert h.sms_to(PHONE)[-1].startswith("Du har sagt STOPP")  # once per STOPP
    assert len(h.sms_to(PHONE)) == 5


async def test_after_stop_in_english(h: Harness) -> None:
    await h.person(phone=PHONE, language="en")
    await h.sms(PHONE, "STOP")
    await h.sms(PHONE, "APPOINTMENTS")
    assert h.sms_to(PHONE)[-1] == (
        "You have said STOP, so you get no messages. Text START to get them again."
    )


# --- a sign that each text arrived -----------------------------------------------------------


async def test_later_texts_to_staff_get_a_short_sign_that_they_arrived(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "Hei, kan noen ringe meg om husleia?")
    assert h.sms_to(PHONE) == ["Takk, meldingen er mottatt. En av de ansatte leser den."]
    await h.advance(minutes=3)
    await h.sms(PHONE, "Det haster litt")
    assert len(h.sms_to(PHONE)) == 1  # a burst shares one answer
    await h.advance(minutes=20)
    await h.sms(PHONE, "Er det noen der?")
    assert h.sms_to(PHONE)[-1] == "Mottatt, takk."
    await h.advance(minutes=5)
    await h.sms(PHONE, "Hallo?")
    assert len(h.sms_to(PHONE)) == 2

    for item in await h.inbox_items():
        await h.api("POST", f"/api/inbox/{item['id']}/resolve", expect=200)
    await h.advance(minutes=20)
    await h.sms(PHONE, "Takk for hjelpen i går")
    assert h.sms_to(PHONE)[-1] == "Takk, meldingen er mottatt. En av de ansatte leser den."


async def test_an_unknown_number_that_said_stopp_is_reminded_once(h: Harness) -> None:
    stranger = STRANGERS[0]
    await h.sms(stranger, "STOPP")
    await h.sms(stranger, "HJELP")
    await h.sms(stranger, "Hvem er dere?")
    assert h.sms_to(stranger)[1:] == [
        "Du har sagt STOPP, så du får ingen meldinger. Skriv START for å få dem igjen."
    ]
    assert await inbox_kinds(h) == ["unknown_sender"]


async def test_every_answer_in_a_first_hour_with_the_demo_fits_two_sms(h: Harness) -> None:
    from bot.demo import fill_demo

    async with h.session() as session:
        await fill_demo(session, h.clock)
    words = ["HJELP", "TIMER", "AKTIVITETER", "MER", "MER", "MER", "VAKTER", "AVBUD", "ja"]
    for phone in ("+4740000100", "+4740000200", "+4740000201"):
        for word in words:
            await h.sms(phone, word)
            # A person reading each answer before the next word: within the reply budget
            # (at most 5 automatic answers in 10 minutes), so every word is answered.
            await h.advance(minutes=3)
        got = h.sms_to(phone)
        assert len(got) >= len(words) - 1
        assert fits_two_sms(got), [t for t in got if count_segments(t).segments > 2]
    activity_parts = [t for t in h.sms_to("+4740000100") if t.startswith("Aktiviteter:")]
    assert len(activity_parts) >= 3  # the demo's activities came in parts


async def test_after_closing_time_a_later_text_learns_when_staff_are_back(h: Harness) -> None:
    from tests.harness import oslo

    await h.person(phone=PHONE)
    await h.set_time(oslo(2026, 3, 6, 15, 0))  # Friday afternoon, open
    await h.sms(PHONE, "Kan noen ringe meg?")
    await h.set_time(oslo(2026, 3, 6, 17, 0))  # closed since 16:30
    await h.sms(PHONE, "Hallo?")
    assert "tilbake mandag 9. mars kl. 08:00" in h.sms_to(PHONE)[-1]
    await h.set_time(oslo(2026, 3, 6, 17, 30))
    await h.sms(PHONE, "Er det noen der?")
    assert h.sms_to(PHONE)[-1] == "Mottatt, takk."
    assert len(h.sms_to(PHONE)) == 3
