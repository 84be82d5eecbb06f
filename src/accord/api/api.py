"""Endpoints. Each checks the caller's role through accord.accounts.permissions and calls a
service or selector; errors come back as JSON ``{"message", "field"}``, never a 500 on bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Form, NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile

from accord.accounts.models import Role, User
from accord.accounts.permissions import PROTECTION_RULES, Can, can, redact_explanation, require
from accord.api.auth import BearerToken, SessionAuth
from accord.api.schemas import (
    AgreementOut,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    ChainCheckOut,
    ClauseOut,
    CountOut,
    ErrorOut,
    EventOut,
    FacilityOut,
    HoldIn,
    HoldOut,
    LiftIn,
    PersonWithProtectionOut,
    RefusalOut,
    ScreenIn,
    ScreeningOut,
    StepIn,
    StepOut,
    Text,
)
from accord.audit.selectors import verify_chain
from accord.capacity.models import Reservation
from accord.capacity.selectors import current_usage, live_reservation, occupancy, waitlist_position
from accord.cases import policy
from accord.cases.actions import Refused, StepOptionError, next_steps, take_step
from accord.cases.models import Case
from accord.cases.selectors import (
    CaseFilters,
    FilterError,
    case_history,
    case_list,
    get_case,
    outcome_counts,
    work_queue,
)
from accord.cases.services import CaseError, explanation_json, open_case, screen_person_against
from accord.core.audit import parse_anchors
from accord.core.dataset import Agreement, UnknownAgreementError
from accord.core.records import RecordError, people_from_dicts
from accord.core.screening import Explanation, default_dataset, explain, select_agreements
from accord.core.workflow import RETURNED, RETURNED_NOTICE, Transition
from accord.holds.models import LegalHold
from accord.holds.selectors import holds_of
from accord.holds.services import file_hold, lift_hold
from accord.people.models import Person
from accord.people.selectors import matching

api = NinjaAPI(
    title="Accord API",
    version="1",
    description="Screening, cases, people, facilities and agreements. Authenticate with `Authorization: Bearer <token>`.",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
)
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}
# Paging: an offset past any caseload still answers an empty page, not an integer overflow in SQL.
Limit = Query(50, ge=1, le=500)
Offset = Query(0, ge=0, le=1_000_000_000)


def _error(request: HttpRequest, status: int, message: str, field: str | None = None) -> HttpResponse:
    return api.create_response(request, {"message": message, "field": field}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    return _error(request, 422, first.get("msg", "invalid input"), ".".join(location) or None)


@api.exception_handler(RecordError)
def _bad_record(request: HttpRequest, exc: RecordError) -> HttpResponse:
    first = exc.errors[0]
    return _error(request, 422, _clip(f"{first.column}: {first.reason} (value {first.value!r})"), first.column or None)


def _clip(message: str, size: int = 300) -> str:
    """A message that quotes the caller's value, cut short when the value is huge."""
    return message if len(message) <= size else f"{message[:size]}… ({len(message):,} characters)"


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (an unparsable body, a failed CSRF check) in the same shape."""
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(request, 413, f"request body larger than {limit:,} bytes (files excepted)")


@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def _too_many(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 400, f"request refused: {exc}")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "forbidden")


@api.exception_handler(Http404)
def _missing(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "not found")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "authentication required: a bearer token or a logged-in session")


@api.exception_handler(UnknownAgreementError)
def _unknown_agreement(request: HttpRequest, exc: UnknownAgreementError) -> HttpResponse:
    return _error(request, 422, str(exc), "agreement_id")


@api.exception_handler(FilterError)
def _bad_filter(request: HttpRequest, exc: FilterError) -> HttpResponse:
    return _error(request, 422, str(exc), exc.field)


@api.exception_handler(StepOptionError)
def _bad_option(request: HttpRequest, exc: StepOptionError) -> HttpResponse:
    """A step option wrong or not taken: bad input (422), nothing changed."""
    return _error(request, 422, str(exc), exc.field)


@api.exception_handler(CaseError)
def _refused(request: HttpRequest, exc: CaseError) -> HttpResponse:
    """A refused use case (409): nothing changed; a refused step also lists the rules that stopped it."""
    rules = exc.rules if isinstance(exc, Refused) else []
    return api.create_response(request, {"message": str(exc), "field": None, "rules": rules}, status=409)


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined, no-any-return]


def _screening_out(explanation: Explanation, user: User) -> dict[str, Any]:
    return {
        "person_id": explanation.person_id,
        "agreement_id": explanation.agreement_id,
        "date": explanation.date,
        "outcome": explanation.outcome,
        "placement": explanation.reported_placement,
        "clause_id": explanation.clause_id,
        "data_version": explanation.data_version,
        "results": redact_explanation(user, explanation_json(explanation)),
    }


@api.get("/people", response={200: list[PersonWithProtectionOut], **ERRORS}, tags=["people"])
def people(request: HttpRequest, q: Text = "", limit: int = Limit, offset: int = Offset) -> Any:
    require(_user(request), Can.VIEW_PEOPLE)
    rows = Person.objects.order_by("person_id")
    if q:
        rows = rows.filter(matching(q))
    return list(rows[offset : offset + limit])


@api.get("/people/{person_id}", response={200: PersonWithProtectionOut, **ERRORS}, tags=["people"])
def person(request: HttpRequest, person_id: str) -> Any:
    require(_user(request), Can.VIEW_PEOPLE)
    return _person(person_id)


def _person(person_id: str) -> Person:
    """The stored person; an id no person could have (too long, holding NUL) is simply not found."""
    if len(person_id) > 64 or "\x00" in person_id:
        raise Http404(f"no person {person_id[:64]!r}")
    return get_object_or_404(Person, person_id=person_id)


@api.get("/people/{person_id}/screening", response={200: list[ScreeningOut], **ERRORS}, tags=["screening"])
def person_screening(request: HttpRequest, person_id: str, agreement_id: Text = "", date: dt.date | None = None) -> Any:
    """The person screened today (or on ``date``) against one or every agreement, rule by rule."""
    user = _user(request)
    require(user, Can.SCREEN)
    found = _person(person_id)
    chosen = _agreements(agreement_id)
    return [_screening_out(s, user) for s in screen_person_against(found, [a.id for a in chosen], date)]


@api.post("/screen", response={200: list[ScreeningOut], **ERRORS}, tags=["screening"])
def screen_record(request: HttpRequest, body: ScreenIn) -> Any:
    """Screen one person record (interchange-format cells) without storing anything."""
    user = _user(request)
    require(user, Can.SCREEN)
    frame = people_from_dicts([{"person_id": "unsaved", **body.record}])
    day = body.date or timezone.localdate()
    usage = current_usage(day)
    return [_screening_out(explain(frame, a.id, day, usage=usage), user) for a in _agreements(body.agreement_id or "")]


def _agreements(agreement_id: str) -> list[Agreement]:
    try:
        return select_agreements(default_dataset(), [agreement_id] if agreement_id else None)
    except ValueError as err:
        raise ValidationError([{"loc": ("agreement_id",), "msg": str(err)}]) from None


@api.get("/facilities", response={200: list[FacilityOut], **ERRORS}, tags=["registry"])
def facilities(request: HttpRequest) -> Any:
    """Every facility with its capacity and the places held, occupied, free and waited for."""
    require(_user(request), Can.VIEW_FACILITIES)
    fields = ("code", "name", "state", "kind", "capacity", "agreement_id", "suspended")
    return [
        {**{f: getattr(row["facility"], f) for f in fields}, **{k: v for k, v in row.items() if k != "facility"}}
        for row in occupancy()
    ]


def _agreement_out(a: Agreement) -> dict[str, Any]:
    clauses = [
        ClauseOut(
            id=c.id,
            title=c.title,
            kind=c.kind,
            status=c.status,
            start=c.start,
            end=c.end,
            placement=c.placement,
            monthly_quota=c.monthly_quota,
            source_document=c.citation.document,
            source_quote=c.citation.quote,
        )
        for c in a.clauses
    ]
    return {
        **a.model_dump(
            include={
                "id",
                "title",
                "kind",
                "sending_state",
                "receiving_state",
                "status",
                "start",
                "end",
                "transport_paid_by",
            }
        ),
        "clauses": clauses,
    }


@api.get("/agreements", response={200: list[AgreementOut], **ERRORS}, tags=["registry"])
def agreements(request: HttpRequest) -> Any:
    require(_user(request), Can.VIEW_AGREEMENTS)
    return [_agreement_out(a) for a in default_dataset().agreements.values()]


@api.get("/agreements/{agreement_id}", response={200: AgreementOut, **ERRORS}, tags=["registry"])
def agreement(request: HttpRequest, agreement_id: str) -> Any:
    require(_user(request), Can.VIEW_AGREEMENTS)
    try:
        return _agreement_out(default_dataset().agreement(agreement_id))
    except UnknownAgreementError as err:
        raise Http404(str(err)) from None


def _case_out(case: Case, user: User, detail: bool = False) -> dict[str, Any]:
    if user.role == Role.RECEIVING_OFFICER:
        return _referral_out(case, user, detail)
    failing = [r for r in case.failing_rules.split(";") if r]
    if not can(user, Can.VIEW_PROTECTION):  # that us/fear failed is itself fear data (8 C.F.R. §208.6)
        failing = [r for r in failing if r not in PROTECTION_RULES]
    out: dict[str, Any] = {
        "id": case.pk,
        "person_id": case.person.person_id,
        "person_name": case.person.display_name,
        "nationalities": case.person.nationalities,
        "agreement_id": case.agreement_id,
        "receiving_state": case.receiving_state,
        "state": case.state,
        "outcome": case.outcome,
        "placement": case.placement,
        "clause_id": case.clause_id,
        "failing_rules": failing,
        "screened_on": case.screened_on,
        "data_version": case.data_version,
        "rules_version": case.rules_version,
        "created_at": case.created_at,
    }
    if detail:
        reservation = live_reservation(case.pk)
        out |= {
            "explanation": redact_explanation(user, case.explanation),
            "next_steps": [_step_out(t) for t in next_steps(case, user)],
            "reservation": _reservation_out(reservation) if reservation else None,
            "referral": case.referral,
            "legal_basis": case.legal_basis,
            "scheduled_for": case.scheduled_for,
            "state_reason": policy.shown_reason(user, case),
        }
    return out


def _referral_out(case: Case, user: User, detail: bool) -> dict[str, Any]:
    """A case as the receiving state holds it: the record it was sent and its own part of the
    workflow. No outcome, rule, screening date or version: nothing that changes with the sending
    state's reasons (8 C.F.R. §208.6)."""
    record = policy.referral_view(case)
    state = policy.seen_state(user, case)
    out: dict[str, Any] = {
        "id": case.pk,
        "person_id": record["person_id"],
        "person_name": policy.display_name(record),
        "nationalities": record["nationalities"],
        "agreement_id": case.agreement_id,
        "receiving_state": case.receiving_state,
        "state": state,
        "outcome": None,
        "placement": record["placement"],
        "clause_id": record["clause"],
        "failing_rules": [],
        "screened_on": None,
        "data_version": "",
        "rules_version": "",
        "created_at": case.created_at,
    }
    if detail:
        returned = state == RETURNED
        reservation = None if returned else live_reservation(case.pk)
        out |= {
            "explanation": [],
            "next_steps": [_step_out(t) for t in next_steps(case, user)],
            "reservation": _reservation_out(reservation) if reservation else None,
            "referral": case.referral,
            "legal_basis": (case.referral or {}).get("legal_basis"),
            "scheduled_for": None if returned else case.scheduled_for,
            "state_reason": RETURNED_NOTICE.format(case=case.pk) if returned else policy.shown_reason(user, case),
        }
    return out


