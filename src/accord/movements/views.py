"""The movements' pages (issue #12 §7): thin views over the same use cases (``services``) and reads
(``selectors``) as the API and the CLI. A refusal comes back on the page, naming what was wrong;
a movement the user may not see is a 404, an act the role may not take a 403."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.accounts.models import User
from accord.accounts.permissions import Can, require, user_of
from accord.cases.errors import Busy, CaseError
from accord.core.ledger import format_amount, parse_minor
from accord.core.screening import default_dataset
from accord.movements import documents, policy, selectors, services
from accord.movements.models import ManifestEntry, Movement
from accord.ui.paging import page_of

FORM_FIELDS = (
    "agreement_id",
    "kind",
    "carrier",
    "flight_number",
    "origin",
    "destination_airport",
    "transit_airports",
    "destination_facility",
    "planned_departure",
    "departure_tz",
    "planned_arrival",
    "arrival_tz",
    "seats",
    "escorts",
    "transport_cost",
    "transport_currency",
)


def _movement(user: User, movement_id: int) -> Movement:
    movement = selectors.visible_movement(user, movement_id)
    if movement is None:
        raise Http404(f"no movement {movement_id}")
    return movement


def _entry(user: User, entry_id: int) -> ManifestEntry:
    entry = ManifestEntry.objects.select_related("movement", "person", "case").filter(pk=entry_id).first()
    if entry is None or not policy.may_see(user, entry.movement):
        raise Http404(f"no manifest entry {entry_id}")
    return entry


def _local(value: str, zone: str, field: str) -> dt.datetime:
    """A ``datetime-local`` input read in the IANA zone of the place it happens."""
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise services.MovementError(_("%(zone)r is not an IANA time zone") % {"zone": zone}, field) from None
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise services.MovementError(
            _("%(value)r is not a date and time (YYYY-MM-DD HH:MM)") % {"value": value}, field
        ) from None
    return naive.replace(tzinfo=tz) if naive.tzinfo is None else naive


def _minor(value: str, field: str) -> int | None:
    """A cost typed as an amount with up to two decimals ("182500.00", "182,500") in minor units."""
    if not value:
        return None
    try:
        amount = parse_minor(value)
    except ValueError:
        amount = 0
    if amount <= 0:
        raise services.MovementError(_("%(value)r is not an amount (up to two decimals)") % {"value": value}, field)
    return amount


def _whole(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise services.MovementError(_("%(value)r is not a whole number") % {"value": value}, field) from None


# --- pages ----------------------------------------------------------------------------------------


@login_required
def movement_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Can.VIEW_MOVEMENTS)
    return render(
        request,
        "movements/list.html",
        {
            "page": page_of(selectors.movement_list(user), request.GET.get("page")),
            "sight": policy.sight(user),
            "sees_payers": policy.sees_payers(user),
            "may_manage": policy.may_manage(user),
        },
    )


def _form_context(values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "agreements": [a.id for a in default_dataset().transfer_agreements()],
        "kinds": Movement.Kind.choices,
    }


@login_required
def movement_new(request: HttpRequest) -> HttpResponse:
    """Plan a movement (case officers). Bad input comes back on the form, naming the field."""
    user = user_of(request)
    require(user, Can.MANAGE_MOVEMENTS)
    if request.method != "POST":
        defaults = {"kind": "charter", "departure_tz": "America/Chicago", "arrival_tz": "America/El_Salvador"}
        return render(request, "movements/new.html", _form_context(defaults, []))
    values = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS}
    try:
        movement = services.create_movement(
            user=user,
            agreement_id=values["agreement_id"],
            kind=values["kind"],
            carrier=values["carrier"],
            flight_number=values["flight_number"],
            origin=values["origin"],
            destination_airport=values["destination_airport"],
            transit_airports=values["transit_airports"],
            destination_facility=values["destination_facility"],
            planned_departure=_local(values["planned_departure"], values["departure_tz"], "planned_departure"),
            departure_tz=values["departure_tz"],
            planned_arrival=_local(values["planned_arrival"], values["arrival_tz"], "planned_arrival"),
            arrival_tz=values["arrival_tz"],
            seats=_whole(values["seats"], "seats"),
            escorts=_whole(values["escorts"], "escorts"),
            transport_cost_minor=_minor(values["transport_cost"], "transport_cost_minor"),
            transport_currency=values["transport_currency"].upper(),
        )
    except CaseError as err:
        return render(request, "movements/new.html", _form_context(values, [str(err)]), status=400)
    except Busy:
        busy = _("The system is busy and nothing was changed: try again in a moment.")
        return render(request, "movements/new.html", _form_context(values, [busy]), status=503)
    messages.success(request, _("Movement %(id)s planned.") % {"id": movement.pk})
    return redirect("movement", movement_id=movement.pk)


@login_required
def movement_edit(request: HttpRequest, movement_id: int) -> HttpResponse:
    """Change a planned movement's facts (case officers), with a reason for the audit log; the
    agreement is fixed (its cases are on the manifest). Bad input comes back on the form."""
    user = user_of(request)
    require(user, Can.MANAGE_MOVEMENTS)
    movement = _movement(user, movement_id)
    if request.method != "POST":
        return render(request, "movements/new.html", _edit_context(movement, _current(movement), []))
    values = {name: request.POST.get(name, "").strip() for name in (*services.EDITABLE, "transport_cost")}
    reason = request.POST.get("reason", "").strip()
    facts = {name: value for name, value in values.items() if name in services.EDITABLE}
    try:
        services.edit_movement(
            movement.pk,
            user=user,
            reason=reason,
            **{
                **facts,
                "planned_departure": _local(values["planned_departure"], values["departure_tz"], "planned_departure"),
                "planned_arrival": _local(values["planned_arrival"], values["arrival_tz"], "planned_arrival"),
                "seats": _whole(values["seats"], "seats"),
                "escorts": _whole(values["escorts"], "escorts"),
                "transport_cost_minor": _minor(values["transport_cost"], "transport_cost_minor"),
                "transport_currency": values["transport_currency"].upper(),
            },
        )
    except CaseError as err:
        return render(request, "movements/new.html", _edit_context(movement, values, [str(err)], reason), status=400)
    except Busy:
        busy = _("The system is busy and nothing was changed: try again in a moment.")
        return render(request, "movements/new.html", _edit_context(movement, values, [busy], reason), status=503)
    messages.success(request, _("Movement %(id)s changed.") % {"id": movement.pk})
    return redirect("movement", movement_id=movement.pk)


def _amount(minor: int | None) -> str:
    return "" if minor is None else format_amount(minor)


def _current(movement: Movement) -> dict[str, str]:
    """The movement's editable facts as the form shows them (times local to their places)."""
    values = {name: str(getattr(movement, name)) for name in services.EDITABLE}
    cost = movement.transport_cost_minor
    values["transport_cost"] = _amount(cost).replace(",", "")
    for name, zone in (("planned_departure", movement.departure_tz), ("planned_arrival", movement.arrival_tz)):
        moment: dt.datetime = getattr(movement, name)
        values[name] = moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
    return values


