"""Appending to the audit log: in the transaction of the change it records."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from accord import db
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
    if connection.vendor == "postgresql":
        _append_and_advance(event, head)
    else:
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    _hold(head)
    return event


# The event and the head's advance in one statement: every append waits for the head's lock,
# so each round trip made while holding it is one that every other append waits for too.
_APPEND_AND_ADVANCE = (
    f"WITH appended AS (INSERT INTO {AuditEvent._meta.db_table} ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(COLUMNS))}) RETURNING id) "
    f"UPDATE {AuditHead._meta.db_table} SET seq = %s, hash = %s WHERE id = %s RETURNING (SELECT id FROM appended)"
)


def _append_and_advance(event: AuditEvent, head: AuditHead) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_APPEND_AND_ADVANCE, [*(getattr(event, c) for c in COLUMNS), event.seq, event.hash, head.pk])
        row = cursor.fetchone()
    if row is None:  # the head row this transaction locked is gone: never append past it
        raise RuntimeError("the audit chain's head is missing")
    event.pk = row[0]
    event._state.adding, event._state.db = False, connection.alias
    head.seq, head.hash = event.seq, event.hash


def lock_chain() -> AuditHead:
    """Lock the chain's head until the transaction ends. ``record`` does it; a use case that will
    lock a facility calls it first, so every transaction takes the two in the same order (head,
    then facility) and two of them never wait for each other.

    Locked once per transaction: the head this transaction locked, as its own appends left it,
    is kept and given back to the next call, unless the savepoint it was kept in was rolled back
    (which undid those appends and, on PostgreSQL, released the lock): then it is locked and read
    again. An acceptance appended three times and locked the head three times."""
    held = _held_head()
    if held is not None:
        return held
    # Compiled once (every step locks it); the first append of all creates it.
    head = (
        db.first(_head)
        or AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})[0]
    )
    _hold(head)
    return head


def _head() -> QuerySet[AuditHead]:
    return AuditHead.objects.select_for_update().filter(pk=1)[:1]


@dataclass
class _Held:
    head: AuditHead
    marker: _Marker
    index: int  # the marker's place among the transaction's commit hooks
    savepoints: tuple[str, ...]


class _Marker:
    """A commit hook that does nothing: Django drops a transaction's hooks when it ends and those
    of a savepoint when that is rolled back, so a marker still in place means that the head it
    marks is still locked by this transaction and stands as it was kept."""

    def __call__(self) -> None:
        pass


_held = threading.local()  # Django's connections are per thread


def _held_head() -> AuditHead | None:
    held: _Held | None = getattr(_held, "head", None)
    if held is None or not _still_marked(held):
        _held.head = None
        return None
    return held.head


def _still_marked(held: _Held) -> bool:
    # Hooks are only ever appended, or removed from the end (a savepoint's) or all at once: a
    # marker that is still there is where it was put.
    hooks = connection.run_on_commit
    return connection.in_atomic_block and held.index < len(hooks) and hooks[held.index][1] is held.marker


def _hold(head: AuditHead) -> None:
    """Keep ``head`` as this transaction's, marked at the current savepoint (a new marker only
    when the savepoint differs: a transaction of many appends adds one hook)."""
    savepoints = tuple(connection.savepoint_ids)
    held: _Held | None = getattr(_held, "head", None)
    if held is not None and held.head is head and held.savepoints == savepoints and _still_marked(held):
        return
    marker = _Marker()
    connection.on_commit(marker)
    _held.head = _Held(head, marker, len(connection.run_on_commit) - 1, savepoints)