def _step_out(t: Transition) -> dict[str, Any]:
    return {"step": t.step, "label": t.label, "needs_reason": t.needs_reason, "help": t.help}


def _reservation_out(reservation: Reservation) -> dict[str, Any]:
    return {
        "facility": reservation.facility.code if reservation.facility else None,
        "status": reservation.status,
        "quota_month": reservation.quota_month,
        "waitlist_position": waitlist_position(reservation),
    }


@api.get("/cases", response={200: list[CaseOut], **ERRORS}, tags=["cases"])
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
    user = _user(request)
    filters = CaseFilters(query=q, agreement=agreement_id, outcome=outcome, nationality=nationality, state=state)
    return [_case_out(c, user) for c in case_list(user, filters)[offset : offset + limit]]


@api.get("/cases/{int:case_id}", response={200: CaseDetailOut, **ERRORS}, tags=["cases"])
def case(request: HttpRequest, case_id: int) -> Any:
    user = _user(request)
    return _case_out(get_case(user, case_id), user, detail=True)


@api.post("/cases", response={201: CaseDetailOut, 409: ErrorOut, **ERRORS}, tags=["cases"])
def create_case(request: HttpRequest, body: CaseIn) -> Any:
    """Open a case: the person is screened at once and the result stored with its versions."""
    user = _user(request)
    require(user, Can.OPEN_CASES)
    found = Person.objects.filter(person_id=body.person_id).first()
    if found is None:
        return Status(404, {"message": f"no person {body.person_id!r}", "field": "person_id"})
    (chosen,) = _agreements(body.agreement_id)  # an unknown agreement is bad input (422), not a conflict
    return Status(201, _case_out(open_case(found, chosen.id, user=user), user, detail=True))


