"""Reads of cases, scoped to what the user's role may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from django.db.models import Count, QuerySet
from django.http import Http404

from accord import db
from accord.accounts.models import Role, User
from accord.accounts.permissions import Can, can, require
from accord.audit.selectors import events_for_objects
from accord.cases.models import REFERRED_STATES, Case, State
from accord.cases.policy import sent_to, took_part_in
from accord.cases.redaction import audit_values
from accord.core.workflow import QUEUES, RETURNED
from accord.people.selectors import matching


class FilterError(ValueError):
    """A filter the user may not use or that names no value: ``field`` is the filter's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CaseFilters:
    query: str = ""
    agreement: str = ""
    outcome: str = ""
    nationality: str = ""
    state: str = ""


def visible_cases(user: User) -> QuerySet[Case]:
    """Every case the user may see: receiving officers only the cases ever sent to their state."""
    require(user, Can.VIEW_CASES)
    return _scoped(Case.objects.all(), _receiving_state(user))


def _receiving_state(user: User) -> str | None:
    return user.receiving_state if user.role == Role.RECEIVING_OFFICER else None


def _scoped(cases: QuerySet[Case], receiving_state: str | None) -> QuerySet[Case]:
    return cases if receiving_state is None else cases.filter(sent_to(receiving_state))


LIST_FIELDS = (
    *(f.name for f in Case._meta.concrete_fields if f.name not in ("explanation", "referral")),
    "person__person_id",
    "person__family_name",
    "person__given_names",
    "person__nationalities",
)


def case_list(user: User, filters: CaseFilters) -> QuerySet[Case]:
    """The cases the user may see, filtered. A receiving officer filters by the states they are
    shown (``returned`` standing for every sending-side state) and never by outcome: a filter
    would otherwise tell them what the page does not."""
    # A list shows a line per case: leave the explanation (kilobytes each) and the person's
    # other facts in the database.
    receiving = user.role == Role.RECEIVING_OFFICER
    # A receiving officer's line is the record their state was sent: read it with the row, not
    # in a query per case.
    fields = (*LIST_FIELDS, "referral") if receiving else LIST_FIELDS
    cases = visible_cases(user).select_related("person").only(*fields)
    if filters.agreement:
        cases = cases.filter(agreement_id=filters.agreement)
    if filters.outcome:
        if receiving:
            raise FilterError("outcome", "outcome: receiving-state officers do not see screening outcomes")
        cases = cases.filter(outcome=filters.outcome)
    if filters.state and receiving:
        if filters.state == RETURNED:
            cases = cases.exclude(state__in=REFERRED_STATES)
        elif filters.state in REFERRED_STATES:
            cases = cases.filter(state=filters.state)
        else:
            raise FilterError("state", f"state: {filters.state!r} is not one of {', '.join(receiving_states())}")
    elif filters.state:
        cases = cases.filter(state=filters.state)
    if filters.nationality:
        cases = cases.filter(person__nationality_rows__code=filters.nationality.upper())
    if q := filters.query.strip():
        cases = cases.filter(matching(q, "person__"))
    return cases.order_by("-created_at", "-id")


def receiving_states() -> list[str]:
    """The states a receiving officer can filter by, in workflow order."""
    return [s.value for s in State if s in REFERRED_STATES] + [RETURNED]


def get_case(user: User, case_id: int) -> Case:
    """A case the user may see; any other id is "not found", so hidden cases do not reveal themselves."""
    require(user, Can.VIEW_CASES)
    # Read on every page and API call of a case: the statement is compiled once (``accord.db``).
    state = _receiving_state(user)
    case = db.first(_visible_case, case_id) if state is None else db.first(_visible_case, case_id, state)
    if case is None:
        raise Http404(f"no case {case_id} that you may see")
    return case


def _visible_case(case_id: int, receiving_state: str | None = None) -> QuerySet[Case]:
    return _scoped(Case.objects.select_related("person"), receiving_state).filter(pk=case_id).order_by("pk")[:1]


class OutcomeCount(TypedDict):
    """One line of the de-identified figures."""

    agreement_id: str
    state: str
    outcome: str
    count: int


def outcome_counts() -> list[OutcomeCount]:
    """De-identified figures: cases by agreement, state and outcome."""
    return list(
        Case.objects.values("agreement_id", "state", "outcome")
        .annotate(count=Count("id"))
        .order_by("agreement_id", "state", "outcome")
    )


def work_queue(user: User) -> QuerySet[Case]:
    """What waits for this user: cases in a state from which their role may take a step (four
    eyes applied: a reviewer does not see cases they ever opened, screened or submitted), oldest first."""
    states = QUEUES.get(user.role, frozenset())
    cases = case_list(user, CaseFilters()).filter(state__in=sorted(states))
    if user.role == Role.LEGAL_REVIEWER:
        cases = cases.exclude(took_part_in(user), state=State.LEGAL_REVIEW)  # four eyes
    return cases.order_by("state_changed_at", "id")


def queue_counts(user: User) -> list[tuple[State, int]]:
    """The queue's size per state, in workflow order."""
    rows = work_queue(user).order_by().values("state").annotate(n=Count("id"))
    counts = {row["state"]: row["n"] for row in rows}
    return [(state, counts[state]) for state in State if state in counts]


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    reason: str

    @property
    def changes(self) -> list[tuple[str, tuple[object, object]]]:
        """(field, (before, after)) for every field that differs: what a history table shows."""
        before, after = self.before or {}, self.after or {}
        keys = [k for k in {**before, **after} if (before.get(k) or None) != (after.get(k) or None)]
        return [(k, (before.get(k), after.get(k))) for k in keys]


def case_history(user: User, case: Case) -> list[HistoryEntry] | None:
    """The case's audit events and its reservations', in order; None when the role may not see the
    audit log. Protection and fear rules are cut from failing-rule lists for those who may not see them."""
    if not can(user, Can.VIEW_AUDIT):
        return None
    subjects = [
        ("case", str(case.pk)),
        *(("reservation", str(pk)) for pk in case.reservations.values_list("pk", flat=True)),
    ]
    return [
        HistoryEntry(
            seq=e.seq,
            at=e.when,
            actor=e.actor,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            before=audit_values(user, e.before),
            after=audit_values(user, e.after),
            reason=e.reason,
        )
        for e in events_for_objects(subjects)
    ]
