"""Reads of cases, scoped to what the user's role may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.http import Http404

from accord.accounts.models import Role, User
from accord.accounts.permissions import Can, require
from accord.cases.models import REFERRED_STATES, Case
from accord.people.selectors import matching


@dataclass(frozen=True)
class CaseFilters:
    query: str = ""
    agreement: str = ""
    outcome: str = ""
    nationality: str = ""
    state: str = ""


def visible_cases(user: User) -> QuerySet[Case]:
    """Every case the user may see: receiving officers only their own state's referred cases."""
    require(user, Can.VIEW_CASES)
    cases = Case.objects.all()
    if user.role == Role.RECEIVING_OFFICER:
        cases = cases.filter(receiving_state=user.receiving_state, state__in=REFERRED_STATES)
    return cases


LIST_FIELDS = (
    *(f.name for f in Case._meta.concrete_fields if f.name != "explanation"),
    "person__person_id",
    "person__family_name",
    "person__given_names",
    "person__nationalities",
)


def case_list(user: User, filters: CaseFilters) -> QuerySet[Case]:
    # A list shows a line per case: leave the explanation (kilobytes each) and the person's
    # other facts in the database.
    cases = visible_cases(user).select_related("person").defer("explanation").only(*LIST_FIELDS)
    if filters.agreement:
        cases = cases.filter(agreement_id=filters.agreement)
    if filters.outcome:
        cases = cases.filter(outcome=filters.outcome)
    if filters.state:
        cases = cases.filter(state=filters.state)
    if filters.nationality:
        cases = cases.filter(person__nationality_rows__code=filters.nationality.upper())
    if q := filters.query.strip():
        cases = cases.filter(matching(q, "person__"))
    return cases.order_by("-created_at", "-id")


def get_case(user: User, case_id: int) -> Case:
    """A case the user may see; any other id is "not found", so hidden cases do not reveal themselves."""
    case = visible_cases(user).select_related("person").filter(pk=case_id).first()
    if case is None:
        raise Http404(f"no case {case_id} that you may see")
    return case


def outcome_counts() -> list[dict[str, object]]:
    """De-identified figures: cases by agreement, state and outcome."""
    return list(
        Case.objects.values("agreement_id", "state", "outcome")
        .annotate(count=Count("id"))
        .order_by("agreement_id", "state", "outcome")
    )
