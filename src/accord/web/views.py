"""Pages that belong to no single domain app: home, health, agreements, facilities, statistics."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accord.accounts.permissions import Can, can, require
from accord.capacity.selectors import occupancy
from accord.cases.selectors import outcome_counts
from accord.core.dataset import UnknownAgreementError
from accord.core.screening import default_dataset


def health(request: HttpRequest) -> JsonResponse:
    """The framework floor for benchmarks, and a liveness probe: touches the database once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "home.html",
        {
            "can_cases": can(user, Can.VIEW_CASES),
            "can_audit": can(user, Can.VIEW_AUDIT),
            "can_ledger": can(user, Can.VIEW_LEDGER),
        },
    )


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Can.VIEW_AGREEMENTS)
    dataset = default_dataset()
    return render(
        request, "agreements/list.html", {"agreements": dataset.agreements.values(), "version": dataset.version}
    )


@login_required
def agreement_detail(request: HttpRequest, agreement_id: str) -> HttpResponse:
    require(request.user, Can.VIEW_AGREEMENTS)
    dataset = default_dataset()
    try:
        agreement = dataset.agreement(agreement_id)
    except UnknownAgreementError:
        raise Http404(f"no agreement {agreement_id}") from None
    return render(request, "agreements/detail.html", {"agreement": agreement, "version": dataset.version})


@login_required
def facility_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Can.VIEW_FACILITIES)
    return render(request, "facilities/list.html", {"rows": occupancy()})


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    """De-identified figures for monitors and analysts: no names, no person ids."""
    require(request.user, Can.VIEW_STATISTICS)
    return render(request, "statistics.html", {"counts": outcome_counts(), "occupancy": occupancy()})
