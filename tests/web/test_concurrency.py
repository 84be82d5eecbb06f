"""Races on a real database, SQLite (a file, as in production) and PostgreSQL: many acceptances
for the last places of a facility, and holds filed while the acceptances run. Each thread has
its own connection and transaction, as each request of a multi-process server has.

PostgreSQL here allows 100 connections, so at most ``SIMULTANEOUS`` acceptances hold one at a
time there; that is still many more contenders than places, and every place is fought over.

Every race runs beside a CPU load on all the machine's cores (``busy_cores``), as on a shared CI
runner: a step screens before it takes the write lock and retries a locked database, so no
"database is locked" may escape and the outcomes must still be exact. Marked ``serial``:
``./dev test`` runs them after the parallel workers, so that the load is the test's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import Model

from accord.accounts.models import User
from accord.audit.models import AuditEvent
from accord.audit.selectors import verify_chain
from accord.capacity.models import PLACE_TAKEN, Reservation
from accord.capacity.selectors import waitlist_position
from accord.cases import steps as case_steps
from accord.cases.errors import Busy, CaseError
from accord.cases.models import Case
from accord.cases.services import open_case
from accord.core.records import people_from_dicts
from accord.facilities.models import Facility
from accord.holds.services import file_hold
from accord.people.models import Person
from accord.people.services import import_people
from tests.cpu_load import busy_cores
from tests.web.conftest import options_for

from .conftest import CLEAN, closed_case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.serial]

RACERS, FREE_PLACES = 200, 10
CECOT_CAPACITY = 40_000


def simultaneous() -> int:
    return RACERS if connection.vendor == "sqlite" else 80


def felons(prefix: str, n: int) -> list[Person]:
    """Venezuelan felons, whom El Salvador's agreement places in CECOT, imported in one go."""
    rows = [{**CLEAN, "person_id": f"{prefix}{i}", "nationalities": "VE", "conviction": "felony"} for i in range(n)]
    import_people(people_from_dicts(rows), user=None, reason="test")
    return list(Person.objects.filter(person_id__startswith=prefix).order_by("pk"))


def referred_cases(people: Iterable[Person], crew: dict[str, User]) -> list[int]:
    ids = []
    for person in people:
        case = open_case(person, "us-sv-2025", user=crew["officer"])
        for step, who in (("submit", "officer"), ("approve", "reviewer"), ("refer", "officer")):
            case = case_steps.take_step(case.pk, step, user=crew[who], reason="tested", **options_for(step)).case
        assert case.state == "referred"
        ids.append(case.pk)
    return ids


def fill_cecot(taken: int, officer: User) -> None:
    """Places occupied by earlier moves (cases since closed): one made through the ORM, the rest
    copied from it in the database, which writes tens of thousands of rows in well under a second."""
    person = felons("FILL", 1)[0]
    case = closed_case(
        person, officer, agreement_id="us-sv-2025", clause_id="third-country-criminals", placement="prison"
    )
    place = Reservation.objects.create(
        case=case,
        facility=Facility.objects.get(code="cecot"),
        agreement_id="us-sv-2025",
        clause_id="third-country-criminals",
        status="occupied",
    )
    counter = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) SELECT i FROM n"
    copy_row(Case, case.pk, counter, [taken - 1])
    others = f"SELECT id AS case_id FROM {Case._meta.db_table} WHERE person_id = %s AND id <> %s"
    copy_row(Reservation, place.pk, others, [person.pk, case.pk], replace={"case_id": "r.case_id"})


def copy_row(model: type[Model], pk: int, rows: str, params: list[Any], replace: dict[str, str] | None = None) -> None:
    """Insert a copy of the row ``pk`` for every row of the query ``rows`` (columns in ``replace``
    taken from it instead)."""
    qn, table = connection.ops.quote_name, model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    values = ", ".join((replace or {}).get(c, f"t.{qn(c)}") for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(table)} ({', '.join(map(qn, columns))}) "
            f"SELECT {values} FROM {qn(table)} t CROSS JOIN ({rows}) r WHERE t.id = %s",
            [*params, pk],
        )


