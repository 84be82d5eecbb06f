"""Triggers that make ``audit_event`` refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE).

The migration installs them; tests that must empty the database between runs (Django flushes
after transactional tests) remove them first and install them again after (``tests/conftest.py``).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

MESSAGE = "audit_event is append-only"

_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
_SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"]

_POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION audit_event_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP; END $$""",
    "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse()",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse()",
]
_POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
]


def install(connection: BaseDatabaseWrapper) -> None:
    """Install (idempotently) the triggers for the connection's database."""
    _run(connection, _SQLITE if connection.vendor == "sqlite" else _POSTGRES)


def remove(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers: for test teardown, and for tamper tests playing an attacker with the
    database's keys. Nothing in the application calls it."""
    _run(connection, _SQLITE_REMOVE if connection.vendor == "sqlite" else _POSTGRES_REMOVE)


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no audit triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