def _edit_context(movement: Movement, values: dict[str, str], errors: list[str], reason: str = "") -> dict[str, Any]:
    return {
        **_form_context({**values, "agreement_id": movement.agreement_id}, errors),
        "editing": movement,
        "reason": reason,
    }


@login_required
def movement_detail(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    seen = selectors.manifest(movement, user)
    planned = movement.status == Movement.Status.PLANNED
    manage = policy.may_manage(user)
    receive = policy.may_receive(user, movement)
    rows = _shown_rows(movement, seen.rows, manage)
    context = {
        "movement": movement,
        "manifest": seen,
        "rows": rows,
        "sight": policy.sight(user),
        "people": policy.sees_people(user),
        "sees_payers": policy.sees_payers(user),
        "transport_cost": _amount(movement.transport_cost_minor),
        "manage": manage and planned,
        "receive": receive and movement.status == Movement.Status.ARRIVED,
        "may_arrive": receive and movement.status == Movement.Status.DEPARTED,
        "may_resolve": manage or receive,
        "fillable": selectors.fillable(movement) if manage and planned else [],
        "assumptions": documents.assumptions(movement),
        "person_problems": sum(len(r["checks"]) for r in rows),
        "reasons": ManifestEntry.NotHandedOver.choices,
        "documents": ManifestEntry.Document.choices,
        "now_local": timezone.now().astimezone(zoneinfo.ZoneInfo(movement.arrival_tz)).strftime("%Y-%m-%dT%H:%M"),
        "today": timezone.localdate().isoformat(),
        "departure": documents.When(movement.planned_departure, movement.departure_tz),
        "arrival": documents.When(movement.planned_arrival, movement.arrival_tz),
        "actual_departure": documents.When(movement.actual_departure, movement.departure_tz)
        if movement.actual_departure
        else None,
        "actual_arrival": documents.When(movement.actual_arrival, movement.arrival_tz)
        if movement.actual_arrival
        else None,
    }
    return render(request, "movements/detail.html", context)


def _shown_rows(movement: Movement, rows: list[dict[str, Any]], manage: bool) -> list[dict[str, Any]]:
    """The manifest's rows with what the page adds: the handover time where the movement arrives,
    the reason's label, and (for the case officer) the travel document recorded."""
    reasons = dict(ManifestEntry.NotHandedOver.choices)
    recorded = (
        {e.pk: e for e in movement.entries.only("id", "travel_document_state", "travel_document_reference")}
        if manage
        else {}
    )
    shown = []
    for row in rows:
        at = row.get("handed_over_at")
        entry = recorded.get(row["entry_id"])
        shown.append(
            row
            | {
                "handed_over_local": documents.When(dt.datetime.fromisoformat(at), movement.arrival_tz).local()
                if at
                else "",
                "reason_label": str(reasons.get(row.get("not_handed_over_reason") or "", "")),
                "document_state": entry.travel_document_state if entry else "",
                "document_reference": entry.travel_document_reference if entry else "",
            }
        )
    return shown


# --- acts (POST), each a use case -------------------------------------------------------------------


def _act(request: HttpRequest, movement_id: int, done: str, act: Any) -> HttpResponse:
    """Run one use case; a refusal is shown on the movement's page and changes nothing."""
    try:
        act()
    except CaseError as err:
        messages.error(request, str(err))
    except Busy:
        messages.error(request, _("The system is busy and nothing was changed: try again in a moment."))
    else:
        messages.success(request, done)
    return redirect("movement", movement_id=movement_id)


@login_required
@require_POST
def movement_cancel(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    require(user, Can.MANAGE_MOVEMENTS)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        movement.pk,
        _("Movement %(id)s cancelled.") % {"id": movement.pk},
        lambda: services.cancel_movement(movement.pk, user=user, reason=reason),
    )


@login_required
@require_POST
def movement_fill(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    require(user, Can.MANAGE_MOVEMENTS)
    try:
        ids = [int(v) for v in request.POST.getlist("case_ids")]
    except ValueError:
        messages.error(request, _("case_ids: case numbers only"))
        return redirect("movement", movement_id=movement.pk)
    return _act(
        request,
        movement.pk,
        _("%(n)s put on the movement.") % {"n": len(ids)},
        lambda: services.add_to_movement(movement.pk, ids, user=user),
    )


@login_required
@require_POST
def movement_remove(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    require(user, Can.MANAGE_MOVEMENTS)
    raw = request.POST.get("case_id", "")
    case_id = int(raw) if raw.isdigit() else 0
    reason = request.POST.get("reason", "")
    return _act(
        request,
        movement.pk,
        _("Case %(case)s taken off the movement.") % {"case": case_id},
        lambda: services.remove_from_movement(movement.pk, case_id, user=user, reason=reason),
    )


@login_required
@require_POST
def movement_validate(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    found = services.validate_movement(movement.pk, user=user)
    if found:
        messages.error(
            request,
            _("Problems that stop this movement (%(n)s): %(list)s")
            % {"n": len(found), "list": services.describe(found)},
        )
    else:
        messages.success(request, _("No problem found: the movement may depart."))
    return redirect("movement", movement_id=movement.pk)


@login_required
@require_POST
def movement_depart(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    return _act(
        request,
        movement.pk,
        _("Movement %(id)s departed: the manifest is frozen.") % {"id": movement.pk},
        lambda: services.depart(movement.pk, user=user),
    )


@login_required
@require_POST
def movement_arrive(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    return _act(
        request,
        movement.pk,
        _("Arrival of movement %(id)s recorded.") % {"id": movement.pk},
        lambda: services.record_arrival(movement.pk, user=user),
    )


@login_required
@require_POST
def entry_ready(request: HttpRequest, entry_id: int) -> HttpResponse:
    """A travel document and/or a fit-to-travel finding for one person on a planned movement."""
    user = user_of(request)
    entry = _entry(user, entry_id)
    require(user, Can.MANAGE_MOVEMENTS)
    post = request.POST

    def act() -> None:
        if post.get("document_reference", "").strip():
            services.record_travel_document(
                entry.pk,
                user=user,
                kind=post.get("document_kind", ""),
                state=post.get("document_state", ""),
                reference=post.get("document_reference", ""),
            )
        if post.get("fit_on", "").strip():
            try:
                on = dt.date.fromisoformat(post["fit_on"])
            except ValueError:
                message = _("%(v)r is not a date (YYYY-MM-DD)") % {"v": post["fit_on"]}
                raise services.MovementError(message, "fit_on") from None
            services.record_fitness(entry.pk, user=user, on=on)

    return _act(request, entry.movement_id, _("%(p)s updated.") % {"p": entry.person.person_id}, act)


@login_required
@require_POST
def entry_hand_over(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = user_of(request)
    entry = _entry(user, entry_id)
    post = request.POST

    def act() -> None:
        when = post.get("at", "").strip()
        at = _local(when, entry.movement.arrival_tz, "at") if when else None
        services.hand_over(entry.pk, user=user, place=post.get("place", ""), official=post.get("official", ""), at=at)

    return _act(request, entry.movement_id, _("%(p)s handed over.") % {"p": entry.person.person_id}, act)


@login_required
@require_POST
def entry_not_handed_over(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = user_of(request)
    entry = _entry(user, entry_id)
    reason, note = request.POST.get("reason", ""), request.POST.get("note", "")
    return _act(
        request,
        entry.movement_id,
        _("%(p)s recorded as not handed over: flagged until resolved.") % {"p": entry.person.person_id},
        lambda: services.not_handed_over(entry.pk, user=user, reason=reason, note=note),
    )


@login_required
@require_POST
def entry_resolve(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = user_of(request)
    entry = _entry(user, entry_id)
    resolution = request.POST.get("resolution", "")
    return _act(
        request,
        entry.movement_id,
        _("The flag on %(p)s is resolved.") % {"p": entry.person.person_id},
        lambda: services.resolve(entry.pk, user=user, resolution=resolution),
    )


# --- documents ------------------------------------------------------------------------------------


@login_required
def manifest_csv(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    document = documents.manifest_document(movement, user)
    response = HttpResponse(documents.manifest_csv(document), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="manifest-{movement.pk}.csv"'
    return response


@login_required
def manifest_pdf(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = user_of(request)
    movement = _movement(user, movement_id)
    pdf = documents.manifest_pdf(documents.manifest_document(movement, user))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="manifest-{movement.pk}.pdf"'
    return response


@login_required
def receipt_pdf(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = user_of(request)
    entry = _entry(user, entry_id)
    if not policy.sees_people(user):
        raise PermissionDenied(_("this role sees counts, not people"))
    try:
        receipt = documents.handover_receipt(entry, user)
    except ValueError as err:
        raise Http404(str(err)) from None
    response = HttpResponse(documents.receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="handover-{entry.movement_id}-{entry.person.person_id}.pdf"'
    return response
