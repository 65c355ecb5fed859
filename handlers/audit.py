"""The audit trail of staff actions, written by the API and the staff pages alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from storage.models import AuditEntry, StaffUser


def audit(
    session: AsyncSession,
    clock: Clock,
    staff: StaffUser | None,
    action: str,
    target_type: str | None = None,
    target_id: int | None = None,
    **detail: Any,
) -> None:
    """Record a staff action: ids and field names only, never texts or health data."""
    session.add(
        AuditEntry(
            staff_user_id=staff.id if staff else None,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
            at=clock.now(),
        )
    )
