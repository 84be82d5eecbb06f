"""Appending to the audit log: in the transaction of the change it records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection

from accord.accounts.models import User
from accord.audit.models import AuditEvent, AuditHead
from accord.core.audit import COLUMNS, GENESIS, canonical, check_fields, event_hash

# The maintenance command this process runs, if any: its changes act as nobody and say so.
_MAINTENANCE: ContextVar[str | None] = ContextVar("accord_maintenance", default=None)


@contextmanager
def maintenance(command: str) -> Iterator[None]:
    """Changes made inside act as no user: their events name the command (``accord demo``) with the
    role ``maintenance``, where a workflow's own automatic acts say ``system``."""
    token = _MAINTENANCE.set(command)
    try:
        yield
    finally:
        _MAINTENANCE.reset(token)


def record(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event. Must run inside the transaction that makes the change, so the event
    commits, or rolls back, with it."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit events are recorded inside the transaction of the change they record")
    head = lock_chain()
    command = _MAINTENANCE.get()
    if actor is not None:
        name, role = actor.username, actor.role
    else:
        name, role = (command, "maintenance") if command else ("", "system")
    event = AuditEvent(
        seq=head.seq + 1,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        actor=name,
        actor_role=role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        body=canonical({"before": before, "after": after, "reason": reason}),
        prev_hash=head.hash,
    )
    fields = [getattr(event, c) for c in COLUMNS[:-1]]
    check_fields(fields)
    event.hash = event_hash(fields)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


def lock_chain() -> AuditHead:
    """Lock the chain's head until the transaction ends. ``record`` does it; a use case that will
    lock a facility calls it first, so every transaction takes the two in the same order (head,
    then facility) and two of them never wait for each other."""
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
    return head
