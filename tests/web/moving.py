"""Shared helpers for tests that move people: schedule, depart and hand over happen through a
movement (issue #12), so a test brings a case to ``accepted`` and then flies it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

from django.utils import timezone

from accord.accounts.models import User
from accord.cases import steps as case_steps
from accord.cases.models import Case
from accord.cases.services import open_case
from accord.movements import services as moves
from accord.movements.models import ManifestEntry, Movement
from accord.people.models import Person
from tests.web.conftest import options_for

ACTORS = {"submit": "officer", "approve": "reviewer", "refer": "officer", "accept": "salvador"}
# A Venezuelan felon: El Salvador's agreement places him in CECOT (a prison place is reserved).
FELON = {"nationalities": "VE", "conviction": "felony"}


def accepted(make_person: Callable[..., Person], crew: dict[str, User], person_id: str, **cells: str) -> Case:
    """A case under us-sv-2025 walked to ``accepted`` (a CECOT place held for a felon)."""
    case = open_case(make_person(person_id, **{**FELON, **cells}), "us-sv-2025", user=crew["officer"])
    for step in ("submit", "approve", "refer", "accept"):
        case = case_steps.take_step(case.pk, step, user=crew[ACTORS[step]], reason="tested", **options_for(step)).case
    assert case.state == "accepted", case.state
    return case


def flight(
    officer: User,
    *,
    seats: int = 10,
    escorts: int = 4,
    agreement_id: str = "us-sv-2025",
    facility: str = "cecot",
    on: dt.date | None = None,
    **extra: object,
) -> Movement:
    """A charter leaving tomorrow morning (or on ``on``) from Texas for San Salvador."""
    zone = zoneinfo.ZoneInfo("America/Chicago")
    day = on or timezone.localdate() + dt.timedelta(days=1)
    leaves = dt.datetime.combine(day, dt.time(9, 30), tzinfo=zone)
    return moves.create_movement(
        user=officer,
        agreement_id=agreement_id,
        kind="charter",
        carrier="GlobalX",
        flight_number="GXA 6401",
        origin="Harlingen, TX (HRL)",
        destination_airport="San Salvador (SAL)",
        destination_facility=facility,
        planned_departure=leaves,
        departure_tz="America/Chicago",
        planned_arrival=leaves + dt.timedelta(hours=3),
        arrival_tz="America/El_Salvador",
        seats=seats,
        escorts=escorts,
        **extra,  # type: ignore[arg-type]  # the payer, a transport cost: create_movement checks them
    )


def ready(entry: ManifestEntry, officer: User, *, state: str = "SV") -> ManifestEntry:
    """A travel document accepted by the receiving state and a fit-to-travel finding today."""
    moves.record_travel_document(entry.pk, user=officer, kind="accepted", state=state, reference=f"SV-{entry.pk:05d}")
    return moves.record_fitness(entry.pk, user=officer, on=timezone.localdate())


def fill(movement: Movement, cases: list[Case], officer: User) -> list[ManifestEntry]:
    """Put the cases on the movement and make each of them ready to travel."""
    return [ready(e, officer) for e in moves.add_to_movement(movement.pk, [c.pk for c in cases], user=officer)]


def fly(movement: Movement, crew: dict[str, User]) -> Movement:
    """Depart and arrive (the receiving officer records the arrival)."""
    moves.depart(movement.pk, user=crew["officer"])
    return moves.record_arrival(movement.pk, user=crew["salvador"])


def entry_of(case: Case) -> ManifestEntry:
    return ManifestEntry.objects.filter(case=case).order_by("-id")[0]


# The steps only a movement takes (core.workflow.VIA_MOVEMENT), by the name tests walk them with.
VIA_MOVEMENT = ("schedule", "depart", "hand_over")


def flight_for(case: Case, officer: User, *, on: dt.date | None = None) -> Movement:
    """A flight of its own for the case: its agreement, to the facility it was referred to."""
    facility = (case.referral or {}).get("facility") or ""
    return flight(officer, agreement_id=case.agreement_id, facility=facility, on=on)


def via_movement(
    case_id: int, step: str, user: User, *, on: dt.date | None = None, movement: Movement | None = None
) -> Case:
    """Take ``step`` for one case the only way there is, with a movement of its own: "schedule"
    puts it on ``movement`` (default: a new flight leaving tomorrow, or ``on``) made ready to
    travel; "depart" departs that flight; "hand_over" records its arrival (once) and hands the
    person over. ``user`` takes the step (a case officer, or the receiving officer for the handover)."""
    case = Case.objects.get(pk=case_id)
    if step == "schedule":
        movement = movement or flight_for(case, user, on=on)
        for entry in moves.add_to_movement(movement.pk, [case_id], user=user):
            ready(entry, user, state=case.receiving_state)
    elif step == "depart":
        moves.depart(entry_of(case).movement_id, user=user)
    elif step == "hand_over":
        entry = entry_of(case)
        if entry.movement.status == Movement.Status.DEPARTED:
            moves.record_arrival(entry.movement_id, user=user)
        moves.hand_over(entry.pk, user=user, place="CECOT, Tecoluca", official="Cmdr. R. Flores")
    else:
        raise ValueError(f"{step} is not taken with a movement")
    return Case.objects.get(pk=case_id)


def take(case_id: int, step: str, user: User, **options: object) -> Case:
    """Any step by the name a test walks it: through a movement for schedule, depart and hand_over,
    else ``take_step`` (options, such as the approval's legal basis, go to it)."""
    if step in VIA_MOVEMENT:
        return via_movement(case_id, step, user)
    return case_steps.take_step(case_id, step, user=user, reason="tested", **options).case
