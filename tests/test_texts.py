"""The text catalogues: the same keys in both languages, and nothing that doubles SMS cost."""

from __future__ import annotations

import string

import pytest

from handlers.segments import is_gsm7
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


@pytest.mark.parametrize("catalogue", [nb.TEXTS, en.TEXTS], ids=["nb", "en"])
def test_help_names_the_words_people_can_text_and_fits_one_sms(catalogue: dict[str, str]) -> None:
    help_text = catalogue["help"]
    assert len(help_text) <= 160
    words = ("TIMER", "AKTIVITETER", "VAKTER", "FORSLAG", "STOPP")
    if catalogue is en.TEXTS:
        words = ("APPOINTMENTS", "ACTIVITIES", "SHIFTS", "IDEA", "STOP")
    assert all(word in help_text for word in words)
