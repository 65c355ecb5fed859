"""Crisis words, without a server: what must be caught, and harmless texts that must not be."""

from __future__ import annotations

import pytest

from handlers.crisis import CRISIS_PHRASES, find_crisis
from handlers.texts import t


@pytest.mark.parametrize(
    "text",
    [
        "Jeg tenker på selvmord",
        "SELVMORD",
        "jeg vil ta livet mitt i natt",
        "Jeg skal ta livet av meg",
        "vil ikke leve lenger...",
        "tok en overdose",
        "Overdose!!",
        "I want to kill myself",
        "thinking about suicide",
        "I'm going to end my life",
        "I don't want to live",
        "i dont want to live anymore",
        "4 vil ikke leve",
    ],
)
def test_crisis_words_are_caught(text: str) -> None:
    assert find_crisis(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Påmelding til selvmordsforebygging-kurset",
        "Selvmordsforebyggende arbeid",
        "overdosekurs på torsdag",
        "Overdose-kurs med nalokson",
        "naloxone course tomorrow",
        "suicide prevention course",
        "Jeg vil gjerne leve litt bedre",
        "livet mitt er bra nå",
        "MELD KINO",
        "jeg leverte papirene",
        "",
    ],
)
def test_harmless_texts_are_not_a_crisis(text: str) -> None:
    assert find_crisis(text) is None


def test_every_phrase_in_the_list_matches_itself() -> None:
    for phrases in CRISIS_PHRASES.values():
        for phrase in phrases:
            assert find_crisis(phrase) is not None, phrase


def test_the_reply_gives_the_emergency_numbers_in_both_languages() -> None:
    for language in ("nb", "en"):
        text = t(language, "crisis_reply")
        assert "113" in text and "116 117" in text and "116 123" in text
        assert len(text) <= 160
