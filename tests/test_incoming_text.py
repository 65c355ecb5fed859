"""The one normalisation at the edge, and the words it lets the router recognise."""

from __future__ import annotations

import pytest

from handlers.help_replies import help_text
from handlers.incoming_text import MAX_TEXT, clean_text
from handlers.keywords import bot_command, is_stop
from handlers.texts import catalogue


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Hei \ud83d kan dere ringe meg?", "Hei \ufffd kan dere ringe meg?"),
        ("\udc00 alene", "\ufffd alene"),
        ("STOPP\x00", "STOPP"),
        ("a\x01b\x7fc\x9fd", "abcd"),
        ("linje 1\r\nlinje 2\tx", "linje 1\r\nlinje 2\tx"),
        ("pa\u030a", "på"),
        ("ＳＴＯＰ", "ＳＴＯＰ"),  # kept as written; only matching folds it
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
        (None, ""),
    ],
)
def test_clean_text(raw: str | None, clean: str) -> None:
    assert clean_text(raw) == clean
    clean_text(raw).encode("utf-8")  # always storable


def test_a_text_is_kept_whole_up_to_a_generous_limit() -> None:
    assert len(clean_text("x" * 4096)) == 4096
    assert len(clean_text("x" * (MAX_TEXT + 10))) == MAX_TEXT


@pytest.mark.parametrize(
    "text",
    [
        "STOPP",
        "stop",
        "Stopp!",
        "ＳＴＯＰ",
        "STOPALL",
        "unsubscribe",
        "END",
        "quit.",
        "AVSLUTT",
        "Stopp\nSendt fra min iPhone",
        "END\nSent from my phone",
    ],
)
def test_opt_out_words(text: str) -> None:
    assert is_stop(text)


@pytest.mark.parametrize(
    "text", ["CANCEL", "End of the week works", "quit smoking is hard", "stoppested?", "", "ok"]
)
def test_not_opt_out(text: str) -> None:
    assert not is_stop(text)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/start ABC123", ("start", ["ABC123"])),
        ("/start@los_bot ABC123", ("start", ["ABC123"])),
        ("/START", ("start", [])),
        ("start ABC", None),
        ("", None),
    ],
)
def test_bot_command(text: str, command: tuple[str, list[str]] | None) -> None:
    assert bot_command(text) == command


def test_help_says_cancel_is_for_shifts_not_for_stopping() -> None:
    # Help lists the words of the person's roles; AVBUD/CANCEL is a volunteer's.
    assert "AVBUD for en vakt" in help_text("nb", ["volunteer"])
    assert "CANCEL for a shift" in help_text("en", ["volunteer"])
    assert catalogue("nb")["word_cancel_shift"] == "AVBUD for en vakt"
    assert catalogue("en")["word_cancel_shift"] == "CANCEL for a shift"
