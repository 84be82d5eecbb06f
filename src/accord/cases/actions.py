"""The workflow's use cases: one function per step, called alike by pages, API, CLI and the other
domain modules (people, holds). ``accord.core.workflow`` says which step leads where and who may
take it; this module carries it out.

Every step runs in one transaction that first locks the person and then the case (always in
that order, so steps, edits and holds on the same person queue up instead of deadlocking), checks
the user, screens the person again with today's data where the step moves them on, and records
the change in the audit log. A step the workflow does not allow raises ``Refused`` and leaves
nothing behind.

A screening can also show that the case no longer stands as it was approved, referred or
accepted: the person is barred, a review point appeared that the legal reviewer never answered,
or the minimum record the receiving state was sent has changed. Whatever found it (an edit, an
import, a hold, or a step's own screening), the case is then *returned* in the same transaction as
the finding: blocked, back in legal review, or with its referral and acceptance void; its place is
given back. A step that finds it is refused (``Returned``) after the return has been committed on
its own, as the system's act: what was accepted is what moves, and nothing else does.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.accounts.models import Role, User
from accord.audit.services import record
from accord.capacity import services as places
from accord.capacity.models import Reservation
from accord.capacity.selectors import occupies_place
from accord.cases.models import Case, LegalBasis, Participation, State
from accord.cases.policy import (
    receiving_officer_may_see,
    refusal_rows,
    seen_state,
    took_part,
)
from accord.cases.services import CaseError, explanation_json, screen_person
from accord.core.screening import Explanation, default_dataset
from accord.core.version import rules_version
from accord.core.workflow import NOT_YET_MOVED, RETURNED, RETURNED_NOTICE, SENT, Step, Transition, steps_for, transition
from accord.people.models import Person

# A case that reaches one of these has no submission or approval: it goes through legal review again.
STARTING_OVER = frozenset({State.SCREENED, State.BLOCKED})
# Review points that reservations answer (a full facility, a used-up quota): the waitlist, not a lawyer.
ANSWERED_BY_WAITLIST = frozenset({"capacity", "quota"})
LEGAL_BASIS = "placement/legal-basis"
# The options each step takes, beyond its reason (the form, API body or command line may give no other).
STEP_OPTIONS: dict[Step, frozenset[str]] = {
    Step.APPROVE: frozenset({"basis_kind", "basis_reference"}),
    Step.SCHEDULE: frozenset({"on"}),
}


class Refused(CaseError):
    """A step the law, the agreement or the workflow does not allow. ``rules`` lists the rules
    that stopped it (id, result, reason, citation), already redacted for the user."""

    def __init__(self, message: str, rules: Iterable[dict[str, str]] = ()) -> None:
        super().__init__(message)
        self.rules = list(rules)


class Returned(Refused):
    """A step refused because its screening showed the case no longer stands: the case was
    returned (``state``: blocked, legal review, or approved with its referral void) and its place
    given back, in a transaction of its own that committed before this was raised."""

    def __init__(self, message: str, rules: Iterable[dict[str, str]] = (), *, case_id: int, state: str) -> None:
        super().__init__(message, rules)
        self.case_id, self.state = case_id, state


@dataclass(frozen=True)
class Verdict:
    """Why a case can no longer stand as it is, and where it goes back to."""

    target: State
    cause: str  # "barred", "review" (unanswered review points after approval) or "record" (referral stale)
    rule_ids: frozenset[str] = frozenset()
    fields: tuple[str, ...] = ()


class StepOptionError(CaseError):
    """An option a step needs, given wrong, or one the step does not take (``field`` names it):
    bad input, refused before anything is read or changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if not message.startswith(field) else message)
        self.field = field


class _MustReturn(Exception):
    """Raised inside a step's transaction (which then rolls back) when its screening finds a Verdict."""


# --- the steps ----------------------------------------------------------------------------------

StepBody = Callable[..., Case]  # body(case, user, reason, day, **options)


