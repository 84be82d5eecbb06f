from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accord.accounts.permissions import Can, can, redact_explanation, require
from accord.capacity.selectors import latest_reservation, live_reservation, waitlist_position
from accord.cases import actions
from accord.cases.models import Outcome, State
from accord.cases.selectors import (
    CaseFilters,
    case_history,
    case_list,
    get_case,
    queue_counts,
    sees_legal_notes,
    work_queue,
)
from accord.cases.services import CaseError, open_case
from accord.core.screening import default_dataset
from accord.people.models import Person
from accord.web.paging import page_of, wants_fragment


def _filters(request: HttpRequest) -> CaseFilters:
    get = request.GET
    return CaseFilters(
        query=get.get("q", ""),
        agreement=get.get("agreement", ""),
        outcome=get.get("outcome", ""),
        nationality=get.get("nationality", ""),
        state=get.get("state", ""),
    )


@login_required
def case_list_page(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    cases = case_list(request.user, filters)  # type: ignore[arg-type]
    page = page_of(cases, request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "agreements": [a.id for a in default_dataset().transfer_agreements()],
        "outcomes": Outcome.values,
        "states": State.choices,
    }
    return render(request, "cases/_rows.html" if wants_fragment(request) else "cases/list.html", context)


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = get_case(user, case_id)  # type: ignore[arg-type]
    reservation = latest_reservation(case.pk)
    context = {
        "case": case,
        "explanation": redact_explanation(user, case.explanation),  # type: ignore[arg-type]
        "steps": actions.next_steps(case, user),  # type: ignore[arg-type]
        "reservation": reservation,
        "waitlist_position": waitlist_position(reservation) if reservation else None,
        "history": case_history(user, case),  # type: ignore[arg-type]
        "sees_record": can(user, Can.VIEW_PEOPLE),  # type: ignore[arg-type]
        "sees_legal_notes": sees_legal_notes(user),  # type: ignore[arg-type]
    }
    return render(request, "cases/detail.html", context)


@login_required
@require_POST
def take_step_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """Take a step from the case page; a refusal comes back on the page with the rules that stopped it."""
    case = get_case(request.user, case_id)  # type: ignore[arg-type]
    step = request.POST.get("step", "")
    options = {}
    if step == "schedule" and request.POST.get("on"):
        try:
            options["on"] = dt.date.fromisoformat(request.POST["on"])
        except ValueError:
            messages.error(request, f"Move date: {request.POST['on']!r} is not a date (YYYY-MM-DD)")
            return redirect("case", case_id=case.pk)
    try:
        done = actions.take_step(case.pk, step, user=request.user, reason=request.POST.get("reason", ""), **options)  # type: ignore[arg-type]
    except CaseError as err:  # a refusal names the rules, their reasons and citations
        messages.error(request, str(err))
        return redirect("case", case_id=case.pk)
    reservation = live_reservation(done.pk)
    if step == "accept" and reservation is not None and reservation.status == "waiting":
        messages.warning(
            request,
            f"No place free yet: case {done.pk} is on the waitlist at position {waitlist_position(reservation)}.",
        )
    else:
        messages.success(request, f"Case {done.pk} is now {done.get_state_display()}.")  # type: ignore[attr-defined]
    return redirect("case", case_id=done.pk)


@login_required
def queue_page(request: HttpRequest) -> HttpResponse:
    """What waits for me: cases my role can move on, oldest first."""
    user = request.user
    require(user, Can.VIEW_CASES)  # type: ignore[arg-type]
    page = page_of(work_queue(user), request.GET.get("page"))  # type: ignore[arg-type]
    counts = queue_counts(user)  # type: ignore[arg-type]
    return render(request, "cases/queue.html", {"page": page, "counts": counts})


@login_required
@require_POST
def open_case_page(request: HttpRequest) -> HttpResponse:
    require(request.user, Can.OPEN_CASES)  # type: ignore[arg-type]
    person = get_object_or_404(Person, person_id=request.POST.get("person_id", ""))
    try:
        case = open_case(person, request.POST.get("agreement_id", ""), user=request.user)  # type: ignore[arg-type]
    except CaseError as err:
        messages.error(request, str(err))
        return redirect("person", person_id=person.person_id)
    messages.success(request, f"Case {case.pk} opened: {case.outcome}.")
    return redirect("case", case_id=case.pk)
