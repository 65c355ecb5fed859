"""The optional fields the yearly report counts people by (gender, municipality, the outcome and
date of the intake conversation), read from the staff app's person form. The API reads the same
fields through its own models (bot/api/people.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from handlers.errors import InputError
from storage.models import Person
from storage.models.states import IntakeOutcome

GENDERS = ("woman", "man", "other")
OUTCOMES = tuple(o.value for o in IntakeOutcome)
MUNICIPALITY_MAX = 80


@dataclass(frozen=True)
class ReportFields:
    gender: str | None
    municipality: str | None
    intake_outcome: str | None
    intake_on: date | None


def parse_day(raw: str) -> date:
    """``2026-03-10`` (a date field) or ``10.03.2026`` (typed by hand)."""
    try:
        if "." in raw:
            return datetime.strptime(raw, "%d.%m.%Y").date()
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError({"intake_on": "invalid"}) from None


def from_form(
    gender: str, municipality: str, intake_outcome: str, intake_on: str, today: date
) -> ReportFields:
    """Empty means "not recorded". An outcome without a date is dated today; a date without an
    outcome is refused rather than dropped."""
    gender, place = gender.strip(), " ".join(municipality.split())
    outcome, day_raw = intake_outcome.strip(), intake_on.strip()
    if gender and gender not in GENDERS:
        raise InputError({"gender": "invalid"})
    if len(place) > MUNICIPALITY_MAX:
        raise InputError({"municipality": "too_long"})
    if outcome and outcome not in OUTCOMES:
        raise InputError({"intake_outcome": "invalid"})
    day = parse_day(day_raw) if day_raw else None
    if day is not None and not outcome:
        raise InputError({"intake_on": "no_outcome"})
    if day is not None and not 1900 <= day.year <= 2200:
        raise InputError({"intake_on": "invalid"})
    return ReportFields(
        gender or None, place or None, outcome or None, (day or today) if outcome else None
    )


def apply(person: Person, fields: ReportFields) -> None:
    person.gender = fields.gender
    person.municipality = fields.municipality
    person.intake_outcome = fields.intake_outcome
    person.intake_on = fields.intake_on
