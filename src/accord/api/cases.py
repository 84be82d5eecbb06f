"""Cases and their workflow: list, open, the steps offered and taken, the history, the queue.

Receiving officers get the case as the receiving state holds it (``redaction``)."""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Status

from accord.accounts.models import Role, User
from accord.accounts.permissions import Can, require
from accord.api.common import BUSY, ERRORS, Limit, Offset, agreements_named, caller
from accord.api.errors import respond
from accord.api.schemas import (
    CaseDetailOut,
    CaseIn,
    CaseOut,
    ErrorOut,
    EventOut,
    RefusalOut,
    StepIn,
    StepOut,
    Text,
)
from accord.capacity.models import Reservation
from accord.capacity.selectors import live_reservation, waitlist_position
from accord.cases import policy, redaction
from accord.cases.models import Case
from accord.cases.selectors import CaseFilters, case_history, case_list, get_case, work_queue
from accord.cases.services import open_case
from accord.cases.steps import StepResult, take_step
from accord.core.workflow import RETURNED, RETURNED_NOTICE, Transition, seen_by_receiving_state
from accord.people.models import Person, display_name

router = Router()


# A case's line in the list and the queue, and the start of its detail, is built from these
# columns: the list reads them alone (``values``, no model instances for a page of 50), the
# detail reads them off the case it has (``_columns_of``), so both are ``_line`` of one row.
LINE_COLUMNS = (
    "id",
    "agreement_id",
    "receiving_state",
    "state",
    "outcome",
    "placement",
    "clause_id",
    "failing_rules",
    "screened_on",
    "data_version",
    "rules_version",
    "created_at",
    "person__person_id",
    "person__family_name",
    "person__given_names",
    "person__nationalities",
)
# A receiving officer's line is the record their state was sent.
RECEIVED_COLUMNS = (*LINE_COLUMNS, "referral")


def _line_columns(user: User) -> tuple[str, ...]:
    return RECEIVED_COLUMNS if user.role == Role.RECEIVING_OFFICER else LINE_COLUMNS


def _columns_of(case: Case, user: User) -> dict[str, Any]:
    """The case's line columns, as ``values(*_line_columns(user))`` would read them."""
    return {column: functools.reduce(getattr, column.split("__"), case) for column in _line_columns(user)}


def _lines_of(cases: QuerySet[Case], user: User) -> list[dict[str, Any]]:
    return [_line(row, user) for row in cases.values(*_line_columns(user))]


def _line(row: dict[str, Any], user: User) -> dict[str, Any]:
    """A case's line (``CaseOut``, field for field) as the user may see it."""
    if user.role == Role.RECEIVING_OFFICER:
        return _received_line(row)
    return {
        "id": row["id"],
        "person_id": row["person__person_id"],
        "person_name": display_name(row["person__family_name"], row["person__given_names"], row["person__person_id"]),
        "nationalities": row["person__nationalities"],
        "agreement_id": row["agreement_id"],
        "receiving_state": row["receiving_state"],
        "state": row["state"],
        "outcome": row["outcome"],
        "placement": row["placement"],
        "clause_id": row["clause_id"],
        "failing_rules": redaction.failing_rules(user, [r for r in row["failing_rules"].split(";") if r]),
        "screened_on": row["screened_on"],
        "data_version": row["data_version"],
        "rules_version": row["rules_version"],
        "created_at": row["created_at"],
    }


def _received_line(row: dict[str, Any]) -> dict[str, Any]:
    """A case as the receiving state holds it: the record it was sent and its own part of the
    workflow. No outcome, rule, screening date or version: nothing that changes with the sending
    state's reasons (8 C.F.R. §208.6)."""
    record = redaction.sent_record(row["referral"], row["person__person_id"])
    return {
        "id": row["id"],
        "person_id": record["person_id"],
        "person_name": redaction.display_name(record),
        "nationalities": record["nationalities"],
        "agreement_id": row["agreement_id"],
        "receiving_state": row["receiving_state"],
        "state": seen_by_receiving_state(row["state"]),
        "outcome": None,
        "placement": record["placement"],
        "clause_id": record["clause"],
        "failing_rules": [],
        "screened_on": None,
        "data_version": "",
        "rules_version": "",
        "created_at": row["created_at"],
    }


def _case_out(case: Case, user: User, detail: bool = False, step: StepResult | None = None) -> dict[str, Any]:
    """The case as the user may see it; ``step``: the result of the step just taken, whose
    reservation and waitlist position are the case's (not read again)."""
    out = _line(_columns_of(case, user), user)
    if detail:
        out |= _received_detail(case, user, step) if user.role == Role.RECEIVING_OFFICER else _detail(case, user, step)
    return out


def _detail(case: Case, user: User, step: StepResult | None) -> dict[str, Any]:
    return {
        "explanation": redaction.explanation(user, case.explanation),
        "next_steps": [_step_out(t) for t in policy.next_steps(case, user)],
        "reservation": _reservation_of(case, step),
        "referral": case.referral,
        "legal_basis": case.legal_basis,
        "scheduled_for": case.scheduled_for,
        "state_reason": redaction.shown_reason(user, case),
    }


