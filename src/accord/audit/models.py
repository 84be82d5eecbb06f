"""The append-only audit log. Triggers (``triggers.py``) make the table refuse UPDATE and DELETE
on both databases; the hash chain (``accord.core.audit``) makes any change made around them visible."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import models


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    # ISO 8601 text in UTC: hashed exactly as stored, whatever the database does to datetimes.
    at = models.CharField(max_length=40)
    actor = models.CharField(max_length=150, blank=True, default="", help_text="Username; empty: the system.")
    actor_role = models.CharField(max_length=32, blank=True, default="")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    # Canonical JSON {"before", "after", "reason"}: text, so no database reorders or reformats it.
    body = models.TextField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "audit_event"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_id}"

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at)

    @property
    def content(self) -> dict[str, Any]:
        content: dict[str, Any] = json.loads(self.body)
        return content

    @property
    def before(self) -> dict[str, Any] | None:
        return self.content.get("before")

    @property
    def after(self) -> dict[str, Any] | None:
        return self.content.get("after")

    @property
    def reason(self) -> str:
        return str(self.content.get("reason", ""))


class AuditHead(models.Model):
    """The chain's last (seq, hash). Locked by every append, so concurrent appends queue instead of
    forking the chain; compared by ``verify`` to detect events deleted from the end."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "audit_head"
