"""A step screens the person before it takes the write lock, and inside the lock re-checks what
that screening depended on (the record, the data, the day, the deciding usage). Whatever another
transaction commits between the two — a change to the record, a hold, the last place taken — the
step sees it: it screens again, or it is refused, exactly as when it screened under the lock.

The other transaction is made to commit in that gap by running it right after the real
``screen_ahead`` returns: the one interleaving a race would hit only now and then."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile

from accord.accounts.models import User
from accord.capacity.models import PLACE_TAKEN, Reservation
from accord.capacity.selectors import live_reservation
from accord.cases import changes, errors
from accord.cases import steps as case_steps
from accord.cases.models import Case
from accord.cases.services import open_case
from accord.facilities.models import Facility
from accord.holds.services import file_hold
from accord.people.models import Person
from tests.web.conftest import options_for

pytestmark = pytest.mark.django_db


def referred(person: Person, users: dict[str, User]) -> int:
    case = open_case(person, "us-sv-2025", user=users["officer"])
    for step, who in (("submit", "officer"), ("approve", "reviewer"), ("refer", "officer")):
        case = case_steps.take_step(case.pk, step, user=users[who], reason="checked", **options_for(step)).case
    return case.pk


def felon(make_person: Callable[..., Person], person_id: str) -> Person:
    """A Venezuelan felon: El Salvador's agreement places him in CECOT, which has a capacity."""
    return make_person(person_id, nationalities="VE", conviction="felony")


def between(monkeypatch: pytest.MonkeyPatch, act: Callable[[int], None]) -> list[int]:
    """Run ``act(n)`` after the ``n``-th screening ahead of the lock (1, 2, …); the list counts them."""
    calls: list[int] = []
    real = changes.screen_ahead

    def screen_then_act(case_id: int, day: Any = None, **given: Any) -> changes.Screened | None:
        screened = real(case_id, day, **given)
        calls.append(case_id)
        act(len(calls))
        return screened

    monkeypatch.setattr(case_steps, "screen_ahead", screen_then_act)
    return calls


def test_the_last_place_taken_between_screening_and_lock_puts_the_acceptance_on_the_waitlist(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = referred(felon(make_person, "P1"), users), referred(felon(make_person, "P2"), users)
    Facility.objects.filter(code="cecot").update(capacity=1)
    calls = between(
        monkeypatch,
        lambda n: (
            case_steps.STEPS[case_steps.Step.ACCEPT].__wrapped__(second, user=users["salvador"]) if n == 1 else None
        ),
    )

    done = case_steps.take_step(first, "accept", user=users["salvador"])

    assert calls.count(first) == 2  # the first screening (a place free) was stale inside the lock
    assert done.waiting and done.case.state == "referred"
    assert Case.objects.get(pk=second).state == "accepted"
    assert Reservation.objects.filter(facility__code="cecot", status__in=PLACE_TAKEN).count() == 1
    assert "full" in " ".join(r["reason"] for r in Case.objects.get(pk=first).explanation if r["rule_id"] == "capacity")


def test_a_record_changed_between_screening_and_lock_is_screened_again_and_returns_the_case(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = felon(make_person, "P3")
    case_id = referred(person, users)
    # Without the felony, CECOT is no longer the placement the receiving state was sent.
    calls = between(monkeypatch, lambda n: Person.objects.filter(pk=person.pk).update(conviction="none") and None)

    with pytest.raises(errors.Returned):
        case_steps.take_step(case_id, "accept", user=users["salvador"])

    assert len(calls) == 2
    stored = Case.objects.get(pk=case_id)
    assert stored.state == "blocked"  # the screening under the new record, not the stale one
    assert live_reservation(case_id) is None


def test_a_hold_filed_between_screening_and_lock_refuses_the_acceptance(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = felon(make_person, "P4")
    case_id = referred(person, users)

    def hold(n: int) -> None:
        if n == 1:
            document = ContentFile(b"ORDER: removal stayed.", name="stay.txt")
            file_hold(person, kind="stay_of_removal", reference="STAY-1", document=document, user=users["officer"])

    between(monkeypatch, hold)

    with pytest.raises(errors.CaseError):
        case_steps.take_step(case_id, "accept", user=users["salvador"])

    assert Case.objects.get(pk=case_id).state == "on_hold"
    assert live_reservation(case_id) is None


def test_after_the_rounds_run_out_the_step_screens_under_the_lock(
    users: dict[str, User],
    facilities: None,
    make_person: Callable[..., Person],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    """A record that changes after every screening ahead: after ACCORD_STEP_SCREENING_ROUNDS the
    step screens under the lock, where nothing can change, and goes on."""
    settings.ACCORD_STEP_SCREENING_ROUNDS = 3
    person = felon(make_person, "P5")
    case_id = open_case(person, "us-sv-2025", user=users["officer"]).pk
    calls = between(
        monkeypatch, lambda n: Person.objects.filter(pk=person.pk).update(given_names=f"Renamed {n}") and None
    )

    done = case_steps.take_step(case_id, "submit", user=users["officer"])

    assert len(calls) == 3
    assert done.case.state == "legal_review"


def test_a_screening_that_still_holds_is_used_inside_the_lock_once(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = referred(felon(make_person, "P6"), users)
    calls = between(monkeypatch, lambda n: None)
    done = case_steps.take_step(case_id, "accept", user=users["salvador"])
    assert len(calls) == 1 and done.case.state == "accepted" and not done.waiting