def _step(step: Step) -> Callable[[StepBody], Callable[..., Case]]:
    """A step's use case: ``body(case, user, reason, day, **options)`` runs in one transaction on
    the case ``_begin`` locked and checked. When the step's screening finds that the case must be
    returned, the step's transaction is rolled back, the return is made and committed in one of its
    own, and the step is refused with ``Returned``."""

    def decorate(body: StepBody) -> Callable[..., Case]:
        @functools.wraps(body)
        def run(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None, **options: Any) -> Case:
            try:
                with transaction.atomic():
                    case = _begin(case_id, step, user, reason)
                    return body(case, user, reason, day, **options)
            except _MustReturn:
                pass
            raise _return_after_refusal(case_id, step, user, day)

        run.step = step  # type: ignore[attr-defined]
        return run

    return decorate


@_step(Step.SUBMIT)
def submit(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    _screen_or_return(case, user, day)
    case.submitted_by = user
    _note_part(case, user, "submit")
    return _finish(case, Step.SUBMIT, user, reason)


@_step(Step.SEND_BACK)
def send_back(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    return _finish(case, Step.SEND_BACK, user, reason)


@_step(Step.APPROVE)
def approve(
    case: Case, user: User, reason: str, day: dt.date | None, basis_kind: str = "", basis_reference: str = ""
) -> Case:
    """Four eyes over the whole history: the approver never opened, screened or submitted the case,
    at any time and in any role. Review points (unknown facts, cases the law leaves to judgement)
    need the reviewer's written reason; a prison placement abroad (placement/legal-basis) needs
    the receiving state's own legal basis to detain, named with a reference, which the referral
    carries and the audit log keeps."""
    if took_part(case, user):
        raise Refused("Four eyes: a legal reviewer who never opened, screened or submitted this case must approve it")
    result = _screen_or_return(case, None, day)
    reviews = _review_points(result)
    if reviews and not reason.strip():
        raise Refused(
            "Approval with open review points needs a written reason: " + ", ".join(sorted(reviews)),
            refusal_rows(result, user, reviews),
        )
    case.legal_basis = _legal_basis(basis_kind, basis_reference) if LEGAL_BASIS in reviews else None
    case.approved_by, case.approval_reason = user, reason.strip()
    case.acknowledged_reviews = ";".join(sorted(reviews))
    return _finish(case, Step.APPROVE, user, reason)


def _legal_basis(kind: str, reference: str) -> dict[str, str]:
    """The receiving state's ground to detain, as the approver names it; refused when missing."""
    reference = reference.strip()
    if kind not in LegalBasis.values:
        choices = "; ".join(f"{value} ({label})" for value, label in LegalBasis.choices)
        raise StepOptionError(
            "basis_kind",
            f"placement/legal-basis: a prison placement abroad needs the receiving state's legal basis to detain: {choices}",
        )
    if not reference or len(reference) > 200 or any(ord(c) < 32 for c in reference):
        raise StepOptionError(
            "basis_reference",
            "placement/legal-basis: give the reference of that conviction, charge or order (1 to 200 printable characters)",
        )
    return {"kind": kind, "reference": reference}


@_step(Step.REFER)
def refer(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    """Send the receiving state the minimum record; from now on any change to it returns the case."""
    _screen_or_return(case, user, day, referring=True)
    case.referral = minimum_record(case)
    return _finish(case, Step.REFER, user, reason)


@_step(Step.ACCEPT)
def accept(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    """The receiving state's acceptance of the record it was sent: a place (and quota month) is held
    from now on. When the facility or the quota is used up the case stays referred, on the waitlist."""
    result = _screen_or_return(case, user, day)
    reservation = _claim(case, result, user)
    if reservation is not None and reservation.status == Reservation.Status.WAITING:
        return _finish(case, "waitlist", user, reason, target=State.REFERRED)
    return _finish(case, Step.ACCEPT, user, reason)


@_step(Step.REJECT)
def reject(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    _give_back_place(case, user, reason)
    return _finish(case, Step.REJECT, user, reason)


@_step(Step.SCHEDULE)
def schedule(case: Case, user: User, reason: str, day: dt.date | None, on: dt.date | None = None) -> Case:
    """Schedule the move for ``on`` (default: the screening day). The person must be eligible on
    both days, and on the move day still the person, placement and facility that were accepted."""
    today = day or timezone.localdate()
    move_day = on or today
    if move_day < today:
        raise Refused(f"The move cannot be scheduled in the past ({move_day} is before {today})")
    _screen_or_return(case, user, today)
    if move_day != today:
        _refuse_on_move_day(case, screen_person(case.person, case.agreement_id, move_day), user)
    case.scheduled_for = move_day
    return _finish(case, Step.SCHEDULE, user, reason)


@_step(Step.DEPART)
def depart(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    _screen_or_return(case, user, day)
    return _finish(case, Step.DEPART, user, reason)


@_step(Step.HAND_OVER)
def hand_over(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    _screen_or_return(case, user, day)
    places.occupy(case.pk, actor=user)
    return _finish(case, Step.HAND_OVER, user, reason)


@_step(Step.CLOSE)
def close(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    return _finish(case, Step.CLOSE, user, reason)


@_step(Step.RELEASE)
def release(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    """The receiving facility records that the person has left it (sentence served, released,
    transferred on): the occupied place is free again, the first in line takes it, and the case
    is closed. Nothing is screened: the move is over."""
    freed = places.release(case.pk, actor=user, reason=reason.strip())
    if freed is None:
        raise Refused(f"Nothing to release: case {case.pk} holds no occupied place")
    _fill_from_waitlist(freed, exclude=case.pk)
    return _finish(case, Step.RELEASE, user, reason)


@_step(Step.WITHDRAW)
def withdraw(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    _give_back_place(case, user, reason)
    case.held_from = ""
    return _finish(case, Step.WITHDRAW, user, reason)


@_step(Step.RESCREEN)
def rescreen(case: Case, user: User, reason: str, day: dt.date | None) -> Case:
    """Screen again: a bar sends the case to ``blocked``, its removal back to ``screened``."""
    result = _apply_screening(case, screen_person(case.person, case.agreement_id, day))
    _note_part(case, user, "screen")
    target = State.BLOCKED if result.outcome == "barred" else State.SCREENED
    return _finish(case, Step.RESCREEN, user, reason, target=target)


STEPS: dict[Step, Callable[..., Case]] = {
    run.step: run  # type: ignore[attr-defined]
    for run in (
        submit,
        send_back,
        approve,
        refer,
        accept,
        reject,
        schedule,
        depart,
        hand_over,
        close,
        release,
        withdraw,
        rescreen,
    )
}


def take_step(
    case_id: int, step: str, *, user: User, reason: str = "", day: dt.date | None = None, **options: Any
) -> Case:
    """The step named by a form, an API body or a command line, screened on ``day`` (default today).
    Options the step does not take are refused by name (empty ones are ignored: a form sends every
    field it shows)."""
    try:
        chosen = transition(step)
    except ValueError as err:
        raise StepOptionError("step", str(err)) from None
    given = {name: value for name, value in options.items() if value not in (None, "")}
    for name in sorted(set(given) - STEP_OPTIONS.get(chosen.step, frozenset())):
        raise StepOptionError(name, f"the {chosen.step.value} step takes no option {name!r}")
    return STEPS[chosen.step](case_id, user=user, reason=reason, day=day, **given)


def next_steps(case: Case, user: User) -> list[Transition]:
    """The steps this user may take on this case now (four eyes applied): what pages and the API offer."""
    if user.role == Role.RECEIVING_OFFICER and (
        not receiving_officer_may_see(user, case) or seen_state(user, case) == RETURNED
    ):
        return []
    steps = steps_for(case.state, user.role)
    if any(t.step == Step.APPROVE for t in steps) and took_part(case, user):
        steps = [t for t in steps if t.step != Step.APPROVE]
    if any(t.step == Step.RELEASE for t in steps) and not occupies_place(case.pk):
        steps = [t for t in steps if t.step != Step.RELEASE]
    return steps


# --- what holds and record edits do to open cases ------------------------------------------------


def hold_open_cases(person: Person, *, actor: User | None, reason: str) -> list[Case]:
    """A hold stops every open case of the person that has not yet been handed over, wherever it
    is: its place is given back and the case waits in ``on_hold`` until the hold is lifted.
    Runs inside the caller's transaction, with the person locked."""
    held = []
    for case in _locked_cases(person, (*NOT_YET_MOVED, State.BLOCKED)):
        case.before = _snapshot(case)  # type: ignore[attr-defined]
        _give_back_place(case, actor, reason)
        case.held_from = case.state
        case.scheduled_for = None
        held.append(_finish(case, "hold", actor, reason, target=State.ON_HOLD))
    return held


def resume_held_cases(person: Person, *, actor: User | None, reason: str, day: dt.date | None = None) -> list[Case]:
    """The last hold was lifted: every held case is screened again and starts over from
    ``screened`` (or ``blocked``), never straight back to where it was."""
    resumed = []
    for case in _locked_cases(person, (State.ON_HOLD,)):
        case.before = _snapshot(case)  # type: ignore[attr-defined]
        result = _apply_screening(case, screen_person(person, case.agreement_id, day))
        case.held_from = ""
        target = State.BLOCKED if result.outcome == "barred" else State.SCREENED
        resumed.append(_finish(case, "resume", actor, reason, target=target))
    return resumed


def review_open_cases(person: Person, *, actor: User | None, reason: str, day: dt.date | None = None) -> list[Case]:
    """After the record changed: screen every case not yet handed over again, comparing outcome,
    rules, placement and clause, and the minimum record the receiving state was sent. A case that
    no longer stands is returned at once (blocked, back to legal review, or its referral void) and
    its place given back; otherwise the new screening is kept. A held case keeps waiting, with its
    screening brought up to date. Runs inside the caller's transaction, with the person locked."""
    returned = []
    for case in _locked_cases(person, (*NOT_YET_MOVED, State.ON_HOLD)):
        if review_case(case, actor=actor, reason=reason, day=day) is not None:
            returned.append(case)
    return returned


def review_case(case: Case, *, actor: User | None, reason: str, day: dt.date | None = None) -> Verdict | None:
    """Screen one locked case again and act on it: returned when it no longer stands (see
    ``_verdict``; a held or blocked case only has its screening brought up to date), else the
    new screening kept, logged as "case.update" when anything changed. Returns the verdict acted on."""
    case.before = _snapshot(case)  # type: ignore[attr-defined]
    result = _apply_screening(case, screen_person(case.person, case.agreement_id, day))
    verdict = None if case.state in (State.ON_HOLD, State.BLOCKED) else _verdict(case, result)
    if verdict is not None:
        _return(case, verdict, actor, reason)
    elif _snapshot(case) != case.before:  # type: ignore[attr-defined]
        # "case.update", not the officer's own "case.rescreen" step: nobody prepared the case by editing.
        _finish(case, "update", actor, reason, target=State(case.state))
    return verdict


def lock_case(case_id: int) -> Case:
    """The case locked for a use case outside this module (its person first, then the case)."""
    return _lock(case_id)


# --- returning a case ---------------------------------------------------------------------------------


def _verdict(case: Case, result: Explanation, *, referring: bool = False) -> Verdict | None:
    """Whether the case, with ``result`` applied to it, must go back: barred (blocked); past
    approval with a review point nobody answered (legal review); sent with a minimum record that is
    no longer the person's (approved, to be referred again). None when it stands."""
    if result.outcome == "barred":
        return Verdict(
            State.BLOCKED, "barred", frozenset(r.rule_id for r in result.failing if r.result.label == "barred")
        )
    if case.approved_by_id is not None and (new := _unanswered(case, result)):
        return Verdict(State.LEGAL_REVIEW, "review", frozenset(new))
    if case.state in SENT and not referring and (changed := referral_changes(case)):
        return Verdict(State.APPROVED, "record", fields=tuple(changed))
    return None


def _return(case: Case, verdict: Verdict, actor: User | None, reason: str) -> Case:
    """Take the case back to the sending state's side, its place given back (inside the caller's
    transaction, with the person and the case locked). The receiving state sees only ``returned``."""
    _give_back_place(case, actor, reason)
    case.scheduled_for = None
    if verdict.target == State.LEGAL_REVIEW:  # the approval did not answer what is open now
        case.approved_by, case.approval_reason, case.acknowledged_reviews = None, "", ""
        case.legal_basis = None
    action = "block" if verdict.target == State.BLOCKED else "return"
    return _finish(
        case, action, actor, f"{_why(verdict)}: {reason}" if reason else _why(verdict), target=verdict.target
    )


def _why(verdict: Verdict) -> str:
    if verdict.cause == "barred":
        return "barred (" + ", ".join(sorted(verdict.rule_ids)) + ")"
    if verdict.cause == "review":
        return "review points since approval (" + ", ".join(sorted(verdict.rule_ids)) + ")"
    return "the record sent to the receiving state changed (" + ", ".join(verdict.fields) + ")"


def _return_after_refusal(case_id: int, step: Step, user: User, day: dt.date | None) -> Refused:
    """The step's screening found that the case must go back; its own transaction is rolled back.
    Return the case now, in a transaction of its own (screened again under the locks, since
    anything may have happened in between), and word the refusal for the user."""
    with transaction.atomic():
        case = _lock(case_id)
        case.before = _snapshot(case)  # type: ignore[attr-defined]
        result = _apply_screening(case, screen_person(case.person, case.agreement_id, day))
        verdict = _verdict(case, result, referring=step == Step.REFER) if case.state in NOT_YET_MOVED else None
        if verdict is not None:
            label = transition(step).label.lower()
            _return(case, verdict, None, f"found when {user.username} tried to {label}")
    if verdict is None:
        return Refused(f"Case {case_id} changed while the step ran; look at it again before the next step")
    if user.role == Role.RECEIVING_OFFICER:  # one sentence whatever the reason (8 C.F.R. §208.6)
        return Returned(RETURNED_NOTICE.format(case=case_id), case_id=case_id, state=RETURNED)
    rows = refusal_rows(result, user, set(verdict.rule_ids))
    return Returned(_refusal_message(verdict, result), rows, case_id=case_id, state=case.state)


def _refusal_message(verdict: Verdict, result: Explanation) -> str:
    rows = refusal_rows(result, None, set(verdict.rule_ids))
    if verdict.cause == "barred":
        found = f"the person is barred on {result.date}: {_summary(rows)}"
        now = "The case is now blocked"
    elif verdict.cause == "review":
        found = f"new review points since approval on {result.date} need a legal reviewer: {_summary(rows)}"
        now = "The case is back in legal review"
    else:
        found = f"the record sent to the receiving state has changed ({', '.join(verdict.fields)})"
        now = "The referral and the acceptance are void: refer the case again"
    return f"Refused: {found}. {now}; any place it held was given back."


# --- helpers --------------------------------------------------------------------------------------


def _begin(case_id: int, step: Step, user: User, reason: str) -> Case:
    """Lock the person, then the case; refuse unless the user may take the step from its state.
    The role is checked before the case is looked up, so a refusal never tells whether it exists."""
    chosen = transition(step)
    if not user.is_active or user.role not in chosen.roles:
        raise Refused(f"Your role ({user.get_role_display()}) may not {chosen.label.lower()}")  # type: ignore[attr-defined]
    case = _lock(case_id)
    if user.role == Role.RECEIVING_OFFICER:
        if not receiving_officer_may_see(user, case):
            raise CaseError(f"no case {case_id}")  # a case not sent to this state does not reveal itself
        if seen_state(user, case) == RETURNED:
            raise Refused(RETURNED_NOTICE.format(case=case_id))  # never which of the sending side's states
    if case.state not in chosen.sources:
        allowed = ", ".join(s.replace("_", " ") for s in sorted(chosen.sources))
        raise Refused(f"Cannot {chosen.label.lower()}: the case is {case.get_state_display()}, not {allowed}")  # type: ignore[attr-defined]
    if chosen.needs_reason and not reason.strip():
        raise Refused(f"{chosen.label} needs a reason")
    case.before = _snapshot(case)  # type: ignore[attr-defined]
    return case


def _lock(case_id: int) -> Case:
    """Lock the case's person, then the case: the one lock order of every use case on a case."""
    person_id = Case.objects.filter(pk=case_id).values_list("person_id", flat=True).first()
    if person_id is None:
        raise CaseError(f"no case {case_id}")
    Person.objects.select_for_update().get(pk=person_id)
    return Case.objects.select_for_update().select_related("person").get(pk=case_id)


def _finish(case: Case, step: str, actor: User | None, reason: str, *, target: State | None = None) -> Case:
    case.state = target or State(transition(step).target)
    if case.state in STARTING_OVER:  # sent back, blocked, or resumed after a hold: review it again
        case.submitted_by = case.approved_by = None
        case.acknowledged_reviews = case.approval_reason = ""
        case.legal_basis = None
    case.state_reason = reason.strip()[:1000]
    case.state_changed_at = timezone.now()
    case.save()
    record(
        actor,
        f"case.{step}",
        "case",
        str(case.pk),
        before=case.before,  # type: ignore[attr-defined]
        after=_snapshot(case),
        reason=reason.strip(),
    )
    return case


def _snapshot(case: Case) -> dict[str, object]:
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


def _locked_cases(person: Person, states: Iterable[str]) -> list[Case]:
    return list(Case.objects.select_for_update().select_related("person").filter(person=person, state__in=list(states)))


def _screen_or_return(case: Case, user: User | None, day: dt.date | None, *, referring: bool = False) -> Explanation:
    """Screen the person on the day and keep the result on the case. When the case no longer
    stands (see ``_verdict``), the step cannot go on: ``_MustReturn`` rolls its transaction back
    and the step's wrapper returns the case. ``user`` took part in the case by screening it (none
    for an approval, which four eyes keep apart from preparing)."""
    result = _apply_screening(case, screen_person(case.person, case.agreement_id, day))
    if user is not None:
        _note_part(case, user, "screen")
    if _verdict(case, result, referring=referring) is not None:
        raise _MustReturn
    return result


def _refuse_on_move_day(case: Case, result: Explanation, user: User) -> None:
    """A move scheduled for a later day: refused (nothing changes; the case stands today) when on
    that day the person would be barred, meet a review point nobody answered, or no longer be the
    person, placement and facility the receiving state accepted (a 17-year-old turning 18, say)."""
    if result.outcome == "barred":
        barred = {r.rule_id for r in result.failing if r.result.label == "barred"}
        rows = refusal_rows(result, user, barred)
        raise Refused(f"Refused: the person would be barred on {result.date}: " + _summary(rows), rows)
    changed = referral_changes(case, placement=result.reported_placement or "", clause_id=result.clause_id or "")
    if changed:
        raise Refused(
            f"Refused: on {result.date} the record would differ from what the receiving state accepted "
            f"({', '.join(changed)}); schedule an earlier day, or refer the case again on that day"
        )
    if new := _unanswered(case, result):
        rows = refusal_rows(result, user, new)
        raise Refused(
            f"Refused: review points on {result.date} that no legal reviewer answered: " + _summary(rows), rows
        )


def _unanswered(case: Case, result: Explanation) -> set[str]:
    return _review_points(result) - set(filter(None, case.acknowledged_reviews.split(";")))


def _review_points(result: Explanation) -> set[str]:
    return {r.rule_id for r in result.failing if r.result.label == "review"} - ANSWERED_BY_WAITLIST


def _summary(rows: list[dict[str, str]]) -> str:
    return "; ".join(f"{r['rule_id']}: {r['reason']}" + (f" ({r['citation']})" if r["citation"] else "") for r in rows)


def _apply_screening(case: Case, result: Explanation) -> Explanation:
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


def _note_part(case: Case, user: User, act: str) -> None:
    """Four eyes remember everyone who prepared the case. ``screened_by`` keeps the officer whose
    screening the approval rests on, shown on the case page."""
    Participation.objects.get_or_create(case=case, user=user, defaults={"first_act": act})
    if user.role == Role.CASE_OFFICER and case.state in (State.SCREENED, State.LEGAL_REVIEW, State.BLOCKED):
        case.screened_by = user


def minimum_record(case: Case) -> dict[str, Any]:
    """What the receiving state needs to identify and place the person, and nothing more:
    no protection, fear, status or removal-order facts."""
    return _minimum_record(case.person, case.agreement_id, case.placement, case.clause_id, case.legal_basis)


def _minimum_record(
    person: Person, agreement_id: str, placement: str, clause_id: str, legal_basis: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "person_id": person.person_id,
        "family_name": person.family_name,
        "given_names": person.given_names,
        "date_of_birth": str(person.date_of_birth) if person.date_of_birth else None,
        "sex": person.sex,
        "nationalities": list(person.nationalities),
        "placement": placement,
        "clause": clause_id or None,
        "facility": _facility_code(agreement_id, placement, clause_id),
        "conviction": person.conviction if placement == "prison" else None,
        # The ground the receiving state holds a person in prison on, in its own law.
        "legal_basis": legal_basis if placement == "prison" else None,
    }


def referral_changes(case: Case, *, placement: str | None = None, clause_id: str | None = None) -> list[str]:
    """The fields of the minimum record that differ from what the receiving state was sent (with
    the case's placement and clause, or those given)."""
    now = _minimum_record(
        case.person,
        case.agreement_id,
        case.placement if placement is None else placement,
        case.clause_id if clause_id is None else clause_id,
        case.legal_basis,
    )
    sent = case.referral or {}
    return [k for k in now if sent.get(k) != now[k]]


def _facility_code(agreement_id: str, placement: str, clause_id: str) -> str | None:
    if placement != "prison" or not clause_id:
        return None
    return default_dataset().agreement(agreement_id).clause(clause_id).facility


def _claim(case: Case, result: Explanation, user: User | None) -> Reservation | None:
    clause = default_dataset().agreement(case.agreement_id).clause(case.clause_id) if case.clause_id else None
    if clause is None:
        return None
    return places.claim(
        case.pk,
        agreement_id=case.agreement_id,
        clause_id=clause.id,
        facility_code=_facility_code(case.agreement_id, case.placement, case.clause_id),
        monthly_quota=clause.monthly_quota,
        day=result.date,
        actor=user,
    )


def _give_back_place(case: Case, actor: User | None, reason: str) -> None:
    held = Reservation.objects.filter(case_id=case.pk, status=Reservation.Status.HELD).exists()
    freed = places.cancel(case.pk, actor=actor, reason=reason)
    if freed is not None and held:  # a waitlist position given back frees nothing
        _fill_from_waitlist(freed, exclude=case.pk)


def _fill_from_waitlist(freed: Reservation, *, exclude: int) -> None:
    """A place (or a quota month's acceptance) came free: the first waiting case that still stands
    takes it. A waiting case found not to stand is returned on the way, like any other."""
    waiting = Reservation.objects.filter(status=Reservation.Status.WAITING).exclude(case_id=exclude)
    if freed.facility_id is not None:
        waiting = waiting.filter(facility_id=freed.facility_id)
    elif freed.quota_month:
        waiting = waiting.filter(
            agreement_id=freed.agreement_id, clause_id=freed.clause_id, quota_month=freed.quota_month
        )
    else:
        return
    for candidate in waiting.select_related("case").order_by("id")[:20]:
        # This transaction may already hold the audit head, which a step on that person would
        # wait for while holding the person: skip a busy person rather than wait (no deadlock).
        if Person.objects.select_for_update(skip_locked=True).filter(pk=candidate.case.person_id).first() is None:
            continue
        case = Case.objects.select_for_update().select_related("person").get(pk=candidate.case_id)
        if case.state != State.REFERRED:
            continue
        case.before = _snapshot(case)  # type: ignore[attr-defined]
        result = _apply_screening(case, screen_person(case.person, case.agreement_id))
        verdict = _verdict(case, result)
        if verdict is not None:
            _return(case, verdict, None, "found when a place came free")
            continue
        reservation = _claim(case, result, None)
        if reservation is not None and reservation.status == Reservation.Status.HELD:
            _finish(
                case, Step.ACCEPT, None, f"A place came free: accepted from the waitlist (reservation {reservation.pk})"
            )
        return