@api.get("/cases/{int:case_id}/steps", response={200: list[StepOut], **ERRORS}, tags=["workflow"])
def case_steps(request: HttpRequest, case_id: int) -> Any:
    """The steps you may take on the case now (your role, its state, four eyes)."""
    user = _user(request)
    return [_step_out(t) for t in next_steps(get_case(user, case_id), user)]


@api.post("/cases/{int:case_id}/steps", response={200: CaseDetailOut, 409: RefusalOut, **ERRORS}, tags=["workflow"])
def case_take_step(request: HttpRequest, case_id: int, body: StepIn) -> Any:
    """Take a step. The person is screened again today; a refusal (409) changes nothing and names
    the rules, reasons and citations that stopped it. An acceptance into a full facility answers
    200 with the case still ``referred`` and a ``reservation.waitlist_position``."""
    user = _user(request)
    get_case(user, case_id)  # a case the caller may not see is not found, whatever the step
    options = {"on": body.on, "basis_kind": body.basis_kind, "basis_reference": body.basis_reference}
    done = take_step(case_id, body.step, user=user, reason=body.reason, **options)
    return _case_out(get_case(user, done.pk), user, detail=True)


@api.get("/cases/{int:case_id}/history", response={200: list[EventOut], **ERRORS}, tags=["workflow"])
def case_history_api(request: HttpRequest, case_id: int) -> Any:
    """The case's audit events in order: every step, screening and reservation change."""
    user = _user(request)
    events = case_history(user, get_case(user, case_id))
    if events is None:
        raise PermissionDenied("your role may not view audit")
    return events