def race(jobs: list[Callable[[], Any]], simultaneous: int) -> tuple[list[Any], list[BaseException]]:
    """Start every job at the same instant, each in its own thread with its own connection, with
    every core of the machine kept busy by other processes while they run (not while the test
    sets up its hundreds of cases, which only made the tests slow)."""
    barrier, gate = threading.Barrier(len(jobs)), threading.Semaphore(simultaneous)
    results: list[Any] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], Any]) -> None:
        barrier.wait()
        with gate:
            try:
                outcome = job()
                with lock:
                    results.append(outcome)
            except BaseException as err:  # reported by the test
                with lock:
                    failures.append(err)
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    with busy_cores():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return results, failures


def test_two_hundred_acceptances_racing_for_the_last_ten_places_give_exactly_ten(
    users: dict[str, User], facilities: None
) -> None:
    assert Facility.objects.get(code="cecot").capacity == CECOT_CAPACITY
    cases = referred_cases(felons("RACE", RACERS), users)
    fill_cecot(CECOT_CAPACITY - FREE_PLACES, users["officer"])
    events_before = AuditEvent.objects.count()

    jobs = [lambda pk=pk: case_steps.accept(pk, user=users["salvador"]) for pk in cases]
    results, failures = race(jobs, simultaneous())

    assert failures == []
    assert sorted(c.state for c in results).count("accepted") == FREE_PLACES
    racing = Reservation.objects.filter(case_id__in=cases)
    assert racing.filter(status="held").count() == FREE_PLACES
    assert Reservation.objects.filter(facility__code="cecot", status__in=PLACE_TAKEN).count() == CECOT_CAPACITY
    waiting = list(racing.filter(status="waiting"))
    assert sorted(waitlist_position(r) for r in waiting) == list(range(1, RACERS - FREE_PLACES + 1))  # type: ignore[type-var]
    assert Case.objects.filter(pk__in=cases, state="accepted").count() == FREE_PLACES
    assert Case.objects.filter(pk__in=cases, state="referred").count() == RACERS - FREE_PLACES
    new = AuditEvent.objects.filter(seq__gt=events_before)
    assert new.filter(action="reservation.hold").count() == FREE_PLACES
    assert new.filter(action="reservation.wait").count() == RACERS - FREE_PLACES
    assert verify_chain().ok


def test_a_hold_filed_while_the_acceptance_runs_always_ends_with_the_case_held_and_no_place(
    users: dict[str, User], facilities: None
) -> None:
    """Whichever commits first, the hold wins: refused acceptance, or a place given back."""
    people = felons("HOLD", 20)
    cases = referred_cases(people, users)
    accepts = [lambda pk=pk: case_steps.accept(pk, user=users["salvador"]) for pk in cases]
    holds = [
        lambda p=p: file_hold(
            p,
            kind="stay_of_removal",
            reference=f"STAY-{p.person_id}",
            document=ContentFile(b"ORDER: removal stayed.", name="stay.txt"),
            user=users["officer"],
        )
        for p in people
    ]
    results, failures = race([job for pair in zip(accepts, holds, strict=True) for job in pair], simultaneous())

    # The only failure allowed: an acceptance after the hold, when the held case has gone back to
    # the sending state (the receiving state is told so, in the one neutral sentence).
    assert not [f for f in failures if isinstance(f, Busy) or "locked" in str(f)]
    assert all(isinstance(f, CaseError) and "returned to the sending state for review" in str(f) for f in failures), (
        failures
    )
    assert len(results) + len(failures) == 2 * len(people)
    assert set(Case.objects.filter(pk__in=cases).values_list("state", flat=True)) == {"on_hold"}
    assert not Reservation.objects.filter(case_id__in=cases, status__in=("waiting", "held", "occupied")).exists()
    assert Person.objects.filter(pk__in=[p.pk for p in people], legal_hold=True).count() == len(people)
    assert verify_chain().ok
