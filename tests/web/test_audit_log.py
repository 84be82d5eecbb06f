"""The audit log in the database, on SQLite and PostgreSQL: appended with the change or not at
all, refused by the database itself on UPDATE and DELETE, and any tampering done around the
triggers found by `accord audit verify`, which names the first broken event."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from typer.testing import CliRunner

from accord.accounts.models import ApiToken, Role, User
from accord.audit import selectors, triggers
from accord.audit.models import AuditEvent
from accord.audit.selectors import history, verify_chain
from accord.audit.services import lock_chain, record
from accord.cli import app
from accord.people.models import Person

runner = CliRunner()


def append(n: int, object_id: str = "1") -> None:
    for i in range(n):
        with transaction.atomic():
            record(None, "test.event", "case", object_id, after={"i": i}, reason=f"event {i}")


def audit(*args: str) -> Any:
    return runner.invoke(app, ["audit", *args])


@pytest.fixture
def attacker(db: Any) -> Iterator[Callable[[str, list[Any] | None], None]]:
    """Raw SQL with the triggers out of the way, as someone holding the database's keys could."""
    triggers.remove(connection)

    def run(sql: str, params: list[Any] | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])

    yield run
    triggers.install(connection)


@pytest.mark.django_db(transaction=True)
def test_an_event_needs_a_transaction_and_rolls_back_with_it() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(None, "test.event", "case", "1")
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record(None, "test.event", "case", "1")
        1 / 0  # noqa: B018 - the change fails after its event was written
    assert AuditEvent.objects.count() == 0
    append(3)
    assert [e.reason for e in history("case", "1")] == ["event 0", "event 1", "event 2"]
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_transaction_locks_the_head_once_and_an_append_rolled_back_with_its_savepoint_is_not_followed() -> None:
    """The head is locked once per transaction (#11 §8); a savepoint rolled back undoes its
    appends, and the next append links to the head as the database holds it, not as it was kept."""
    append(1)  # the head exists (the first append of all reads it once more: to create it)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        record(None, "test.one", "case", "1")
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            record(None, "test.undone", "case", "2")
            1 / 0  # noqa: B018 - the savepoint rolls back with its event
        record(None, "test.two", "case", "3")
        with transaction.atomic():
            record(None, "test.three", "case", "4")
        lock_chain()  # as a use case that locks a facility does: the head it holds already
        record(None, "test.four", "case", "5")
    head_reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and 'FROM "audit_head"' in q["sql"]]
    assert len(head_reads) == 2, head_reads  # the first append, and again after the rollback
    events = list(AuditEvent.objects.order_by("seq").values_list("seq", "action"))
    assert events == [(1, "test.event"), (2, "test.one"), (3, "test.two"), (4, "test.three"), (5, "test.four")]
    assert verify_chain().ok
    append(1)  # a new transaction locks the head afresh and goes on from it
    assert (AuditEvent.objects.count(), verify_chain().ok) == (6, True)


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"])
def test_the_database_refuses_to_change_or_delete_an_event(db: Any, statement: str) -> None:
    append(2)
    with (
        pytest.raises((DatabaseError, IntegrityError), match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert list(AuditEvent.objects.values_list("actor", flat=True)) == ["", ""]


def test_verify_passes_on_an_intact_log(db: Any) -> None:
    append(4)
    result = audit("verify")
    assert result.exit_code == 0, result.output
    assert "4 events verified; chain intact" in result.output


@pytest.mark.parametrize(
    ("tamper", "broken"),
    [
        ("UPDATE audit_event SET body = replace(body, 'event 2', 'event X') WHERE seq = 3", 3),
        ("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2", 2),
        ("DELETE FROM audit_event WHERE seq = 4", 4),
        ("DELETE FROM audit_event WHERE seq = 6", 6),  # the newest: found against the head
    ],
)
def test_tampering_is_found_and_the_first_broken_event_named(
    attacker: Callable[[str, list[Any] | None], None], tamper: str, broken: int
) -> None:
    append(6)
    attacker(tamper, None)
    result = audit("verify")
    assert result.exit_code == 1
    assert f"chain broken at event {broken}" in result.output.replace("\n", " ")


def test_two_events_reordered_are_found(attacker: Callable[[str, list[Any] | None], None]) -> None:
    append(5)
    second, fourth = (AuditEvent.objects.get(seq=s) for s in (2, 4))
    columns = ("at", "actor", "actor_role", "action", "object_type", "object_id", "body", "prev_hash", "hash")
    for seq, source in ((2, fourth), (4, second)):
        sets = ", ".join(f"{c} = %s" for c in columns)
        attacker(f"UPDATE audit_event SET {sets} WHERE seq = %s", [*(getattr(source, c) for c in columns), seq])
    result = verify_chain()
    assert (result.ok, result.first_broken) == (False, 2)


def test_a_verification_stopped_early_leaves_the_connection_usable(
    attacker: Callable[[str, list[Any] | None], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows stream in chunks; stopping at a broken event abandons the rest of the query, and the
    same connection must go on working (PostgreSQL cancels the streamed query)."""
    monkeypatch.setattr(selectors, "STREAM_CHUNK", 2)
    monkeypatch.setattr(selectors, "FETCH", 2)
    append(9)
    attacker("UPDATE audit_event SET body = replace(body, 'event 2', 'event X') WHERE seq = 3", None)
    result = verify_chain()
    assert (result.ok, result.first_broken, result.checked) == (False, 3, 2)
    append(1)
    assert AuditEvent.objects.count() == 10


def test_a_cut_off_tail_with_a_rewritten_head_is_found_by_the_anchor_an_auditor_kept(
    attacker: Callable[[str, list[Any] | None], None],
) -> None:
    append(6)
    earlier = audit("verify")
    kept = re.search(r"later check .*: (\d+:[0-9a-f]{64})$", earlier.output, re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert kept == f"6:{AuditEvent.objects.get(seq=6).hash}"
    attacker("DELETE FROM audit_event WHERE seq > 4", None)
    attacker("UPDATE audit_head SET seq = 4, hash = %s", [AuditEvent.objects.get(seq=4).hash])

    assert audit("verify").exit_code == 0  # the head was rewritten to match: only an outside record can tell
    result = audit("verify", "--anchor", kept)
    assert result.exit_code == 1
    assert "the log ends at event 4 but an anchor records event 6" in result.output.replace("\n", " ")


def test_a_monitor_checks_the_chain_in_the_browser_against_an_anchor(
    attacker: Callable[[str, list[Any] | None], None], client: Any
) -> None:
    client.force_login(User.objects.create_user(username="inspector", role=Role.MONITOR))
    append(6)
    page = client.get("/audit/", {"check": "1"}).content.decode()
    assert "Chain intact" in page and "6 events verified" in page
    kept = re.search(r'<code class="anchor">(\d+:[0-9a-f]{64})</code>', page).group(1)  # type: ignore[union-attr]
    attacker("DELETE FROM audit_event WHERE seq > 4", None)
    attacker("UPDATE audit_head SET seq = 4, hash = %s", [AuditEvent.objects.get(seq=4).hash])

    page = client.get("/audit/", {"check": "1", "anchors": f"\n{kept}\n"}).content.decode()
    assert "Chain broken at event 5" in page and "an anchor records event 6" in page
    page = client.get("/audit/", {"check": "1", "anchors": "6:abc"}).content.decode()
    assert "Not checked: anchor &#x27;6:abc&#x27;: expected SEQ:HASH" in page and "Chain intact" not in page


@pytest.mark.django_db(transaction=True)
def test_the_api_reports_a_broken_chain_and_checks_anchors(
    attacker: Callable[[str, list[Any] | None], None], live_server: Any
) -> None:
    token = ApiToken.issue(User.objects.create_user(username="inspector", role=Role.MONITOR), "t")[1]
    http = httpx.Client(base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {token}"})
    append(5)
    intact = http.get("/audit/verify").json()
    assert (intact["ok"], intact["events_checked"], intact["first_broken"]) == (True, 5, None)
    assert intact["anchor"] == f"5:{AuditEvent.objects.get(seq=5).hash}"

    attacker("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3", None)
    broken = http.get("/audit/verify", params={"anchor": intact["anchor"]}).json()
    assert (broken["ok"], broken["first_broken"], broken["events_checked"]) == (False, 3, 2)
    assert broken["reason"] == "its hash does not match its contents"
    bad = http.get("/audit/verify", params={"anchor": ["5:" + "a" * 64, "5:" + "b" * 64]})
    assert (bad.status_code, bad.json()["field"]) == (422, "anchor")
    assert "two different hashes" in bad.json()["message"]
    http.close()


def test_an_export_verifies_offline_and_tampering_with_it_is_found(db: Any, tmp_path: Path) -> None:
    append(5)
    out = tmp_path / "audit.jsonl"
    assert audit("export", "--out", str(out)).exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 5
    result = audit("verify", "--file", str(out))
    assert result.exit_code == 0 and "5 events verified" in result.output
    out.write_text(out.read_text(encoding="utf-8").replace("event 1", "event 9"), encoding="utf-8")
    result = audit("verify", "--file", str(out))
    assert result.exit_code == 1 and "event 2" in result.output


def test_a_role_changed_in_the_admin_is_logged(db: Any, client: Any) -> None:
    admin = User.objects.create_superuser(username="root", password="x" * 12, role=Role.ADMIN)
    user = User.objects.create_user(username="clerk", role=Role.MONITOR)
    client.force_login(admin)
    form = {"username": "clerk", "role": Role.LEGAL_REVIEWER, "receiving_state": "", "is_active": "on"}
    form |= {"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    (event,) = history("user", "clerk")
    assert (event.action, event.actor) == ("user.role", "root")
    assert (event.before["role"], event.after["role"]) == ("monitor", "legal_reviewer")


def test_editing_a_person_logs_before_and_after(db: Any, make_person: Callable[..., Person]) -> None:
    from accord.people.services import update_person

    person = make_person("AU1")
    officer = User.objects.create_user(username="o", role=Role.CASE_OFFICER)
    update_person(person, {"status": "citizen"}, user=officer, reason="passport seen")
    created, updated = history("person", "AU1")
    assert created.action == "person.create"
    assert (updated.before, updated.after, updated.reason) == (
        {"status": "undocumented"},
        {"status": "citizen"},
        "passport seen",
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain() -> None:
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            append(10, object_id=str(n))
        except BaseException as err:  # pragma: no cover - reported below
            failures.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 81))
    assert verify_chain().ok
