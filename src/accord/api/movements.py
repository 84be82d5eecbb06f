"""Movements: plan, fill, validate, depart, arrive and hand over, through the movements' use
cases (the same the CLI and the pages call). What each role sees is ``movements.policy``'s."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from accord.accounts.models import User
from accord.api.common import ERRORS, Limit, Offset, caller
from accord.api.schemas import RefusalOut
from accord.movements import policy, selectors
from accord.movements import services as moves
from accord.movements.models import ManifestEntry, Movement
from accord.movements.services import EDITABLE

router = Router()
CHANGES = {**ERRORS, 409: RefusalOut}


class MovementIn(Schema):
    agreement_id: str
    kind: str
    origin: str
    planned_departure: dt.datetime
    departure_tz: str
    planned_arrival: dt.datetime
    arrival_tz: str
    seats: int
    escorts: int
    carrier: str = ""
    flight_number: str = ""
    destination_airport: str = ""
    transit_airports: list[str] = Field(
        [],
        description="IATA codes of the airports the movement transits (a transit fee naming one is charged at departure).",
    )
    destination_facility: str = ""
    payer: str = ""
    payer_state: str = ""
    transport_cost_minor: int | None = Field(
        None,
        description="The carrier's cost in minor units (cents), charged at departure to a payer other than the operator.",
    )
    transport_currency: str = Field("", description="ISO 4217 code of the transport cost.")


class MovementEditIn(Schema):
    """A planned movement's changes: only the fields sent are changed (``movements.services.EDITABLE``);
    the cases on it follow a new departure day, each in its own history. A field may be left out
    but not sent as null (that would blank a fact the movement needs), except the transport cost,
    whose null means unknown."""

    kind: str | None = None
    carrier: str | None = None
    flight_number: str | None = None
    origin: str | None = None
    destination_airport: str | None = None
    transit_airports: list[str] | None = None
    destination_facility: str | None = None
    planned_departure: dt.datetime | None = None
    departure_tz: str | None = None
    planned_arrival: dt.datetime | None = None
    arrival_tz: str | None = None
    seats: int | None = None
    escorts: int | None = None
    transport_cost_minor: int | None = None
    transport_currency: str | None = None
    reason: str = Field("", description="Why it changed (kept in the movement's and each rescheduled case's history).")

    # A field the movement does not let change (its agreement, say) is refused by name, not ignored.
    model_config = ConfigDict(extra="forbid")

    @field_validator(*(f for f in EDITABLE if f != "transport_cost_minor"), mode="before")
    @classmethod
    def _sent_not_null(cls, value: object) -> object:
        if value is None:  # run only for the fields sent: one left out keeps its value
            raise PydanticCustomError("null", "may be left out, not sent as null")
        return value


class CasesIn(Schema):
    case_ids: list[int]


class ReasonIn(Schema):
    reason: str


class TravelDocumentIn(Schema):
    kind: str
    state: str
    reference: str


class FitnessIn(Schema):
    on: dt.date


class ArrivalIn(Schema):
    at: dt.datetime | None = None


class HandOverIn(Schema):
    place: str
    official: str
    at: dt.datetime | None = None


class NotHandedOverIn(Schema):
    reason: str
    note: str = ""


class ResolveIn(Schema):
    resolution: str


class ProblemOut(Schema):
    code: str
    message: str
    person_id: str
    case_id: int | None


class EntryOut(Schema):
    id: int
    status: str
    flagged: bool


def _entry(entry: ManifestEntry) -> dict[str, Any]:
    return {"id": entry.pk, "status": entry.status, "flagged": entry.flagged}


class MovementOut(Schema):
    id: int
    agreement_id: str
    receiving_state: str
    kind: str
    carrier: str
    flight_number: str
    origin: str
    destination_airport: str
    transit_airports: list[str]
    destination_facility: str
    planned_departure: dt.datetime
    departure_tz: str
    planned_arrival: dt.datetime
    arrival_tz: str
    actual_departure: dt.datetime | None
    actual_arrival: dt.datetime | None
    seats: int
    escorts: int
    payer: str | None = Field(None, description="Who pays (not shown to monitors: counts only).")
    payer_state: str | None = None
    transport_cost_minor: int | None = None
    transport_currency: str | None = None
    status: str
    cancel_reason: str
    people: int


class ManifestOut(Schema):
    movement: MovementOut
    rows: list[dict[str, Any]]
    by_sex: dict[str, int]
    by_nationality: dict[str, int]
    problems: list[ProblemOut]
    complete: bool


def _out(movement: Movement, user: User) -> dict[str, Any]:
    fields = {
        name: getattr(movement, name)
        for name in MovementOut.model_fields
        if name not in ("id", "people", "transit_airports")
    }
    fields["transit_airports"] = movement.transit_list
    if not policy.sees_payers(user):
        for money in ("payer", "payer_state", "transport_cost_minor", "transport_currency"):
            fields[money] = None
    people = getattr(movement, "on_board", None)
    if people is None:
        people = movement.entries.exclude(status="removed").count()
    return {**fields, "id": movement.pk, "people": people}


def _visible(request: HttpRequest, movement_id: int) -> Movement:
    found = selectors.visible_movement(caller(request), movement_id)
    if found is None:
        raise Http404(f"no movement {movement_id}")
    return found


def _problem(p: Any) -> dict[str, Any]:
    return {"code": p.code, "message": p.message, "person_id": p.person_id, "case_id": p.case_id}


@router.get("/movements", response={200: list[MovementOut], **ERRORS}, tags=["movements"])
def movement_list(request: HttpRequest, limit: int = Limit, offset: int = Offset) -> Any:
    """The movements the caller may see (a receiving officer: those to their state), latest planned
    departure first, ``limit`` at a time."""
    user = caller(request)
    return [_out(m, user) for m in selectors.movement_list(user)[offset : offset + limit]]


@router.post("/movements", response={201: MovementOut, **CHANGES}, tags=["movements"])
def create(request: HttpRequest, body: MovementIn) -> Any:
    user = caller(request)
    return Status(201, _out(moves.create_movement(user=user, **body.model_dump()), user))


@router.get("/movements/{movement_id}", response={200: ManifestOut, **ERRORS}, tags=["movements"])
def manifest(request: HttpRequest, movement_id: int) -> Any:
    """The movement and its manifest as the caller may see it (finance and monitors: counts only)."""
    user = caller(request)
    seen = selectors.manifest(_visible(request, movement_id), user, checks=policy.may_manage(user))
    return {
        "movement": _out(seen.movement, user),
        "rows": seen.rows,
        "by_sex": seen.by_sex,
        "by_nationality": seen.by_nationality,
        "problems": [_problem(p) for p in seen.problems],
        "complete": seen.complete,
    }


@router.post("/movements/{movement_id}/cases", response={200: MovementOut, **CHANGES}, tags=["movements"])
def add(request: HttpRequest, movement_id: int, body: CasesIn) -> Any:
    """Put accepted cases on the movement, all or none."""
    moves.add_to_movement(movement_id, body.case_ids, user=caller(request))
    return _out(Movement.objects.get(pk=movement_id), caller(request))


@router.patch("/movements/{movement_id}", response={200: MovementOut, **CHANGES}, tags=["movements"])
def edit(request: HttpRequest, movement_id: int, body: MovementEditIn) -> Any:
    """Change a planned movement (never after departure): the fields sent, nothing else."""
    user = caller(request)
    changes = body.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "")
    return _out(moves.edit_movement(movement_id, user=user, reason=reason, **changes), user)


@router.post("/movements/{movement_id}/cases/{case_id}/remove", response={200: EntryOut, **CHANGES}, tags=["movements"])
def remove(request: HttpRequest, movement_id: int, case_id: int, body: ReasonIn) -> Any:
    """Take a person off a planned movement, with a reason: the case is accepted again and keeps its place."""
    return _entry(moves.remove_from_movement(movement_id, case_id, user=caller(request), reason=body.reason))


@router.get("/movements/{movement_id}/problems", response={200: list[ProblemOut], **CHANGES}, tags=["movements"])
def validate(request: HttpRequest, movement_id: int) -> Any:
    return [_problem(p) for p in moves.validate_movement(movement_id, user=caller(request))]


@router.post("/movements/{movement_id}/depart", response={200: MovementOut, **CHANGES}, tags=["movements"])
def depart(request: HttpRequest, movement_id: int) -> Any:
    user = caller(request)
    return _out(moves.depart(movement_id, user=user), user)


@router.post("/movements/{movement_id}/cancel", response={200: MovementOut, **CHANGES}, tags=["movements"])
def cancel(request: HttpRequest, movement_id: int, body: ReasonIn) -> Any:
    user = caller(request)
    return _out(moves.cancel_movement(movement_id, user=user, reason=body.reason), user)


@router.post("/movements/{movement_id}/arrive", response={200: MovementOut, **CHANGES}, tags=["movements"])
def arrive(request: HttpRequest, movement_id: int, body: ArrivalIn) -> Any:
    user = caller(request)
    return _out(moves.record_arrival(movement_id, user=user, at=body.at), user)


@router.post("/manifest-entries/{entry_id}/travel-document", response={200: EntryOut, **CHANGES}, tags=["movements"])
def travel_document(request: HttpRequest, entry_id: int, body: TravelDocumentIn) -> Any:
    return _entry(moves.record_travel_document(entry_id, user=caller(request), **body.model_dump()))


@router.post("/manifest-entries/{entry_id}/fitness", response={200: EntryOut, **CHANGES}, tags=["movements"])
def fitness(request: HttpRequest, entry_id: int, body: FitnessIn) -> Any:
    return _entry(moves.record_fitness(entry_id, user=caller(request), on=body.on))


@router.post("/manifest-entries/{entry_id}/hand-over", response={200: EntryOut, **CHANGES}, tags=["movements"])
def hand_over(request: HttpRequest, entry_id: int, body: HandOverIn) -> Any:
    return _entry(moves.hand_over(entry_id, user=caller(request), place=body.place, official=body.official, at=body.at))


@router.post("/manifest-entries/{entry_id}/not-handed-over", response={200: EntryOut, **CHANGES}, tags=["movements"])
def not_handed_over(request: HttpRequest, entry_id: int, body: NotHandedOverIn) -> Any:
    return _entry(moves.not_handed_over(entry_id, user=caller(request), reason=body.reason, note=body.note))


@router.post("/manifest-entries/{entry_id}/resolve", response={200: EntryOut, **CHANGES}, tags=["movements"])
def resolve(request: HttpRequest, entry_id: int, body: ResolveIn) -> Any:
    return _entry(moves.resolve(entry_id, user=caller(request), resolution=body.resolution))
