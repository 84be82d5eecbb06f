"""The days an occupancy starts and ends, which the ledger bills (issue #13 §6 bugs b and c): a
handover is never recorded in the future, and a release the occupancy refuses is a clear refusal,
never a server error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accord.accounts.models import User
from accord.capacity import services as places
from accord.capacity.models import Reservation
from accord.cases.models import Case
from accord.movements import services as moves
from accord.movements.models import ManifestEntry
from accord.people.models import Person
from tests.web.moving import accepted, fill, flight, fly
from tests.web.test_movements import crew

__all__ = ["crew"]  # the fixture: the demo roles plus a second reviewer and Mexico's officer
pytestmark = pytest.mark.django_db


def arrived_entry(crew: dict[str, User], make_person: Callable[..., Person], person_id: str) -> ManifestEntry:
    case = accepted(make_person, crew, person_id)
    movement = flight(crew["officer"])
    (entry,) = fill(movement, [case], crew["officer"])
    fly(movement, crew)
    return entry


def test_a_handover_in_the_future_is_refused_naming_the_time(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    entry = arrived_entry(crew, make_person, "LATER")
    next_week = timezone.now() + dt.timedelta(days=7)
    with pytest.raises(moves.MovementError, match="in the future") as refused:
        moves.hand_over(entry.pk, user=crew["salvador"], place="CECOT", official="Cmdr. R. Flores", at=next_week)
    assert refused.value.field == "at"
    assert Reservation.objects.get(case=entry.case).status == "held"  # nothing was written
    assert ManifestEntry.objects.get(pk=entry.pk).status == "on"


def test_the_occupancy_refuses_a_handover_day_after_today(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """The day is local to the handover, at most a day ahead of the server's (UTC) date."""
    case = accepted(make_person, crew, "LATER")
    later = timezone.localdate() + dt.timedelta(days=2)
    with transaction.atomic(), pytest.raises(ValueError, match="after today"):
        places.occupy(case.pk, actor=crew["salvador"], day=later)
    assert Reservation.objects.get(case=case).status == "held"


def test_a_release_before_the_recorded_handover_is_a_refusal_on_the_page_not_a_server_error(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """A handover recorded for a later day (before handovers in the future were refused, or a
    handover day corrected by hand): releasing today would end the stay before it began."""
    entry = arrived_entry(crew, make_person, "EARLY")
    moves.hand_over(entry.pk, user=crew["salvador"], place="CECOT", official="Cmdr. R. Flores")
    Reservation.objects.filter(case=entry.case).update(occupied_on=timezone.localdate() + dt.timedelta(days=3))
    salvador = Client(raise_request_exception=False)
    salvador.force_login(crew["salvador"])

    response = salvador.post(
        f"/cases/{entry.case_id}/step/", {"step": "release", "reason": "moved to another prison"}, follow=True
    )

    assert response.status_code == 200
    assert "before the handover day" in response.content.decode()
    assert Case.objects.get(pk=entry.case_id).state == "handed_over"
    assert Reservation.objects.get(case=entry.case).status == "occupied"