def _received_detail(case: Case, user: User, step: StepResult | None) -> dict[str, Any]:
    returned = policy.seen_state(user, case) == RETURNED
    return {
        "explanation": [],
        "next_steps": [_step_out(t) for t in policy.next_steps(case, user)],
        "reservation": None if returned else _reservation_of(case, step),
        "referral": case.referral,
        "legal_basis": (case.referral or {}).get("legal_basis"),
        "scheduled_for": None if returned else case.scheduled_for,
        "state_reason": RETURNED_NOTICE.format(case=case.pk) if returned else redaction.shown_reason(user, case),
    }


def _step_out(t: Transition) -> dict[str, Any]:
    return {"step": t.step, "label": t.label, "needs_reason": t.needs_reason, "help": t.help}


def _reservation_of(case: Case, step: StepResult | None) -> dict[str, Any] | None:
    if step is not None:
        reservation, position = step.reservation, step.waitlist_position
    else:
        reservation = live_reservation(case.pk)
        position = waitlist_position(reservation) if reservation else None
    return _reservation_out(reservation, position) if reservation else None


def _reservation_out(reservation: Reservation, position: int | None) -> dict[str, Any]:
    return {
        "facility": reservation.facility.code if reservation.facility else None,
        "status": reservation.status,
        "quota_month": reservation.quota_month,
        "waitlist_position": position,
    }


@router.get("/cases", response={200: list[CaseOut], **ERRORS}, tags=["cases"])
def cases(
    request: HttpRequest,
    q: Text = "",
    agreement_id: Text = "",
    outcome: Text = "",
    nationality: Text = "",
    state: Text = "",
    limit: int = Limit,
    offset: int = Offset,
) -> Any:
    user = caller(request)
    filters = CaseFilters(query=q, agreement=agreement_id, outcome=outcome, nationality=nationality, state=state)
    return _lines(request, _lines_of(case_list(user, filters)[offset : offset + limit], user))


def _lines(request: HttpRequest, rows: list[dict[str, Any]]) -> HttpResponse:
    """A page of ``CaseOut`` lines, rendered as they were built. ``_line`` builds each line
    field for field as ``CaseOut`` declares it (tests hold every role's page to the schema,
    byte for byte): validating 50 of them again on the way out cost more than building them."""
    return respond(request, rows)


@router.get("/cases/{int:case_id}", response={200: CaseDetailOut, **ERRORS}, tags=["cases"])
def case(request: HttpRequest, case_id: int) -> Any:
    user = caller(request)
    return _case_out(get_case(user, case_id), user, detail=True)


@router.post("/cases", response={201: CaseDetailOut, 409: ErrorOut, **ERRORS}, tags=["cases"])
def create_case(request: HttpRequest, body: CaseIn) -> Any:
    """Open a case: the person is screened at once and the result stored with its versions."""
    user = caller(request)
    require(user, Can.OPEN_CASES)
    found = Person.objects.filter(person_id=body.person_id).first()
    if found is None:
        return Status(404, {"message": f"no person {body.person_id!r}", "field": "person_id"})
    (chosen,) = agreements_named(body.agreement_id)  # an unknown agreement is bad input (422), not a conflict
    return Status(201, _case_out(open_case(found, chosen.id, user=user), user, detail=True))


@router.get("/cases/{int:case_id}/steps", response={200: list[StepOut], **ERRORS}, tags=["workflow"])
def case_steps(request: HttpRequest, case_id: int) -> Any:
    """The steps you may take on the case now (your role, its state, four eyes)."""
    user = caller(request)
    return [_step_out(t) for t in policy.next_steps(get_case(user, case_id), user)]


@router.post(
    "/cases/{int:case_id}/steps", response={200: CaseDetailOut, 409: RefusalOut, **ERRORS, **BUSY}, tags=["workflow"]
)
def case_take_step(request: HttpRequest, case_id: int, body: StepIn) -> Any:
    """Take a step. The person is screened again today; a refusal (409) changes nothing and names
    the rules, reasons and citations that stopped it. An acceptance into a full facility answers
    200 with the case still ``referred`` and a ``reservation.waitlist_position``."""
    user = caller(request)
    seen = get_case(user, case_id)  # a case the caller may not see is not found, whatever the step
    options: dict[str, Any] = {"basis_kind": body.basis_kind, "basis_reference": body.basis_reference}
    done = take_step(case_id, body.step, user=user, reason=body.reason, seen=seen, **options)
    # The case as the step saved it, its person and reservation with it: nothing to read again,
    # but the caller must still be one who may see it now (``selectors.visible_cases``).
    if user.role == Role.RECEIVING_OFFICER and not policy.receiving_officer_may_see(user, done.case):
        raise Http404(f"no case {case_id} that you may see")
    return _case_out(done.case, user, detail=True, step=done)


@router.get("/cases/{int:case_id}/history", response={200: list[EventOut], **ERRORS}, tags=["workflow"])
def case_history_api(request: HttpRequest, case_id: int) -> Any:
    """The case's audit events in order: every step, screening and reservation change."""
    user = caller(request)
    events = case_history(user, get_case(user, case_id))
    if events is None:
        raise PermissionDenied("your role may not view audit")
    return events


@router.get("/queue", response={200: list[CaseOut], **ERRORS}, tags=["workflow"])
def queue(request: HttpRequest, limit: int = Limit, offset: int = Offset) -> Any:
    """What waits for you: cases your role can move on, oldest first."""
    user = caller(request)
    return _lines(request, _lines_of(work_queue(user)[offset : offset + limit], user))
