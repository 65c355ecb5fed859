"""The check-in and office-hours rules without a server: schedules, silence, scores, hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.checkins import (
    asks_on,
    free_text_of,
    is_worrying,
    next_occurrence,
    nudge_is_due,
    register_answer,
    register_missed,
)
from handlers.errors import InputError
from handlers.keywords import parse_scale
from handlers.office_hours import is_open, next_opening
from handlers.sites import DEFAULT_OPENING_HOURS
from handlers.texts import t
from storage.models import CheckinPlan

OSLO = ZoneInfo("Europe/Oslo")
QUIET = (time(21, 0), time(8, 0))


def plan(**values: object) -> CheckinPlan:
    defaults: dict[str, object] = {
        "schedule": "fixed",
        "every": "daily",
        "weekday": None,
        "at": "10:00",
        "starts_on": date(2026, 3, 2),
        "escalate_after_missed": 3,
        "low_score_threshold": 2,
        "missed_in_row": 0,
    }
    return CheckinPlan(**(defaults | values))


def oslo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def asked_days(p: CheckinPlan, first: date, days: int) -> list[date]:
    return [first + timedelta(n) for n in range(days) if asks_on(p, first + timedelta(n))]


def test_daily_plan_next_time_is_tomorrow_at_the_same_local_time_across_dst() -> None:
    p = plan(at="10:00")
    # Saturday 28 March 2026 is CET (UTC+1); Sunday 29 March is CEST (UTC+2).
    after = oslo(2026, 3, 28, 10, 0)
    nxt = next_occurrence(p, OSLO, after)
    assert nxt == oslo(2026, 3, 29, 10, 0)
    assert nxt.astimezone(UTC).hour == 8  # 10:00 summer time, not 09:00


def test_weekly_plan_asks_only_on_its_weekday() -> None:
    p = plan(every="weekly", weekday=3)  # Thursday
    assert next_occurrence(p, OSLO, oslo(2026, 3, 2, 12, 0)) == oslo(2026, 3, 5, 10, 0)
    assert next_occurrence(p, OSLO, oslo(2026, 3, 5, 10, 0)) == oslo(2026, 3, 12, 10, 0)


def test_a_plan_does_not_ask_before_it_starts() -> None:
    p = plan(starts_on=date(2026, 3, 10))
    assert next_occurrence(p, OSLO, oslo(2026, 3, 2, 12, 0)) == oslo(2026, 3, 10, 10, 0)


def test_transition_plan_tapers_daily_then_twice_a_week_then_weekly() -> None:
    start = date(2026, 3, 2)  # a Monday, the day of discharge
    p = plan(schedule="transition", starts_on=start, weekday=0)
    week1 = asked_days(p, start, 7)
    weeks2_4 = asked_days(p, start + timedelta(7), 21)
    after = asked_days(p, start + timedelta(28), 21)
    assert len(week1) == 7
    assert [d.weekday() for d in weeks2_4] == [0, 3] * 3  # Monday and Thursday
    assert [d.isoformat() for d in after] == ["2026-03-30", "2026-04-06", "2026-04-13"]


def test_transition_plan_starting_midweek_keeps_its_own_weekday_afterwards() -> None:
    start = date(2026, 3, 4)  # Wednesday
    p = plan(schedule="transition", starts_on=start, weekday=None)
    later = asked_days(p, start + timedelta(28), 14)
    assert [d.weekday() for d in later] == [2, 2]


def test_nudge_waits_its_time_and_never_comes_in_quiet_hours() -> None:
    asked = oslo(2026, 3, 2, 10, 0)
    assert not nudge_is_due(asked, 240, oslo(2026, 3, 2, 13, 59), OSLO, QUIET)
    assert nudge_is_due(asked, 240, oslo(2026, 3, 2, 14, 0), OSLO, QUIET)
    late = oslo(2026, 3, 2, 19, 0)
    assert not nudge_is_due(late, 240, oslo(2026, 3, 2, 23, 0), OSLO, QUIET)
    assert nudge_is_due(late, 240, oslo(2026, 3, 3, 8, 0), OSLO, QUIET)
    assert not nudge_is_due(asked, 0, oslo(2026, 3, 3, 12, 0), OSLO, QUIET)  # nudges off


def test_silence_escalates_after_n_in_a_row_and_an_answer_starts_the_count_again() -> None:
    p = plan(escalate_after_missed=3)
    assert [register_missed(p) for _ in range(3)] == [False, False, True]
    assert p.missed_in_row == 3
    assert [register_missed(p) for _ in range(3)] == [False, False, True]  # again, never ends
    register_answer(p)
    assert p.missed_in_row == 0
    assert register_missed(p) is False


def test_low_score_threshold() -> None:
    p = plan(low_score_threshold=2)
    assert is_worrying(p, 1) and is_worrying(p, 2)
    assert not is_worrying(p, 3)
    assert not is_worrying(plan(low_score_threshold=0), 1)


def test_free_text_is_kept_as_written() -> None:
    answer = parse_scale("4 Ok i dag, litt sliten")
    assert answer is not None
    assert free_text_of("4 Ok i dag, litt sliten", answer) == "Ok i dag, litt sliten"
    bare = parse_scale("3")
    assert bare is not None and free_text_of("3", bare) is None


def test_bad_time_of_day_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        next_occurrence(plan(at="25:00"), OSLO, oslo(2026, 3, 2, 10, 0))
    assert "at" in caught.value.fields


def test_office_hours_open_closed_and_next_opening() -> None:
    hours = DEFAULT_OPENING_HOURS  # weekdays 08:00-16:30
    assert is_open(hours, oslo(2026, 3, 2, 10, 0), OSLO)
    assert not is_open(hours, oslo(2026, 3, 2, 16, 30), OSLO)
    friday_evening = oslo(2026, 3, 6, 18, 0)
    assert next_opening(hours, friday_evening, OSLO) == oslo(2026, 3, 9, 8, 0)
    assert next_opening(hours, oslo(2026, 3, 3, 7, 0), OSLO) == oslo(2026, 3, 3, 8, 0)
    assert is_open({}, friday_evening, OSLO)  # no hours set: never "closed"


def test_office_hours_past_midnight() -> None:
    night = {"4": [["22:00", "02:00"]]}  # Friday night shelter
    assert is_open(night, oslo(2026, 3, 7, 1, 0), OSLO)  # Saturday 01:00
    assert not is_open(night, oslo(2026, 3, 7, 3, 0), OSLO)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_checkin_texts_fit_one_sms(language: str) -> None:
    when = "onsdag 11. november kl. 08:00"
    for key in (
        "checkin_question",
        "checkin_thanks",
        "checkin_low_reply",
        "crisis_reply",
        "office_closed",
        "office_closed_unknown",
    ):
        assert len(t(language, key, when=when)) <= 160, key
    nudge = f"{t(language, 'checkin_nudge')} {t(language, 'checkin_question')}"
    assert len(nudge) <= 160
