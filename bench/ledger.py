"""Benchmark: accrue a year of person-day fees for CECOT full (40,000 occupants) and close its 12
months, beside the time merely to read the occupancy rows of those 12 months, in the same run.

    uv run python bench/ledger.py [--occupants 40000] [--smoke] [--database-url URL]

A fresh SQLite database in a temporary folder by default (``--database-url`` or
``ACCORD_BENCH_LEDGER_URL`` for PostgreSQL: the database is migrated, not re-created). One in
ten occupants is released during the year and one in twenty moved to a second facility, so
months hold partial periods (proration across a rate change is in tests/core/test_ledger.py). Prints figures and the
ratio; the goal (issue #13) is under 10 s for accrue + close. Checks that the sum of invoices is
the sum of accruals and that every month reconciles; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--occupants", type=int, default=40_000)
    parser.add_argument("--smoke", action="store_true", help="500 occupants: for CI")
    parser.add_argument("--database-url", default=os.environ.get("ACCORD_BENCH_LEDGER_URL", ""))
    args = parser.parse_args()
    occupants = 500 if args.smoke else args.occupants
    folder = tempfile.mkdtemp(prefix="accord-bench-ledger-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    os.environ["ACCORD_DATA_DIR"] = folder
    os.environ["DJANGO_SETTINGS_MODULE"] = "accord.web.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    run(occupants)


def run(occupants: int) -> None:
    from django.db.models import Sum
    from django.utils import timezone

    from accord.accounts.models import Role, User
    from accord.capacity.models import Reservation
    from accord.capacity.selectors import occupancy_periods
    from accord.cases.models import Case
    from accord.core import ledger as core
    from accord.core.records import people_from_dicts
    from accord.core.screening import default_dataset
    from accord.facilities.models import Facility
    from accord.facilities.services import sync_from_data
    from accord.ledger import selectors, services
    from accord.ledger.models import Invoice, Line
    from accord.people.models import Person
    from accord.people.services import import_people

    dataset = default_dataset()
    t0 = time.perf_counter()
    sync_from_data(dataset)
    Facility.objects.get_or_create(
        code="mariona", defaults={"name": "La Esperanza", "state": "SV", "kind": "prison", "capacity": 10}
    )
    finance = User.objects.create_user(username="bench-finance", password="x" * 24, role=Role.FINANCE)
    officer = User.objects.create_user(username="bench-officer", password="x" * 24, role=Role.CASE_OFFICER)
    clean = tomllib.loads((REPO / "tests" / "golden" / "base.toml").read_text())
    import_people(people_from_dicts([{**clean, "person_id": "BENCH-1"}]), user=None, reason="bench")
    person = Person.objects.get(person_id="BENCH-1")
    now, today = timezone.now(), timezone.localdate()
    cases = Case.objects.bulk_create(
        Case(
            person=person,
            agreement_id="us-sv-2025",
            receiving_state="SV",
            state="closed",
            outcome="eligible",
            placement="prison",
            clause_id="own-nationals",
            screened_on=today,
            screened_at=now,
            data_version="bench",
            rules_version="bench",
            created_by=officer,
        )
        for _ in range(occupants)
    )
    cecot, mariona = Facility.objects.get(code="cecot"), Facility.objects.get(code="mariona")
    start = dt.date(2025, 1, 1)
    reservations = []
    for i, case in enumerate(cases):
        first = start + dt.timedelta(days=i % 45)
        released = first + dt.timedelta(days=30 + i % 300) if i % 10 == 0 else None
        if i % 20 == 1:  # moved to a second facility mid-year: two periods
            moved = first + dt.timedelta(days=100 + i % 60)
            reservations.append((case, cecot, first, moved))
            reservations.append((case, mariona, moved, released))
            continue
        reservations.append((case, cecot, first, released))
    Reservation.objects.bulk_create(
        Reservation(
            case=case,
            facility=facility,
            agreement_id="us-sv-2025",
            clause_id="own-nationals",
            status="released" if last else "occupied",
            occupied_on=first,
            released_on=last,
        )
        for case, facility, first, last in reservations
    )
    seeded = time.perf_counter() - t0

    months = [core.Month(2025, m) for m in range(1, 13)]
    t0 = time.perf_counter()
    rows = sum(len(occupancy_periods(m.first, m.last)) for m in months)
    read = time.perf_counter() - t0

    t0 = time.perf_counter()
    for m in months:
        services.accrue_month(str(m), actor=finance)
    accrued = time.perf_counter() - t0
    t0 = time.perf_counter()
    for m in months:
        services.close_month(str(m), actor=finance)
    closed = time.perf_counter() - t0

    invoiced = Invoice.objects.aggregate(t=Sum("total_minor"))["t"]
    lines = Line.objects.aggregate(t=Sum("amount_minor"), d=Sum("person_days"))
    differences = sum(len(selectors.reconciliation(str(m))) for m in months)
    work = accrued + closed
    print(f"ledger bench: {occupants:,} occupants, {len(reservations):,} periods, 12 months of 2025")
    print(f"  seed (not timed in the ratio):       {seeded:8.2f} s")
    print(f"  read the occupancy rows, 12 months:  {read:8.2f} s  ({rows:,} rows)")
    print(f"  accrue 12 months:                    {accrued:8.2f} s")
    print(f"  close 12 months (invoices):          {closed:8.2f} s")
    print(f"  accrue + close:                      {work:8.2f} s  goal < 10 s: {'met' if work < 10 else 'NOT met'}")
    print(f"  ratio (accrue + close) / read:       {work / read:8.1f}x")
    print(f"  person-days {lines['d']:,}; invoiced {invoiced:,} = accrued {lines['t']:,} minor units;")
    print(f"  reconciliation differences: {differences}")
    if invoiced != lines["t"] or differences:
        sys.exit("the invoices do not equal the accruals")


if __name__ == "__main__":
    main()
