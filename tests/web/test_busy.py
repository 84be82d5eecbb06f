"""A step that meets a locked database (SQLite) runs again after a backoff, and when the database
stays locked through every attempt it answers "busy" — the API's 503 with Retry-After, a "try
again" message on the page, a distinct exit code on the command line — having changed nothing.

The lock is SQLite's own: a second, real connection holds ``BEGIN IMMEDIATE`` while the step
runs, with a lock wait of 50 ms so that every attempt fails fast."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from typer.testing import CliRunner

from accord.accounts.models import ApiToken, User
from accord.audit.models import AuditEvent
from accord.capacity.models import Reservation
from accord.cases import steps as case_steps
from accord.cases.models import Case
from accord.cli import app
from accord.cli.common import BUSY_EXIT

from .test_screening_ahead import felon, referred

pytestmark = pytest.mark.django_db(transaction=True)  # the second connection sees committed data


class WriteLock:
    """SQLite's write lock, held by a connection of its own (as another process would hold it)."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5)
        self.held = False

    def take(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.held = True

    def release(self) -> None:
        if self.held:
            self.db.execute("ROLLBACK")
            self.held = False


@pytest.fixture
def write_lock(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteLock]:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's database lock; PostgreSQL has row locks")
    settings.ACCORD_BUSY_ATTEMPTS, settings.ACCORD_BUSY_BACKOFF, settings.ACCORD_BUSY_BACKOFF_MAX = 3, 0.01, 0.02
    settings.ACCORD_BUSY_RETRY_AFTER = 7
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.05)  # every connection opened from now
    connection.close()
    lock = WriteLock(str(connection.settings_dict["NAME"]))
    try:
        yield lock
    finally:
        lock.release()
        lock.db.close()
        connection.close()


def untouched(case_id: int, events: int) -> None:
    """Nothing of the step was written: the case as it was, no place, no audit event."""
    assert Case.objects.get(pk=case_id).state == "referred"
    assert not Reservation.objects.filter(case_id=case_id).exists()
    assert AuditEvent.objects.count() == events


def test_a_step_that_meets_a_locked_database_runs_again_and_succeeds_once_it_is_released(
    users: dict[str, User], facilities: None, make_person: Any, write_lock: WriteLock
) -> None:
    case_id = referred(felon(make_person, "B1"), users)
    retries: list[str] = []

    class ReleaseOnRetry(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            retries.append(record.getMessage())
            write_lock.release()  # the other writer commits while this one backs off

    handler, busy_log = ReleaseOnRetry(level=logging.INFO), logging.getLogger("accord.busy")
    busy_log.addHandler(handler)
    level, busy_log.level = busy_log.level, logging.INFO
    write_lock.take()
    try:
        done = case_steps.take_step(case_id, "accept", user=users["salvador"])
    finally:
        busy_log.removeHandler(handler)
        busy_log.setLevel(level)

    assert len(retries) == 1 and "attempt 1 of 3" in retries[0]
    assert done.case.state == "accepted" and done.reservation is not None
    assert Reservation.objects.filter(case_id=case_id, status="held").count() == 1
    assert AuditEvent.objects.filter(action="case.accept", object_id=str(case_id)).count() == 1


def test_a_database_that_stays_locked_answers_busy_on_the_api_the_page_and_the_cli_and_changes_nothing(
    users: dict[str, User],
    tokens: dict[str, str],
    facilities: None,
    make_person: Any,
    write_lock: WriteLock,
    live_server: Any,
) -> None:
    case_id = referred(felon(make_person, "B2"), users)
    ApiToken.objects.update(last_used_at=timezone.now())  # signing in writes nothing while the lock is held
    page = Client()
    page.force_login(users["salvador"])
    events = AuditEvent.objects.count()
    api = httpx.Client(
        base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {tokens['salvador']}"}, timeout=60
    )

    declared = api.get("/openapi.json").json()["paths"]["/api/v1/cases/{case_id}/steps"]["post"]["responses"]
    assert "503" in declared  # the document says what the endpoint answers

    write_lock.take()
    try:
        answer = api.post(f"/cases/{case_id}/steps", json={"step": "accept"})
        shown = page.post(f"/cases/{case_id}/step/", {"step": "accept"}, follow=True)
        typed = CliRunner().invoke(
            app, ["case", "step", str(case_id), "accept"], env={"ACCORD_TOKEN": tokens["salvador"]}
        )
    finally:
        write_lock.release()
        api.close()

    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "7"
    assert answer.json() == {"message": answer.json()["message"], "field": None}
    assert "busy" in answer.json()["message"] and "nothing was changed" in answer.json()["message"]
    messages = " ".join(str(m) for m in shown.context["messages"])
    assert "busy" in messages and "try the accept step again" in messages
    assert typed.exit_code == BUSY_EXIT
    assert "busy" in " ".join(typed.output.split())
    untouched(case_id, events)
