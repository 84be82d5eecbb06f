"""Reads of the audit log: an object's history, and the whole chain for verification and export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import connection
from django.db.models import Q

from accord.audit.models import AuditEvent, AuditHead
from accord.core.audit import COLUMNS, Verification, verify

FETCH = 20_000  # rows per round trip of SQLite's cursor
STREAM_CHUNK = 1_000  # rows per chunk of PostgreSQL's streamed result


def history(object_type: str, object_id: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq"))


def events_for_objects(subjects: Iterable[tuple[str, str]]) -> list[AuditEvent]:
    """The events of several objects (a case and its reservations), in chain order."""
    query = Q(pk__in=[])
    for object_type, object_id in subjects:
        query |= Q(object_type=object_type, object_id=str(object_id))
    return list(AuditEvent.objects.filter(query).order_by("seq"))


def stored_rows() -> Iterator[tuple[Any, ...]]:
    """Every event as stored (COLUMNS order, by seq), streamed with a plain cursor: the ORM would
    build a model object per row, which a million rows cannot afford."""
    query = f"SELECT {', '.join(COLUMNS)} FROM audit_event ORDER BY seq"
    if connection.vendor == "postgresql":
        # One query whose rows arrive in chunks (libpq's chunked-rows mode): twice as fast as a
        # server-side cursor's FETCH round trips (bench/workflow.py), and psycopg cancels the
        # query if verification stops at a broken event.
        with connection.cursor() as cursor:
            yield from cursor.cursor.stream(query, size=STREAM_CHUNK)
        return
    with connection.chunked_cursor() as cursor:
        cursor.execute(query)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


def verify_chain(anchors: Mapping[int, str] | None = None) -> Verification:
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return verify(stored_rows(), head or (0, ""), anchors)
