"""Fixtures for every test that touches the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TRANSACTIONAL = {"transactional_db", "live_server", "django_db_serialized_rollback"}


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool(TRANSACTIONAL & set(request.fixturenames))


@pytest.fixture(autouse=True)
def append_only_audit_between_flushes(request: pytest.FixtureRequest) -> Iterator[None]:
    """The audit table refuses DELETE and TRUNCATE, which Django uses to empty the database after a
    transactional test. Such a test runs with the triggers in place; they are removed just before
    the flush and installed again at the start of the next one. Other tests roll back and need nothing."""
    if not _transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    from accord.audit import triggers
    from accord.ledger import triggers as ledger_triggers

    triggers.install(connection)
    ledger_triggers.install(connection)
    yield
    triggers.remove(connection)
    ledger_triggers.remove(connection)


@pytest.fixture(autouse=True)
def english_after_each_test() -> Iterator[None]:
    """LocaleMiddleware activates the language a request asks for in the thread that serves it,
    which in Django's test client is the test's own: a test that asks for Spanish would leave the
    next test in that worker reading Spanish messages. Each test ends back in the default."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def documents_in_a_temporary_folder(settings: Any, tmp_path: Path) -> None:
    """Uploaded hold documents land in the test's own folder, not in the working tree."""
    settings.MEDIA_ROOT = tmp_path / "documents"


@pytest.fixture
def database_refuses(db: Any) -> Callable[[str, str, str], None]:
    """Make the database itself refuse a write, as a crash would: ``install(table, "INSERT",
    "NEW.person_id = 'X'")`` adds a trigger that aborts matching rows (rolled back with the test)."""
    from django.db import connection

    def install(table: str, operation: str, condition: str) -> None:
        name = f"refuse_{table}_{operation.lower()}"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused by the database'; END $$"
                )
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW "
                    f"WHEN ({condition}) EXECUTE FUNCTION {name}()"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                    f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
                )

    return install
