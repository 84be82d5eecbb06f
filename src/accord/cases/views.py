from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accord.accounts.models import Role, User
from accord.accounts.permissions import Can, can, require, user_of
from accord.capacity.selectors import latest_reservation, waitlist_position
from accord.cases import policy, redaction
from accord.cases.errors import Busy, CaseError
from accord.cases.models import Case, LegalBasis, Outcome, State
from accord.cases.selectors import (
    CaseFilters,
    FilterError,
    case_history,
    case_list,
    get_case,
    queue_counts,
    receiving_states,
    work_queue,
)
from accord.cases.services import open_case
from accord.cases.steps import LEGAL_BASIS, take_step
from accord.core.screening import default_dataset
from accord.core.workflow import RETURNED, RETURNED_LABEL, RETURNED_NOTICE
from accord.people.models import Person
from accord.ui.paging import page_of, wants_fragment


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
    user = user_of(request)
    filters = _filters(request)
    receiving = user.role == Role.RECEIVING_OFFICER
    try:
        cases = case_list(user, filters)
    except FilterError as err:  # a filter the role does not have: the whole list, and why
        messages.error(request, str(err))
        filters = CaseFilters(query=filters.query, agreement=filters.agreement, nationality=filters.nationality)
        cases = case_list(user, filters)
    page = page_of(cases, request.GET.get("page"))
    if receiving:
        page.items[:] = [ReceivingRow.of(user, c) for c in page.items]
    context = {
        "page": page,
        "filters": filters,
        "receiving": receiving,
        "agreements": [a.id for a in default_dataset().transfer_agreements()],
        "outcomes": Outcome.values,
        "states": [(s, RETURNED_LABEL if s == RETURNED else State(s).label) for s in receiving_states()]
        if receiving
        else State.choices,
    }
    return render(request, "cases/_rows.html" if wants_fragment(request) else "cases/list.html", context)


class ReceivingRow:
    """A line of a receiving officer's case list: what the receiving state was sent, and the state
    it is shown; nothing of the sending side's screening."""

    def __init__(self, pk: int, record: dict[str, object], agreement_id: str, state: str, label: str, opened: object):
        self.pk, self.record, self.agreement_id = pk, record, agreement_id
        self.state, self.state_label, self.created_at = state, label, opened
        self.display_name = redaction.display_name(record)

    @classmethod
    def of(cls, user: User, case: Case) -> ReceivingRow:
        return cls(
            case.pk,
            redaction.referral_view(case),
            case.agreement_id,
            policy.seen_state(user, case),
            redaction.seen_state_label(user, case),
            case.created_at,
        )


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    user = user_of(request)
    case = get_case(user, case_id)
    reservation = latest_reservation(case.pk)
    context: dict[str, object] = {
        "case": case,
        "steps": policy.next_steps(case, user),
        "reservation": reservation,
        "waitlist_position": waitlist_position(reservation) if reservation else None,
    }
    if user.role == Role.RECEIVING_OFFICER:
        returned = policy.seen_state(user, case) == RETURNED
        context |= {
            "record": redaction.referral_view(case),
            "state": policy.seen_state(user, case),
            "state_label": redaction.seen_state_label(user, case),
            "notice": _(RETURNED_NOTICE).format(case=case.pk) if returned else "",
            "reason": redaction.shown_reason(user, case),
            "reservation": None if returned else reservation,
        }
        return render(request, "cases/detail_receiving.html", context)
    context |= {
        "needs_basis": LEGAL_BASIS in case.failing_rules.split(";"),
        "basis_kinds": LegalBasis.choices,
        "explanation": redaction.explanation(user, case.explanation),
        "history": case_history(user, case),
        "sees_record": can(user, Can.VIEW_PEOPLE),
        "sees_legal_notes": policy.sees_legal_notes(user),
    }
    return render(request, "cases/detail.html", context)


@login_required
@require_POST
def take_step_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """Take a step from the case page; a refusal comes back on the page with the rules that stopped it."""
    user = user_of(request)
    case = get_case(user, case_id)
    step = request.POST.get("step", "")
    options: dict[str, Any] = {}
    if step == "approve":
        options = {k: request.POST.get(k, "") for k in ("basis_kind", "basis_reference")}
    try:
        done = take_step(case.pk, step, user=user, reason=request.POST.get("reason", ""), seen=case, **options)
    except CaseError as err:  # a refusal names the rules, their reasons and citations (to those who may read them)
        messages.error(request, str(err))
        return redirect("case", case_id=case.pk)
    except Busy:
        messages.error(
            request,
            _("The system is busy and nothing was changed: try the %(step)s step again in a moment.") % {"step": step},
        )
        return redirect("case", case_id=case.pk)
    if done.waiting:
        messages.warning(
            request,
            _("No place free yet: case %(case)s is on the waitlist at position %(n)s.")
            % {"case": done.case.pk, "n": done.waitlist_position},
        )
    else:
        state = _(redaction.seen_state_label(user, done.case))  # the returned label comes from the core, in English
        messages.success(request, _("Case %(case)s is now %(state)s.") % {"case": done.case.pk, "state": state})
    return redirect("case", case_id=done.case.pk)


@login_required
def queue_page(request: HttpRequest) -> HttpResponse:
    """What waits for me: cases my role can move on, oldest first."""
    user = user_of(request)
    require(user, Can.VIEW_CASES)
    page = page_of(work_queue(user), request.GET.get("page"))
    receiving = user.role == Role.RECEIVING_OFFICER
    if receiving:
        page.items[:] = [ReceivingRow.of(user, c) for c in page.items]
    counts = queue_counts(user)
    return render(request, "cases/queue.html", {"page": page, "counts": counts, "receiving": receiving})


@login_required
@require_POST
def open_case_page(request: HttpRequest) -> HttpResponse:
    require(request.user, Can.OPEN_CASES)
    person = get_object_or_404(Person, person_id=request.POST.get("person_id", ""))
    try:
        case = open_case(person, request.POST.get("agreement_id", ""), user=user_of(request))
    except CaseError as err:
        messages.error(request, str(err))
        return redirect("person", person_id=person.person_id)
    messages.success(
        request,
        _("Case %(case)s opened: %(outcome)s.") % {"case": case.pk, "outcome": pgettext("outcome", case.outcome)},
    )
    return redirect("case", case_id=case.pk)
