"""Conversations in Polish, Ukrainian and Arabic; the language menu; the first answer to an
unknown number; and every language's words keeping one meaning each.

The clock starts on Monday 2 March 2026, 10:00 in Oslo.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.keywords import (
    HELP_WORDS,
    LANGUAGE_WORDS,
    LOCAL_MAYBE,
    LOCAL_NO,
    LOCAL_YES,
    START_WORDS,
    STOP_WORDS,
    maybe_words,
    no_words,
    parse_yes_no,
    yes_words,
)
from handlers.texts import LANGUAGES, t
from storage.models import ContactPoint, Message
from tests.harness import Harness, oslo
from tests.test_appointments import book, status_of

PHONE = "+4791234567"
STRANGER = "+4798765432"

# language, HJELP in its own word, its yes, its no, its STOPP
LOCAL = [
    ("pl", "Pomoc", "Tak", "nie", "STOP"),
    ("uk", "Допомога", "Так!", "ні", "Стоп"),
    ("ar", "مساعدة", "نعم", "لا", "توقف"),
]


@pytest.mark.parametrize(("language", "help_word", "yes", "no", "stop"), LOCAL)
async def test_a_conversation_in_the_persons_language(
    h: Harness, language: str, help_word: str, yes: str, no: str, stop: str
) -> None:
    person = await h.person("Anna Kowal", phone=PHONE, language=language)
    await h.sms(PHONE, help_word)
    assert h.sms_to(PHONE) == [
        t(
            language,
            "help",
            words=f"{t(language, 'word_appointments')}, {t(language, 'word_activities')}, ",
        )
    ]

    first = await book(h, person["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    reminder = h.sms_to(PHONE)[-1]
    assert reminder == t(
        language,
        "appointment_reminder",
        title=t(language, "appointment_default_title"),
        when=t(language, "when_tomorrow", clock="10:00"),
        place=", Storgata 1",
    )
    await h.sms(PHONE, yes)
    assert await status_of(h, first["id"]) == "confirmed"
    assert h.sms_to(PHONE)[-1] == t(
        language, "appointment_yes", when=t(language, "when_tomorrow", clock="10:00")
    )

    second = await book(h, person["id"], oslo(2026, 3, 5, 12, 0))
    await h.set_time(oslo(2026, 3, 4, 12, 0))
    await h.sms(PHONE, no)
    assert await status_of(h, second["id"]) == "declined"
    assert h.sms_to(PHONE)[-1] == t(language, "appointment_no")

    await h.sms(PHONE, stop)
    assert h.sms_to(PHONE)[-1] == t(language, "stopped")
    async with h.session() as session:
        contact = await session.scalar(select(ContactPoint).where(ContactPoint.address == PHONE))
        assert contact is not None and contact.opted_out_at is not None
        languages = set(
            await session.scalars(select(Message.language).where(Message.direction == "out"))
        )
        assert languages == {language}  # the thread shows each text's language


async def test_ja_nei_stopp_hjelp_work_whatever_the_language(h: Harness) -> None:
    person = await h.person(phone=PHONE, language="uk")
    appointment = await book(h, person["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    await h.sms(PHONE, "JA")
    assert await status_of(h, appointment["id"]) == "confirmed"
    await h.sms(PHONE, "hjelp")
    assert h.sms_to(PHONE)[-1].startswith("Пишіть: ТАК або НІ")
    await h.sms(PHONE, "STOPP")
    assert h.sms_to(PHONE)[-1] == t("uk", "stopped")


async def test_another_languages_yes_is_not_read_as_yes(h: Harness) -> None:
    """Romanian DA is Norwegian "da" (then): for a Norwegian reader it is a message to staff."""
    person = await h.person(phone=PHONE)
    appointment = await book(h, person["id"], oslo(2026, 3, 4, 10, 0))
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    await h.sms(PHONE, "da")
    assert await status_of(h, appointment["id"]) == "scheduled"
    await h.sms(PHONE, "Pomoc")  # help words of every language work for everyone
    assert h.sms_to(PHONE)[-1].startswith("Du kan skrive: JA eller NEI")


@pytest.mark.parametrize("word", ["SPRÅK", "language", "Język"])
async def test_the_language_menu_names_each_language_in_itself(h: Harness, word: str) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, word)
    menu = h.sms_to(PHONE)[-1]
    assert menu.startswith("Svar med tallet:\n1 Norsk\n2 English\n3 Polski")
    assert "6 Українська" in menu and "8 العربية" in menu and "9 Soomaali" in menu
    await h.sms(PHONE, "6")
    assert h.sms_to(PHONE)[-1] == "Тепер ми пишемо вам українською."
    people = await h.items("/api/people")
    assert people[0]["language"] == "uk"
    await h.sms(PHONE, "допомога")
    assert h.sms_to(PHONE)[-1].startswith("Пишіть: ТАК або НІ")


async def test_a_number_not_right_after_the_menu_chooses_nothing(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "SPRÅK")
    await h.sms(PHONE, "hei")
    await h.sms(PHONE, "3")
    people = await h.items("/api/people")
    assert people[0]["language"] == "nb"


async def test_an_unknown_number_is_answered_in_two_languages_naming_language(h: Harness) -> None:
    await h.sms(STRANGER, "Hei, jeg trenger hjelp med et brev")
    [first] = h.sms_to(STRANGER)
    assert "ikke registrert" in first and "not registered" in first and "LANGUAGE" in first
    await h.sms(STRANGER, "LANGUAGE")
    await h.sms(STRANGER, "7")
    assert h.sms_to(STRANGER)[-1] == "Теперь мы пишем вам по-русски."
    await h.advance(days=1)
    await h.sms(STRANGER, "Мне нужна помощь с письмом")
    assert h.sms_to(STRANGER)[-1] == t("ru", "unknown_sender")


# --- the words ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_no_word_means_two_things_to_a_reader_of_any_language(language: str) -> None:
    """What a person of ``language`` may text: each word in one meaning only."""
    meanings = {
        "yes": yes_words(language),
        "no": no_words(language),
        "maybe": maybe_words(language),
        "help": HELP_WORDS,
        "stop": STOP_WORDS,
        "start": START_WORDS,
        "language": LANGUAGE_WORDS,
    }
    seen: dict[str, str] = {}
    for meaning, found in meanings.items():
        for word in found:
            assert word not in seen, f"{language}: {word!r} is {seen[word]} and {meaning}"
            seen[word] = meaning


def test_every_language_other_than_bokmal_and_english_has_its_own_yes_and_no() -> None:
    others = set(LANGUAGES) - {"nb", "en"}
    assert set(LOCAL_YES) == set(LOCAL_NO) == set(LOCAL_MAYBE) == others
    for language in others:
        assert parse_yes_no(t(language, "yes"), language).value == "yes"  # type: ignore[union-attr]
        assert parse_yes_no(t(language, "no"), language).value == "no"  # type: ignore[union-attr]
        maybe = parse_yes_no(t(language, "maybe"), language)
        assert maybe is not None and maybe.value == "maybe"


def test_local_yes_and_no_count_only_for_their_language() -> None:
    assert parse_yes_no("nu", "ro") is not None
    assert parse_yes_no("nu", "nb") is None
    assert parse_yes_no("tak", "nb") is None


# --- the staff app -----------------------------------------------------------------------------


async def test_staff_choose_the_language_and_see_each_texts_language(h: Harness) -> None:
    from tests.staff_app import make_staff, page_csrf, sign_in

    person = await h.person("Oksana Koval", phone=PHONE)
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    path = f"/people/{person['id']}"
    page = await (await h.client.get(path)).text()
    assert '<option value="uk">Ukrainsk (Українська)</option>' in page
    csrf = await page_csrf(h, path)
    resp = await h.client.post(f"{path}/language", data={"language": "xx", "csrf": csrf})
    assert resp.status == 422 and "Velg et språk fra listen." in await resp.text()
    resp = await h.client.post(
        f"{path}/language", data={"language": "uk", "csrf": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    assert (await h.api("GET", f"/api/people/{person['id']}", expect=200))["language"] == "uk"
    await h.sms(PHONE, "допомога")
    page = await (await h.client.get(path)).text()
    assert "Språket er lagret." not in page  # the notice was for the redirect only
    assert '<span class="tag tag-lang"' in page and ">UK</span>" in page
