"""Changing a site's settings: one rule for the API and the settings page."""

from __future__ import annotations

from typing import Any

from handlers import sites as rules
from handlers.appointments import check_reminders
from storage.models import Site


def apply_site_fields(site: Site, fields: dict[str, Any]) -> None:
    """Check and set the given fields; each bad one is a 422 naming it."""
    if "name" in fields:
        site.name = fields["name"].strip()
    if "timezone" in fields:
        site.timezone = rules.check_timezone(fields["timezone"])
    if "opening_hours" in fields:
        site.opening_hours = rules.check_opening_hours(fields["opening_hours"])
    if "quiet_hours" in fields:
        site.quiet_hours = rules.check_quiet_hours(fields["quiet_hours"])
    if "default_reminders" in fields:
        site.default_reminders = check_reminders(fields["default_reminders"], "default_reminders")
    if "sms_number" in fields:
        site.sms_number = rules.check_sms_number(fields["sms_number"])