@api.get("/queue", response={200: list[CaseOut], **ERRORS}, tags=["workflow"])
def queue(request: HttpRequest, limit: int = Limit, offset: int = Offset) -> Any:
    """What waits for you: cases your role can move on, oldest first."""
    user = _user(request)
    return [_case_out(c, user) for c in work_queue(user)[offset : offset + limit]]


def _hold_out(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "person_id": hold.person.person_id,
        "kind": hold.kind,
        "reference": hold.reference,
        "document_name": hold.document_name,
        "document_sha256": hold.document_sha256,
        "filed_by": hold.filed_by.username,
        "filed_at": hold.filed_at,
        "active": hold.active,
        "lifted_by": hold.lifted_by.username if hold.lifted_by else None,
        "lifted_at": hold.lifted_at,
        "lift_reason": hold.lift_reason,
    }


@api.get("/people/{person_id}/holds", response={200: list[HoldOut], **ERRORS}, tags=["holds"])
def person_holds(request: HttpRequest, person_id: str) -> Any:
    require(_user(request), Can.VIEW_HOLDS)
    return [_hold_out(h) for h in holds_of(_person(person_id)).select_related("person")]


@api.post("/people/{person_id}/holds", response={201: HoldOut, 409: RefusalOut, **ERRORS}, tags=["holds"])
def file_person_hold(request: HttpRequest, person_id: str, form: Form[HoldIn], document: File[UploadedFile]) -> Any:
    """File a hold (multipart form with the document): every case of the person not yet handed
    over goes to ``on_hold`` at once and gives back its place."""
    user = _user(request)
    require(user, Can.FILE_HOLDS)
    found = _person(person_id)
    hold = file_hold(found, kind=form.kind, reference=form.reference, document=document, note=form.note, user=user)
    return Status(201, _hold_out(hold))


@api.post("/holds/{int:hold_id}/lift", response={200: HoldOut, 409: RefusalOut, **ERRORS}, tags=["holds"])
def lift_person_hold(request: HttpRequest, hold_id: int, body: LiftIn) -> Any:
    """Lift a hold; when none remains, the held cases are screened again and start from ``screened``."""
    user = _user(request)
    require(user, Can.LIFT_HOLDS)
    hold = get_object_or_404(LegalHold.objects.select_related("person"), pk=hold_id)
    return _hold_out(lift_hold(hold, user=user, reason=body.reason))


@api.get("/audit/verify", response={200: ChainCheckOut, **ERRORS}, tags=["oversight"])
def audit_verify(request: HttpRequest, anchor: list[str] = Query([])) -> Any:  # noqa: B008
    """Recompute every audit event's hash and link. ``anchor`` (repeatable): ``SEQ:HASH`` values
    an earlier check returned and you kept outside Accord; each event must still be there,
    unchanged. A broken chain answers 200 with ``ok: false`` and the first broken event."""
    require(_user(request), Can.VIEW_AUDIT)
    try:
        anchors = parse_anchors(anchor)
    except ValueError as err:
        return _error(request, 422, str(err), "anchor")
    result = verify_chain(anchors)
    return {
        "ok": result.ok,
        "events_checked": result.checked,
        "head": result.head,
        "anchor": result.anchor,
        "anchors_checked": len(anchors),
        "first_broken": result.first_broken,
        "reason": result.reason,
    }


@api.get("/statistics", response={200: list[CountOut], **ERRORS}, tags=["oversight"])
def statistics(request: HttpRequest) -> Any:
    """De-identified counts of cases by agreement, state and outcome."""
    require(_user(request), Can.VIEW_STATISTICS)
    return outcome_counts()
