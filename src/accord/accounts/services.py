"""Use cases on accounts: who holds which role is part of the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accord.accounts.models import User
from accord.audit.services import record

AUDITED_FIELDS = ("role", "receiving_state", "is_active", "is_staff", "is_superuser")


def access_of(user: User) -> dict[str, Any]:
    return {field: getattr(user, field) for field in AUDITED_FIELDS}


def record_access_change(user: User, before: dict[str, Any] | None, *, by: User | None, reason: str) -> None:
    """Log a created account or a change of role, state binding or activity (inside the caller's transaction)."""
    after = access_of(user)
    if before == after:
        return
    action = "user.create" if before is None else "user.role"
    record(by, action, "user", user.username, before=before, after=after, reason=reason)


def set_role(user: User, role: str, receiving_state: str = "", *, by: User, reason: str) -> User:
    """Give a user a role (and, for a receiving officer, a state), validated and logged together."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = access_of(locked)
        locked.role, locked.receiving_state = role, receiving_state
        locked.full_clean()
        locked.save()
        record_access_change(locked, before, by=by, reason=reason)
    return locked
