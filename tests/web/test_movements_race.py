"""Two officers racing to put one person on two movements, each in its own thread, connection and
transaction (SQLite file and PostgreSQL): one wins, the other is refused with a clear error, and
no IntegrityError escapes. Marked ``serial`` like the other races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection

from accord.accounts.models import Role, User
from accord.cases.errors import Refused
from accord.movements import services as moves
from accord.movements.models import ManifestEntry
from accord.people.models import Person
from tests.cpu_load import busy_cores
from tests.web.moving import accepted, flight

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.serial]


def test_two_officers_putting_one_person_on_two_movements_one_wins_the_other_is_refused(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person]
) -> None:
    crew = {
        **users,
        "officer2": User.objects.create_user(username="officer2", password="x" * 12, role=Role.CASE_OFFICER),
    }
    case = accepted(make_person, crew, "RACED")
    movements = [flight(crew["officer"]), flight(crew["officer2"])]
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def put_on(movement_id: int, officer: User) -> None:
        barrier.wait()
        try:
            result: Any = moves.add_to_movement(movement_id, [case.pk], user=officer)
        except BaseException as err:  # reported below
            result = err
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=put_on, args=(m.pk, crew[name]))
        for m, name in zip(movements, ("officer", "officer2"), strict=True)
    ]
    with busy_cores():  # as the other races: every core busy, as on a shared CI runner
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    assert not any(isinstance(e, IntegrityError) for e in errors)
    assert isinstance(errors[0], Refused) and "only an accepted case can be put on a movement" in str(errors[0])
    assert ManifestEntry.objects.filter(case=case, status="on").count() == 1
