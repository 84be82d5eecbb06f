"""Triggers that make the ledger append-only and balanced, on SQLite and PostgreSQL alike.

- ``ledger_posting``, ``ledger_transaction``, ``ledger_line``, ``ledger_invoice`` and
  ``ledger_invoiceline`` refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE).
- A transaction row is inserted after its postings (its id is chosen first; foreign keys are
  checked at commit): the insert is refused unless there are at least two postings and they sum to
  zero in every currency; a posting for a transaction that already exists is refused, so a
  balanced transaction cannot be unbalanced afterwards.
- Nothing is added to a closed month (transaction, line, invoice), and a closed month's row never
  changes nor is deleted.

As for the audit log, the migration installs them; tests that flush the database remove them first
(``tests/conftest.py``).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

IMMUTABLE = [
    "ledger_posting",
    "ledger_transaction",
    "ledger_line",
    "ledger_invoice",
    "ledger_invoiceline",
    "ledger_transitassessment",
]
MESSAGE = "the ledger is append-only"
UNBALANCED = "ledger transaction does not balance"
CLOSED = "ledger month is closed"
LATE_POSTING = "ledger transaction already recorded: postings cannot be added"

_UNBALANCED_SQL = (
    "(SELECT COUNT(*) FROM ledger_posting WHERE transaction_id = NEW.id) < 2 OR EXISTS (SELECT 1 FROM "
    "ledger_posting WHERE transaction_id = NEW.id GROUP BY currency HAVING SUM(amount_minor) <> 0)"
)
_CLOSED_SQL = "EXISTS (SELECT 1 FROM ledger_month WHERE id = NEW.month_id AND status = 'closed')"
_INTO_MONTH = ["ledger_transaction", "ledger_line", "ledger_invoice", "ledger_transitassessment"]


def _sqlite(tables: set[str]) -> list[str]:
    out: list[str] = []
    for table in (t for t in IMMUTABLE if t in tables):
        for op in ("UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    out.append(
        "CREATE TRIGGER IF NOT EXISTS ledger_transaction_balanced BEFORE INSERT ON ledger_transaction "
        f"WHEN {_UNBALANCED_SQL} BEGIN SELECT RAISE(ABORT, '{UNBALANCED}'); END"
    )
    out.append(
        "CREATE TRIGGER IF NOT EXISTS ledger_posting_not_late BEFORE INSERT ON ledger_posting "
        "WHEN EXISTS (SELECT 1 FROM ledger_transaction WHERE id = NEW.transaction_id) "
        f"BEGIN SELECT RAISE(ABORT, '{LATE_POSTING}'); END"
    )
    for table in (t for t in _INTO_MONTH if t in tables):
        out.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_open_month BEFORE INSERT ON {table} "
            f"WHEN {_CLOSED_SQL} BEGIN SELECT RAISE(ABORT, '{CLOSED}'); END"
        )
    out.append(
        "CREATE TRIGGER IF NOT EXISTS ledger_month_closed_no_update BEFORE UPDATE ON ledger_month "
        f"WHEN OLD.status = 'closed' BEGIN SELECT RAISE(ABORT, '{CLOSED}'); END"
    )
    out.append(
        "CREATE TRIGGER IF NOT EXISTS ledger_month_no_delete BEFORE DELETE ON ledger_month "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )
    return out


def _sqlite_remove() -> list[str]:
    names = [f"{t}_no_{op}" for t in IMMUTABLE for op in ("update", "delete")]
    names += ["ledger_transaction_balanced", "ledger_posting_not_late"]
    names += [f"{t}_open_month" for t in _INTO_MONTH]
    names += ["ledger_month_closed_no_update", "ledger_month_no_delete"]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


def _postgres(tables: set[str]) -> list[str]:
    out = [
        f"""CREATE OR REPLACE FUNCTION ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME; END $$""",
        f"""CREATE OR REPLACE FUNCTION ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF {_UNBALANCED_SQL} THEN RAISE EXCEPTION '{UNBALANCED}'; END IF; RETURN NEW; END $$""",
        f"""CREATE OR REPLACE FUNCTION ledger_not_late() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF EXISTS (SELECT 1 FROM ledger_transaction WHERE id = NEW.transaction_id)
        THEN RAISE EXCEPTION '{LATE_POSTING}'; END IF; RETURN NEW; END $$""",
        f"""CREATE OR REPLACE FUNCTION ledger_open_month() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF {_CLOSED_SQL} THEN RAISE EXCEPTION '{CLOSED}'; END IF; RETURN NEW; END $$""",
        f"""CREATE OR REPLACE FUNCTION ledger_month_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{MESSAGE}: DELETE on ledger_month refused'; END IF;
        IF OLD.status = 'closed' THEN RAISE EXCEPTION '{CLOSED}'; END IF; RETURN NEW; END $$""",
    ]
    for table in (t for t in IMMUTABLE if t in tables):
        out += [
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse()",
        ]
    out += [
        "DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction",
        "CREATE TRIGGER ledger_transaction_balanced BEFORE INSERT ON ledger_transaction "
        "FOR EACH ROW EXECUTE FUNCTION ledger_balanced()",
        "DROP TRIGGER IF EXISTS ledger_posting_not_late ON ledger_posting",
        "CREATE TRIGGER ledger_posting_not_late BEFORE INSERT ON ledger_posting "
        "FOR EACH ROW EXECUTE FUNCTION ledger_not_late()",
        "DROP TRIGGER IF EXISTS ledger_month_guard ON ledger_month",
        "CREATE TRIGGER ledger_month_guard BEFORE UPDATE OR DELETE ON ledger_month "
        "FOR EACH ROW EXECUTE FUNCTION ledger_month_guard()",
    ]
    for table in (t for t in _INTO_MONTH if t in tables):
        out += [
            f"DROP TRIGGER IF EXISTS {table}_open_month ON {table}",
            f"CREATE TRIGGER {table}_open_month BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_open_month()",
        ]
    return out


def _postgres_remove(tables: set[str]) -> list[str]:
    out = [f"DROP TRIGGER IF EXISTS {t}_no_change ON {t}" for t in IMMUTABLE if t in tables]
    out += [f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in IMMUTABLE if t in tables]
    out += [f"DROP TRIGGER IF EXISTS {t}_open_month ON {t}" for t in _INTO_MONTH if t in tables]
    out += ["DROP TRIGGER IF EXISTS ledger_month_guard ON ledger_month"]
    return out


def install(connection: BaseDatabaseWrapper) -> None:
    """Install (idempotently) the triggers for the connection's database, on the ledger tables it
    has (a migration installs them for the tables that exist at its point of the history)."""
    tables = set(connection.introspection.table_names())
    _run(connection, _sqlite(tables) if connection.vendor == "sqlite" else _postgres(tables))


def remove(connection: BaseDatabaseWrapper) -> None:
    """Remove the refusals of change: for test teardown (a flush empties the tables), and for tamper
    tests playing an attacker with the database's keys. Nothing in the application calls it."""
    tables = set(connection.introspection.table_names())
    _run(connection, _sqlite_remove() if connection.vendor == "sqlite" else _postgres_remove(tables))


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no ledger triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
