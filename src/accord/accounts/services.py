"""Use cases on accounts. Who holds which role, who may sign in with what, and which tokens act
for whom are part of the audit trail: every change here appends an event in its transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accord import db
from accord.accounts.models import ApiToken, Role, User
from accord.audit.services import record

# What an account event records: never the password hash, only that it changed.
AUDITED_FIELDS = ("role", "receiving_state", "is_active", "is_staff", "is_superuser")
TOKEN_NAME_LIMIT = ApiToken._meta.get_field("name").max_length or 100
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class AccountError(ValueError):
    """A refused account change: nothing was changed, and the message says why."""


def access_of(user: User) -> dict[str, Any]:
    return {field: getattr(user, field) for field in AUDITED_FIELDS}


def record_access_change(user: User, before: dict[str, Any] | None, *, by: User | None, reason: str) -> None:
    """Log a created account or a change of role, state binding or activity (inside the caller's transaction)."""
    after = access_of(user)
    if before == after:
        return
    action = "user.create" if before is None else "user.role"
    record(by, action, "user", user.username, before=before, after=after, reason=reason)


def record_password_set(user: User, *, by: User | None, reason: str) -> None:
    """Log that a password was set (by its owner or for them): the only trace of an administrator
    who could then sign in as that user. Inside the caller's transaction."""
    record(by, "user.password", "user", user.username, after={"password": "set"}, reason=reason)


def create_user(username: str, role: str, receiving_state: str = "", *, by: User | None, reason: str) -> User:
    """A new account with its role, validated and logged; it has no usable password until one is set."""
    with transaction.atomic():
        user = User(username=username, role=role, receiving_state=receiving_state)
        user.set_unusable_password()
        user.full_clean()
        user.save()
        record_access_change(user, None, by=by, reason=reason)
    return user


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


def set_password(user: User, password: str, *, by: User | None, reason: str) -> None:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        record_password_set(locked, by=by, reason=reason)


def deactivate(user: User, *, by: User, reason: str) -> User:
    """Accounts are never deleted (the audit trail names them): they are deactivated, which also
    stops every API token of theirs from authenticating."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = access_of(locked)
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        record_access_change(locked, before, by=by, reason=reason)
    return locked


# --- API tokens -------------------------------------------------------------------------------------


def issue_token(owner: User, name: str, *, reason: str = "") -> tuple[ApiToken, str]:
    """A new token for its owner, issued by the owner: nobody, the administrator included, can hold
    a token that acts for someone else. The token is returned once; only its hash is stored."""
    name = name.strip()
    if not name or len(name) > TOKEN_NAME_LIMIT or any(ord(c) < 32 for c in name):
        raise AccountError(f"name: a token needs a name of 1 to {TOKEN_NAME_LIMIT} printable characters")
    if not owner.is_active:
        raise AccountError(f"{owner.username} is not an active user")
    with transaction.atomic():
        row, token = ApiToken.issue(owner, name)
        record(owner, "token.issue", "token", str(row.pk), after=_token_state(row), reason=reason or name)
    return row, token


def set_token_revoked(token: ApiToken, revoked: bool, *, by: User, reason: str) -> ApiToken:
    """Revoke a token (its owner or an administrator) or restore a revoked one (an administrator)."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if locked.revoked == revoked:
            return locked
        if not revoked and by.role != Role.ADMIN:
            raise AccountError("only an administrator restores a revoked token")
        if by.pk != locked.user_id and by.role != Role.ADMIN:
            raise AccountError("a token is revoked by its owner or an administrator")
        before = _token_state(locked)
        locked.revoked = revoked
        locked.save(update_fields=["revoked"])
        action = "token.revoke" if revoked else "token.restore"
        record(by, action, "token", str(locked.pk), before=before, after=_token_state(locked), reason=reason)
    return locked


def user_for_token(token: str) -> User | None:
    """The active user a bearer token acts for, or None (unknown, revoked, or the user deactivated)."""
    row = db.first(_unrevoked, ApiToken.hash(token))  # every API request asks: compiled once
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    # Recorded to the minute: a write on every request would double the cost of a read.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def _unrevoked(digest: str) -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user").filter(digest=digest, revoked=False).order_by("pk")[:1]


def _token_state(token: ApiToken) -> dict[str, Any]:
    return {"owner": token.user.username, "name": token.name, "revoked": token.revoked}
