"""The text catalogues: every language has every text with the same placeholders, every text
fits two SMS in its own encoding, bokmål and English stay GSM-7, and the PO files, their
compiled .mo files and the README agree."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from handlers.help_replies import help_text, stranger_help_text
from handlers.localtime import format_day
from handlers.segments import count_segments, is_gsm7
from handlers.texts import LANGUAGES, NB_EN_ONLY, catalogue, mo_path, po_path, t
from handlers.texts.port import REVIEW_LINE

ROOT = Path(__file__).resolve().parent.parent
OTHERS = [language for language in LANGUAGES if language not in ("nb", "en")]


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_bokmal_and_english_have_the_same_texts() -> None:
    assert set(catalogue("nb")) == set(catalogue("en"))


def test_every_language_has_every_text() -> None:
    """Lists, per language, the keys it would say in English (after a merge: translate them)."""
    wanted = set(catalogue("en")) - NB_EN_ONLY
    missing = {
        language: sorted(wanted - set(catalogue(language)))
        for language in OTHERS
        if wanted - set(catalogue(language))
    }
    assert missing == {}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_text_has_the_same_placeholders_as_english(language: str) -> None:
    english = catalogue("en")
    differing = {
        key: (sorted(placeholders(text)), sorted(placeholders(english[key])))
        for key, text in catalogue(language).items()
        if placeholders(text) != placeholders(english[key])
    }
    assert differing == {}
    for key, text in catalogue(language).items():
        assert "" not in placeholders(text), f"{key} has an unnamed placeholder"


@pytest.mark.parametrize("language", ["nb", "en"])
def test_bokmal_and_english_are_gsm7_so_an_sms_holds_160_characters(language: str) -> None:
    not_gsm = {key: text for key, text in catalogue(language).items() if not is_gsm7(text)}
    assert not_gsm == {}


def sample_values(language: str) -> dict[str, object]:
    """What a placeholder typically holds, in ``language``: a real day, a street, a code."""
    day = format_day(date(2026, 3, 3), language)
    return {
        "title": "Legetime",
        "when": t(language, "when_day", day=day, clock="10:00"),
        "place": ", Storgata 1",
        "where": ", Storgata 1",
        "name": "Anna",
        "description": "",
        "code": "K1",
        "codes": "K1, T2",
        "example": "K1",
        "day": day,
        "clock": "10:00",
        "start": "10:00",
        "end": "12:00",
        "count": 3,
        "lines": "1 Kafe fredag",
        "label": "Kafe fredag",
        "site": "Los",
        "words": "",
        "text": "Hei",
        # follow-up
        "days": 14,
        "hint": "",
        "signal": "text",
        "hours": 2,
        "total": 12,
        "items": "texts from us",
        "party": "NAV",
        "parties": "NAV",
        "volunteer": "Anna",
        "participant": "Ola",
        "score": 4,
        # surveys
        "n": 1,
        "question": "Hvordan liker du maten?",
        "how": "Svar 1 til 5.",
    }


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_text_fits_two_sms_in_its_own_encoding(language: str) -> None:
    """GSM-7 160/153 a part; any letter outside it (Cyrillic, Arabic, ł, ș) makes UCS-2, 70/67."""
    values = sample_values(language)
    too_long = {}
    for key, template in catalogue(language).items():
        text = template.format(**values)
        if key == "help":
            text = help_text(language, ["participant", "volunteer"])
        counted = count_segments(text)
        if counted.segments > 2:
            too_long[key] = f"{counted.units} {counted.encoding}: {text}"
    assert too_long == {}


def test_a_language_lacking_a_text_says_it_in_english() -> None:
    assert t("pl", "flood_inbox") == catalogue("en")["flood_inbox"]
    assert t("xx", "stopped") == catalogue("nb")["stopped"]


def test_dates_read_in_the_persons_language() -> None:
    moment = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    from handlers.localtime import format_when

    oslo = ZoneInfo("Europe/Oslo")
    assert format_when(moment, oslo, "pl", today=date(2026, 3, 2)) == "jutro o 10:00"
    assert format_when(moment, oslo, "uk") == "вівторок 3 березня о 10:00"
    assert format_when(moment, oslo, "nb", today=date(2026, 3, 3)) == "i dag kl. 10:00"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_compiled_mo_matches_the_po(language: str) -> None:
    """``make texts`` was run: what the wheel ships is what translators wrote."""
    with po_path(language).open("rb") as handle:
        po = {m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    with mo_path(language).open("rb") as handle:
        mo = {m.id: m.string for m in read_mo(handle) if m.id}
    assert mo == po


def review_status() -> dict[str, str]:
    status = {}
    for language in LANGUAGES:
        head = po_path(language).read_text(encoding="utf-8").split('msgid ""', 1)[0]
        found = re.search(rf"{REVIEW_LINE} (\w+)", head)
        assert found, f"{language}.po does not say whether a native speaker reviewed it"
        status[language] = found.group(1)
    return status


def test_each_po_header_says_whether_a_native_speaker_reviewed_it_and_the_readme_agrees() -> None:
    status = review_status()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for language, reviewed in status.items():
        row = re.search(rf"^\|[^\n]*\| `{language}` \| (yes|no) \|", readme, re.MULTILINE)
        assert row, f"README has no row for {language}"
        assert row.group(1) == reviewed, language


ROLE_SETS = [[], ["participant"], ["volunteer"], ["participant", "volunteer"], ["staff"]]


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("roles", ROLE_SETS, ids=lambda r: "+".join(r) or "none")
def test_help_for_every_role_set_fits_one_sms(language: str, roles: list[str]) -> None:
    text = help_text(language, roles)
    assert count_segments(text).segments == 1, text
    assert ("FORSLAG" if language == "nb" else "IDEA") in text
    assert ("STOPP" if language == "nb" else "STOP") in text


def test_help_names_only_the_words_of_the_persons_roles() -> None:
    participant = help_text("nb", ["participant"])
    assert "TIMER" in participant and "AKTIVITETER" in participant
    assert "VAKTER" not in participant and "AVBUD" not in participant
    volunteer = help_text("en", ["volunteer"])
    assert "SHIFTS" in volunteer and "CANCEL" in volunteer


@pytest.mark.parametrize(
    "name", ["Los", "Kirkens Bymisjon Dagsenter for rusavhengige i Oslo sentrum"]
)
def test_help_for_unknown_numbers_is_in_both_languages_within_two_sms(name: str) -> None:
    text = stranger_help_text(name)
    assert "registrert" in text and "registered" in text
    assert is_gsm7(text) and count_segments(text).segments <= 2


def test_port_moves_keys_left_in_the_old_dicts_into_the_catalogues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a merge that added keys to nb.py/en.py, ``make texts`` puts them in nb.po/en.po,
    gives the other languages an untranslated entry (English at run time) and empties the dicts."""
    import shutil

    from handlers import texts
    from handlers.texts import en, nb, port

    shutil.copytree(texts.LOCALE_DIR, tmp_path / "locale")
    for name in ("nb", "en"):
        (tmp_path / f"{name}.py").write_text('"""Doc."""\n\nTEXTS: dict[str, str] = {"x": "y"}\n')
    monkeypatch.setattr(texts, "LOCALE_DIR", tmp_path / "locale")
    monkeypatch.setattr(port, "SOURCE_FILES", {n: tmp_path / f"{n}.py" for n in ("nb", "en")})
    monkeypatch.setitem(nb.TEXTS, "merged_key", "Hei {name}, ny tekst.")
    monkeypatch.setitem(en.TEXTS, "merged_key", "Hi {name}, new text.")

    assert port.main() == 0

    def entries(language: str) -> dict[str, str]:
        with texts.po_path(language).open("rb") as handle:
            return {str(m.id): str(m.string) for m in read_po(handle) if m.id}

    assert entries("nb")["merged_key"] == "Hei {name}, ny tekst."
    assert entries("en")["merged_key"] == "Hi {name}, new text."
    assert entries("pl")["merged_key"] == ""  # untranslated: said in English until translated
    assert 'msgid "merged_key"' in (tmp_path / "locale" / "los.pot").read_text()
    assert (tmp_path / "nb.py").read_text() == '"""Doc."""\n\nTEXTS: dict[str, str] = {}\n'
    with texts.mo_path("en").open("rb") as handle:
        assert "merged_key" in {m.id for m in read_mo(handle)}
