"""Appending to the audit log: in the transaction of the change it records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from accord.accounts.models import User
from accord.audit.models import AuditEvent, AuditHead
from accord.core.audit import COLUMNS, GENESIS, canonical, check_fields, event_hash


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
    event = AuditEvent(
        seq=head.seq + 1,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        actor=actor.username if actor else "",
        actor_role=actor.role if actor else "system",
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
