"""The text catalogues: the same keys in both languages, and nothing that doubles SMS cost."""

from __future__ import annotations

import string

import pytest

from handlers.help_replies import help_text, stranger_help_text
from handlers.segments import count_segments, is_gsm7
from handlers.texts import en, nb


def test_both_languages_have_the_same_texts() -> None:
    assert set(nb.TEXTS) == set(en.TEXTS)


@pytest.mark.parametrize("catalogue", [nb.TEXTS, en.TEXTS], ids=["nb", "en"])
def test_every_text_is_gsm7_so_an_sms_holds_160_characters(catalogue: dict[str, str]) -> None:
    not_gsm = {key: text for key, text in catalogue.items() if not is_gsm7(text)}
    assert not_gsm == {}


@pytest.mark.parametrize("catalogue", [nb.TEXTS, en.TEXTS], ids=["nb", "en"])
def test_every_placeholder_has_a_name(catalogue: dict[str, str]) -> None:
    for key, text in catalogue.items():
        for _, field, _, _ in string.Formatter().parse(text):
            assert field != "", f"{key} has an unnamed placeholder"


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
