"""Benchmark: accrue a year of person-day fees for 40,000 occupants and close its 12 months.

    uv run python bench/ledger.py [--occupants 40000] [--year 2025] [--smoke]

Re-creates a SQLite database in a fresh ``ACCORD_DATA_DIR`` (the default engine, WAL, immediate
transactions), migrates it, and seeds ``--occupants`` CECOT occupancy periods under us-sv-2025 with
``bulk_create``: handover days spread from three months before the year to its last month, 60 %
released during or after the year (a tenth of those moved on the day to a second facility period,
so they hold two periods), the rest still occupied. Then, in the same run:

1. the floor: reading each month's occupancy rows (``capacity.selectors.occupancy_periods``, the
   read the accrual itself does) for the 12 months;
2. the ledger: ``ledger.services.accrue_month`` then ``close_month`` (which accrues the rest,
   issues the invoices and closes) for each of the 12 months, as finance.

Prints both, their ratio and the goal (under 10 s for the year); asserts the ledger's own
invariants (every transaction balances; invoiced = accrued = person-days × rate) and exits non-zero
when one fails. ``--smoke`` is a size of seconds for CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 10.0


def setup(data_dir: str) -> None:
    os.environ["ACCORD_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "accord.web.settings"
    sys.path.insert(0, str(REPO / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def seed(occupants: int, year: int, seed: int = 13) -> tuple[object, int]:
    """Returns the finance user and the number of occupancy periods written."""
    from django.db import transaction
    from django.utils import timezone

    from accord.accounts.models import Role, User
    from accord.capacity.models import Reservation
    from accord.cases.models import Case
    from accord.core.records import people_from_dicts
    from accord.core.screening import default_dataset
    from accord.facilities.models import Facility
    from accord.facilities.services import sync_from_data
    from accord.people.models import Person
    from accord.people.services import import_people

    rng = random.Random(seed)
    officer = User.objects.create_user(username="officer", password="x" * 24, role=Role.CASE_OFFICER)
    finance = User.objects.create_user(username="finance", password="x" * 24, role=Role.FINANCE)
    sync_from_data(default_dataset())
    import tomllib

    base = tomllib.loads((REPO / "tests" / "golden" / "base.toml").read_text())
    import_people(people_from_dicts([{**base, "person_id": "P-BENCH"}]), user=None, reason="bench")
    person = Person.objects.get(person_id="P-BENCH")
    cecot = Facility.objects.get(code="cecot")
    start = dt.date(year, 1, 1) - dt.timedelta(days=92)
    span = (dt.date(year, 12, 31) - start).days
    periods: list[tuple[dt.date, dt.date | None]] = []
    for _ in range(occupants):
        first = start + dt.timedelta(days=rng.randrange(span))
        if rng.random() < 0.6:
            last = first + dt.timedelta(days=rng.randrange(0, 400))
            periods.append((first, last))
            if rng.random() < 0.1:  # moved on the day: a second period from the day of release
                periods.append((last, last + dt.timedelta(days=rng.randrange(0, 200))))
        else:
            periods.append((first, None))
    with transaction.atomic():
        live = sum(1 for _, last in periods if last is None)
        now = timezone.now()
        cases = Case.objects.bulk_create(
            Case(
                person=person,
                agreement_id="us-sv-2025",
                receiving_state="SV",
                state="closed",
                outcome="eligible",
                placement="prison",
                clause_id="own-nationals",
                screened_on=now.date(),
                screened_at=now,
                data_version="bench",
                rules_version="bench",
                created_by=officer,
            )
            for _ in range(live + 1)
        )
        closed_case, open_cases = cases[0], iter(cases[1:])
        Reservation.objects.bulk_create(
            (
                Reservation(
                    case=next(open_cases) if last is None else closed_case,
                    facility=cecot,
                    agreement_id="us-sv-2025",
                    clause_id="own-nationals",
                    status="occupied" if last is None else "released",
                    occupied_on=first,
                    released_on=last,
                )
                for first, last in periods
            ),
            batch_size=5000,
        )
    return finance, len(periods)


def months(year: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


def time_reads(year: int) -> float:
    from accord.capacity.selectors import occupancy_periods
    from accord.core.ledger import Month

    began = time.perf_counter()
    for month in months(year):
        parsed = Month.parse(month)
        occupancy_periods(parsed.first, parsed.last)
    return time.perf_counter() - began


def time_ledger(year: int, finance: object) -> tuple[float, int, int, int]:
    from accord.ledger.services import accrue_month, close_month

    began = time.perf_counter()
    days = 0
    invoices = 0
    unpriced = 0
    for month in months(year):
        accrued = accrue_month(month, actor=finance)  # type: ignore[arg-type]
        days += accrued.person_days
        unpriced += accrued.unpriced_days
        invoices += len(close_month(month, actor=finance))  # type: ignore[arg-type]
    return time.perf_counter() - began, days, invoices, unpriced


def check(year: int) -> list[str]:
    from django.db.models import Sum

    from accord.ledger import selectors
    from accord.ledger.models import Invoice, Line

    problems = [f"unbalanced transaction {t}" for t in selectors.unbalanced_transactions()]
    for month in months(year):
        problems += [f"{month}: {d}" for d in selectors.reconciliation(month)]
    invoiced = Invoice.objects.aggregate(t=Sum("total_minor"))["t"] or 0
    accrued = Line.objects.aggregate(t=Sum("amount_minor"))["t"] or 0
    if invoiced != accrued:
        problems.append(f"sum of invoices {invoiced} != sum of accruals {accrued}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--occupants", type=int, default=40_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--smoke", action="store_true", help="a tiny run that proves the benchmark still works (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.occupants = 500
    with tempfile.TemporaryDirectory(prefix="accord-bench-ledger-") as data_dir:
        setup(data_dir)
        began = time.perf_counter()
        finance, periods = seed(args.occupants, args.year)
        print(
            f"seeded {args.occupants:,} occupants ({periods:,} occupancy periods) in {time.perf_counter() - began:.1f} s"
        )
        read = time_reads(args.year)
        ledger, days, invoices, unpriced = time_ledger(args.year, finance)
        problems = check(args.year)
    print(f"read the occupancy rows, 12 months:        {read:8.2f} s")
    print(f"accrue + close 12 months ({days:,} person-days, {invoices} invoices): {ledger:8.2f} s")
    print(f"person-days with no rate in force (before the fee's first rate, 2025-02-03): {unpriced:,}")
    print(
        f"ratio ledger / read: {ledger / read:.1f}x; goal: the year under {GOAL_SECONDS:.0f} s: "
        f"{'met' if ledger < GOAL_SECONDS else 'NOT met'}"
    )
    if problems:
        print("INVARIANTS BROKEN:", *problems[:20], sep="\n  ")
        raise SystemExit(1)
    print("invariants hold: every transaction balances; invoiced = accrued = person-days x rate")


if __name__ == "__main__":
    main()
