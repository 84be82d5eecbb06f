from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accord.accounts.permissions import Can, redact_explanation, require
from accord.cases.models import Outcome, State
from accord.cases.selectors import CaseFilters, case_list, get_case
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
    case = get_case(request.user, case_id)  # type: ignore[arg-type]
    explanation = redact_explanation(request.user, case.explanation)  # type: ignore[arg-type]
    return render(request, "cases/detail.html", {"case": case, "explanation": explanation})


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
