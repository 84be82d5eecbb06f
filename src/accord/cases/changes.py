"""Locking, screening into, saving and auditing a case: the bookkeeping every use case on a case
shares, so that each change is made and recorded one way."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Subquery
from django.utils import timezone

from accord import db
from accord.accounts.models import Role, User
from accord.audit.services import record
from accord.capacity.selectors import agreement_usage, current_usage, deciding_usage
from accord.cases.errors import CaseError
from accord.cases.models import Case, Participation, State
from accord.cases.services import explanation_json
from accord.cases.standing import Verdict, why
from accord.core.screening import Explanation, default_dataset, explain
from accord.core.version import rules_version
from accord.core.workflow import transition
from accord.people.models import Person
from accord.people.records import people_frame, record_of

# A case that reaches one of these has no submission or approval: it goes through legal review again.
STARTING_OVER = frozenset({State.SCREENED, State.BLOCKED})


def lock(case_id: int) -> Case:
    """Lock the case's person, then the case: the one lock order of every use case on a case, so
    that steps, edits and holds on the same person queue up instead of deadlocking."""
    # Two statements: the person found through the case (a subquery, which locks no case row),
    # then the case. The person read under its lock is the case's person: no third read.
    person = db.first(_person_of, case_id)
    case = db.first(_case, case_id) if person is not None else None
    if person is None or case is None:
        raise CaseError(f"no case {case_id}")
    case.person = person
    case.before = snapshot(case)
    return case


def _person_of(case_id: int) -> QuerySet[Person]:
    of_case = Case.objects.filter(pk=case_id).values_list("person_id", flat=True)
    return Person.objects.select_for_update().filter(pk=Subquery(of_case)).order_by("pk")[:1]


def _case(case_id: int) -> QuerySet[Case]:
    return Case.objects.select_for_update().filter(pk=case_id).order_by("pk")[:1]


def locked_cases(person: Person, states: Iterable[str]) -> list[Case]:
    """The person's cases in ``states``, locked (the caller holds the person's lock)."""
    cases = list(
        Case.objects.select_for_update().select_related("person").filter(person=person, state__in=list(states))
    )
    for case in cases:
        case.before = snapshot(case)
    return cases


@dataclass(frozen=True)
class Screened:
    """A screening taken before the write lock, with what it depended on: the person's facts, the
    data's version, the day, and the part of the usage that decides the agreement's rules (a
    facility suspended or with a place free, a quota month with room). ``holds`` re-checks them
    inside the lock; when one changed, the screening is stale and is taken again."""

    result: Explanation
    record: dict[str, Any]
    usage: tuple[object, ...]

    def holds(self, case: Case, day: dt.date | None = None) -> bool:
        """Whether the screening still stands for ``case`` (locked, with its person fresh): the
        same facts, data and day, and the same deciding usage read again now (two queries)."""
        return (
            (day or timezone.localdate()) == self.result.date
            and default_dataset().version == self.result.data_version
            and record_of(case.person) == self.record
            and deciding_usage(
                agreement_usage(case.agreement_id, self.result.date), case.agreement_id, self.result.date
            )
            == self.usage
        )


# One screening ahead at a time in a process: the rules core is CPU-bound Python, which the GIL
# runs one thread at a time anyway. Without the gate, a hundred threads screening at once would
# share the GIL with the one that holds the write lock and stretch its transaction a hundredfold.
_SCREENING_AHEAD = threading.Lock()


def screen_ahead(case_id: int, day: dt.date | None = None, *, read: Case | None = None) -> Screened | None:
    """Screen the case's person before any lock is taken (the slow part of a step: the rules
    core), keeping what the result depended on. None when there is no such case (the step's
    own lookup says so, under the lock). ``read``: the case with its person as the caller has
    just read it (the API's lookup of a case the caller may see), so as not to read it again;
    whatever it says is checked under the lock (``Screened.holds``)."""
    case = read if read is not None else Case.objects.select_related("person").filter(pk=case_id).first()
    if case is None:
        return None
    on = day or timezone.localdate()
    with _SCREENING_AHEAD:
        usage = current_usage(on, [case.agreement_id])
        result = explain(people_frame([case.person]), case.agreement_id, on, usage=usage)
    return Screened(result, record_of(case.person), deciding_usage(usage, case.agreement_id, on))


def apply_screening(case: Case, result: Explanation) -> Explanation:
    """Keep a screening on the case (outcome, placement, clause, rules, date and versions)."""
    case.outcome = result.outcome
    case.placement = result.reported_placement or ""
    case.clause_id = result.clause_id or ""
    case.failing_rules = ";".join(r.rule_id for r in result.failing)
    case.explanation = explanation_json(result)
    case.screened_on = result.date
    case.screened_at = timezone.now()
    case.data_version = result.data_version
    case.rules_version = rules_version()
    return result


def note_part(case: Case, user: User, act: str) -> None:
    """Four eyes remember everyone who prepared the case. ``screened_by`` keeps the officer whose
    screening the approval rests on, shown on the case page."""
    # One statement: a user already on record is left as they are (their first act is kept).
    # Once per use case: a step that screens and then acts notes its user once.
    noted: set[int] = case.__dict__.setdefault("noted", set())
    if user.pk not in noted:
        Participation.objects.bulk_create([Participation(case=case, user=user, first_act=act)], ignore_conflicts=True)
        noted.add(user.pk)
    if user.role == Role.CASE_OFFICER and case.state in (State.SCREENED, State.LEGAL_REVIEW, State.BLOCKED):
        case.screened_by = user


def finish(case: Case, step: str, actor: User | None, reason: str, *, target: State | None = None) -> Case:
    """Save the case in its new state and record ``case.<step>`` with what it was before."""
    case.state = target or State(transition(step).target)
    if case.state in STARTING_OVER:  # sent back, blocked, or resumed after a hold: review it again
        case.submitted_by = case.approved_by = None
        case.acknowledged_reviews = case.approval_reason = ""
        case.legal_basis = None
    case.state_reason = reason.strip()[:1000]
    case.state_changed_at = timezone.now()
    case.save()
    record(actor, f"case.{step}", "case", str(case.pk), before=case.before, after=snapshot(case), reason=reason.strip())
    return case


def take_back(case: Case, verdict: Verdict, actor: User | None, reason: str) -> Case:
    """The state half of a return (the caller gives back any place first): blocked, back in legal
    review with the approval void, or approved with the referral void."""
    case.scheduled_for = None
    if verdict.target == State.LEGAL_REVIEW:  # the approval did not answer what is open now
        case.approved_by, case.approval_reason, case.acknowledged_reviews = None, "", ""
        case.legal_basis = None
    action = "block" if verdict.target == State.BLOCKED else "return"
    return finish(case, action, actor, f"{why(verdict)}: {reason}" if reason else why(verdict), target=verdict.target)


def snapshot(case: Case) -> dict[str, object]:
    """What the audit log keeps of a case before and after a change."""
    return {
        "state": case.state,
        "outcome": case.outcome,
        "placement": case.placement,
        "clause": case.clause_id,
        "failing_rules": case.failing_rules,
        "screened_on": str(case.screened_on),
        "data_version": case.data_version,
        "legal_basis": case.legal_basis,
    }
