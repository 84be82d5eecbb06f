"""The workflow's use cases: one function per step, called alike by pages, API, CLI and the other
domain modules (people, holds). ``accord.core.workflow`` says which step leads where and who may
take it; this module carries it out.

Every step runs in one transaction that first locks the person and then the case (always in
that order, so steps, edits and holds on the same person queue up instead of deadlocking), checks
the user, screens the person again with today's data where the step moves them on, and records
the change in the audit log. A refused step raises ``Refused`` and the transaction leaves
nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.accounts.models import Role, User
from accord.accounts.permissions import PROTECTION_RULES, Can, can
from accord.audit.services import record
from accord.capacity import services as places
from accord.capacity.models import Reservation
from accord.capacity.selectors import occupies_place
from accord.cases.models import Case, State
from accord.cases.services import CaseError, explanation_json, screen_person
from accord.core import workflow
from accord.core.screening import Explanation, default_dataset
from accord.core.version import rules_version
from accord.core.workflow import NOT_YET_MOVED, Step, Transition, steps_for, transition
from accord.people.models import Person

# A case that reaches one of these has no submission or approval: it goes through legal review again.
STARTING_OVER = frozenset({State.SCREENED, State.BLOCKED})
BEFORE_APPROVAL = frozenset({State.SCREENED, State.LEGAL_REVIEW, State.BLOCKED})
# Review points that reservations answer (a full facility, a used-up quota): the waitlist, not a lawyer.
ANSWERED_BY_WAITLIST = frozenset({"capacity", "quota"})


class Refused(CaseError):
    """A step the law, the agreement or the workflow does not allow. ``rules`` lists the rules
    that stopped it (id, result, reason, citation), already redacted for the user."""

    def __init__(self, message: str, rules: Iterable[dict[str, str]] = ()) -> None:
        super().__init__(message)
        self.rules = list(rules)


# --- the steps ----------------------------------------------------------------------------------


def submit(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    with transaction.atomic():
        case = _begin(case_id, Step.SUBMIT, user, reason)
        _screen_or_refuse(case, user, day)
        case.submitted_by = user
        return _finish(case, Step.SUBMIT, user, reason)


def send_back(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    with transaction.atomic():
        case = _begin(case_id, Step.SEND_BACK, user, reason)
        return _finish(case, Step.SEND_BACK, user, reason)


def approve(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    """Four eyes: the approver neither opened, screened nor submitted the case. Review points
    (unknown facts, cases the law leaves to judgement) need the reviewer's written reason."""
    with transaction.atomic():
        case = _begin(case_id, Step.APPROVE, user, reason)
        if user.pk in (case.created_by_id, case.screened_by_id, case.submitted_by_id):
            raise Refused("Four eyes: a legal reviewer who did not open, screen or submit this case must approve it")
        result = _screen_or_refuse(case, user, day, after_approval=False)
        reviews = _review_points(result)
        if reviews and not reason.strip():
            raise Refused(
                "Approval with open review points needs a written reason: " + ", ".join(sorted(reviews)),
                _rule_rows(result, user, reviews),
            )
        case.approved_by, case.approval_reason = user, reason.strip()
        case.acknowledged_reviews = ";".join(sorted(reviews))
        return _finish(case, Step.APPROVE, user, reason)


def refer(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    with transaction.atomic():
        case = _begin(case_id, Step.REFER, user, reason)
        _screen_or_refuse(case, user, day)
        if case.state == State.REFERRED:  # referred again: a waitlist place was for the old record
            _give_back_place(case, user, "referred again")
        case.referral = _minimum_record(case)
        return _finish(case, Step.REFER, user, reason)


def accept(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    """The receiving state's acceptance: a place (and quota month) is held from now on. When the
    facility or the quota is used up the case stays referred with a waitlist position."""
    with transaction.atomic():
        case = _begin(case_id, Step.ACCEPT, user, reason)
        result = _screen_or_refuse(case, user, day)
        _refuse_if_referral_stale(case)
        reservation = _claim(case, result, user)
        if reservation is not None and reservation.status == Reservation.Status.WAITING:
            return _finish(case, "waitlist", user, reason, target=State.REFERRED)
        return _finish(case, Step.ACCEPT, user, reason)


def reject(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    with transaction.atomic():
        case = _begin(case_id, Step.REJECT, user, reason)
        _give_back_place(case, user, reason)
        return _finish(case, Step.REJECT, user, reason)


def schedule(
    case_id: int, *, user: User, reason: str = "", day: dt.date | None = None, on: dt.date | None = None
) -> Case:
    """Schedule the move for ``on`` (default: the screening day); the person must be eligible on both days."""
    with transaction.atomic():
        case = _begin(case_id, Step.SCHEDULE, user, reason)
        today = day or timezone.localdate()
        move_day = on or today
        if move_day < today:
            raise Refused(f"The move cannot be scheduled in the past ({move_day} is before {today})")
        if move_day != today:
            _refuse_if_stopped(case, screen_person(case.person, case.agreement_id, move_day), user)
        _screen_or_refuse(case, user, today)
        case.scheduled_for = move_day
        return _finish(case, Step.SCHEDULE, user, reason)


def depart(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    with transaction.atomic():
        case = _begin(case_id, Step.DEPART, user, reason)
        _screen_or_refuse(case, user, day)
        return _finish(case, Step.DEPART, user, reason)


def hand_over(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    with transaction.atomic():
        case = _begin(case_id, Step.HAND_OVER, user, reason)
        _screen_or_refuse(case, user, day)
        places.occupy(case.pk, actor=user)
        return _finish(case, Step.HAND_OVER, user, reason)


def close(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    with transaction.atomic():
        case = _begin(case_id, Step.CLOSE, user, reason)
        return _finish(case, Step.CLOSE, user, reason)


def release(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    """The receiving facility records that the person has left it (sentence served, released,
    transferred on): the occupied place is free again, the first in line takes it, and the case
    is closed. Nothing is screened: the move is over."""
    with transaction.atomic():
        case = _begin(case_id, Step.RELEASE, user, reason)
        freed = places.release(case.pk, actor=user, reason=reason.strip())
        if freed is None:
            raise Refused(f"Nothing to release: case {case.pk} holds no occupied place")
        _fill_from_waitlist(freed, exclude=case.pk)
        return _finish(case, Step.RELEASE, user, reason)


def withdraw(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    with transaction.atomic():
        case = _begin(case_id, Step.WITHDRAW, user, reason)
        _give_back_place(case, user, reason)
        case.held_from = ""
        return _finish(case, Step.WITHDRAW, user, reason)


def rescreen(case_id: int, *, user: User, reason: str = "", day: dt.date | None = None) -> Case:
    """Screen again: a bar sends the case to ``blocked``, its removal back to ``screened``."""
    with transaction.atomic():
        case = _begin(case_id, Step.RESCREEN, user, reason)
        result = _apply_screening(case, screen_person(case.person, case.agreement_id, day), user)
        target = State.BLOCKED if result.outcome == "barred" else State.SCREENED
        return _finish(case, Step.RESCREEN, user, reason, target=target)


STEPS = {
    Step.SUBMIT: submit,
    Step.SEND_BACK: send_back,
    Step.APPROVE: approve,
    Step.REFER: refer,
    Step.ACCEPT: accept,
    Step.REJECT: reject,
    Step.SCHEDULE: schedule,
    Step.DEPART: depart,
    Step.HAND_OVER: hand_over,
    Step.CLOSE: close,
    Step.RELEASE: release,
    Step.WITHDRAW: withdraw,
    Step.RESCREEN: rescreen,
}


def take_step(case_id: int, step: str, *, user: User, reason: str = "", **options: Any) -> Case:
    """The step named by a form, an API body or a command line."""
    try:
        chosen = transition(step)
    except ValueError as err:
        raise CaseError(str(err)) from None
    return STEPS[chosen.step](case_id, user=user, reason=reason, **options)  # type: ignore[operator]


def next_steps(case: Case, user: User) -> list[Transition]:
    """The steps this user may take on this case now (four eyes applied): what pages and the API offer."""
    if user.role == Role.RECEIVING_OFFICER and case.receiving_state != user.receiving_state:
        return []
    steps = steps_for(case.state, user.role)
    if user.pk in (case.created_by_id, case.screened_by_id, case.submitted_by_id):
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
        held.append(_finish(case, "hold", actor, reason, target=State.ON_HOLD))
    return held


def resume_held_cases(person: Person, *, actor: User | None, reason: str, day: dt.date | None = None) -> list[Case]:
    """The last hold was lifted: every held case is screened again and starts over from
    ``screened`` (or ``blocked``), never straight back to where it was."""
    resumed = []
    for case in _locked_cases(person, (State.ON_HOLD,)):
        case.before = _snapshot(case)  # type: ignore[attr-defined]
        result = _apply_screening(case, screen_person(person, case.agreement_id, day), actor)
        case.held_from = ""
        target = State.BLOCKED if result.outcome == "barred" else State.SCREENED
        resumed.append(_finish(case, "resume", actor, reason, target=target))
    return resumed


def review_open_cases(person: Person, *, actor: User | None, reason: str, day: dt.date | None = None) -> list[Case]:
    """After the record changed: screen every case not yet handed over again. A case the new
    facts bar is blocked at once (its place given back); otherwise the new screening is kept and
    the next step decides. A held case keeps waiting, with its screening brought up to date.
    Runs inside the caller's transaction, with the person locked."""
    blocked = []
    for case in _locked_cases(person, (*NOT_YET_MOVED, State.ON_HOLD)):
        case.before = _snapshot(case)  # type: ignore[attr-defined]
        result = _apply_screening(case, screen_person(person, case.agreement_id, day), actor)
        if result.outcome == "barred" and case.state != State.ON_HOLD:
            _give_back_place(case, actor, reason)
            blocked.append(_finish(case, "block", actor, reason, target=State.BLOCKED))
        elif _snapshot(case) != case.before:  # type: ignore[attr-defined]
            _finish(case, "rescreen", actor, reason, target=State(case.state))
    return blocked


# --- helpers --------------------------------------------------------------------------------------


def _begin(case_id: int, step: Step, user: User, reason: str) -> Case:
    """Lock the person, then the case; refuse unless the user may take the step from its state.
    The role is checked before the case is looked up, so a refusal never tells whether it exists."""
    chosen = transition(step)
    if not user.is_active or user.role not in chosen.roles:
        raise Refused(f"Your role ({user.get_role_display()}) may not {chosen.label.lower()}")  # type: ignore[attr-defined]
    person_id = Case.objects.filter(pk=case_id).values_list("person_id", flat=True).first()
    if person_id is None:
        raise CaseError(f"no case {case_id}")
    Person.objects.select_for_update().get(pk=person_id)
    case = Case.objects.select_for_update().select_related("person").get(pk=case_id)
    if user.role == Role.RECEIVING_OFFICER and (
        case.receiving_state != user.receiving_state or case.state not in workflow.REFERRED
    ):
        raise CaseError(f"no case {case_id}")  # a case not sent to this state does not reveal itself
    if case.state not in chosen.sources:
        allowed = ", ".join(s.replace("_", " ") for s in sorted(chosen.sources))
        raise Refused(f"Cannot {chosen.label.lower()}: the case is {case.get_state_display()}, not {allowed}")  # type: ignore[attr-defined]
    if chosen.needs_reason and not reason.strip():
        raise Refused(f"{chosen.label} needs a reason")
    case.before = _snapshot(case)  # type: ignore[attr-defined]
    return case


def _finish(case: Case, step: str, actor: User | None, reason: str, *, target: State | None = None) -> Case:
    case.state = target or State(transition(step).target)
    if case.state in STARTING_OVER:  # sent back, blocked, or resumed after a hold: review it again
        case.submitted_by = case.approved_by = None
        case.acknowledged_reviews = case.approval_reason = ""
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
        "failing_rules": case.failing_rules,
        "screened_on": str(case.screened_on),
        "data_version": case.data_version,
    }


def _locked_cases(person: Person, states: Iterable[str]) -> list[Case]:
    return list(Case.objects.select_for_update().select_related("person").filter(person=person, state__in=list(states)))


def _screen_or_refuse(
    case: Case, user: User, day: dt.date | None, *, after_approval: bool | None = None
) -> Explanation:
    """Screen the person on the day; refuse when barred, or (after approval) when a review
    point appears that the legal reviewer did not answer. Kept on the case when the step goes on."""
    result = screen_person(case.person, case.agreement_id, day)
    _refuse_if_stopped(case, result, user, after_approval=after_approval)
    return _apply_screening(case, result, user)


def _refuse_if_stopped(case: Case, result: Explanation, user: User, *, after_approval: bool | None = None) -> None:
    if result.outcome == "barred":
        barred = {r.rule_id for r in result.failing if r.result.label == "barred"}
        rows = _rule_rows(result, user, barred)
        raise Refused(f"Refused: the person is barred on {result.date}: " + _summary(rows), rows)
    past_approval = case.approved_by_id is not None if after_approval is None else after_approval
    if past_approval:
        new = _review_points(result) - set(filter(None, case.acknowledged_reviews.split(";")))
        if new:
            rows = _rule_rows(result, user, new)
            raise Refused(
                f"Refused: new review points since approval on {result.date} need a legal reviewer: " + _summary(rows),
                rows,
            )


def _referral_changes(case: Case) -> list[str]:
    """The fields of the minimum record that differ from what the receiving state was sent."""
    now = _minimum_record(case)
    return sorted(k for k in now if (case.referral or {}).get(k) != now[k])


def _refuse_if_referral_stale(case: Case) -> None:
    """The receiving state accepts what it was sent: when the record or the placement changed
    since (a conviction quashed, a date of birth corrected), the sending state refers again."""
    changed = _referral_changes(case)
    if changed:
        raise Refused(
            f"The record sent at referral has changed ({', '.join(changed)}): "
            "the sending state must refer the case again before it can be accepted"
        )


def _review_points(result: Explanation) -> set[str]:
    return {r.rule_id for r in result.failing if r.result.label == "review"} - ANSWERED_BY_WAITLIST


def _rule_rows(result: Explanation, user: User, rule_ids: set[str]) -> list[dict[str, str]]:
    """The stopping rules as the user may see them (protection reasons withheld, 8 C.F.R. §208.6)."""
    rows = []
    for r in result.results:
        if r.rule_id not in rule_ids:
            continue
        if r.rule_id in PROTECTION_RULES and not can(user, Can.VIEW_PROTECTION):
            # Even the rule's id would tell that a protection or fear claim exists.
            withheld = "Withheld (8 C.F.R. §208.6)"
            rows.append({"rule_id": "withheld", "result": "withheld", "reason": withheld, "citation": ""})
        else:
            rows.append({"rule_id": r.rule_id, "result": r.result.label, "reason": r.reason, "citation": r.citation})
    return rows


def _summary(rows: list[dict[str, str]]) -> str:
    return "; ".join(f"{r['rule_id']}: {r['reason']}" + (f" ({r['citation']})" if r["citation"] else "") for r in rows)


def _apply_screening(case: Case, result: Explanation, user: User | None) -> Explanation:
    case.outcome = result.outcome
    case.placement = result.reported_placement or ""
    case.clause_id = result.clause_id or ""
    case.failing_rules = ";".join(r.rule_id for r in result.failing)
    case.explanation = explanation_json(result)
    case.screened_on = result.date
    case.screened_at = timezone.now()
    case.data_version = result.data_version
    case.rules_version = rules_version()
    # Four eyes compare the approver with the officer whose screening the approval rests on; a
    # screening after approval or under a hold (at referral, say, by a reviewer since made an
    # officer) leaves it.
    if user is not None and user.role == Role.CASE_OFFICER and case.state in BEFORE_APPROVAL:
        case.screened_by = user
    return result


def _minimum_record(case: Case) -> dict[str, Any]:
    """What the receiving state needs to identify and place the person, and nothing more:
    no protection, fear, status or removal-order facts."""
    p = case.person
    return {
        "person_id": p.person_id,
        "family_name": p.family_name,
        "given_names": p.given_names,
        "date_of_birth": str(p.date_of_birth) if p.date_of_birth else None,
        "sex": p.sex,
        "nationalities": list(p.nationalities),
        "placement": case.placement,
        "facility": _facility_code(case),
        "conviction": p.conviction if case.placement == "prison" else None,
    }


def _facility_code(case: Case) -> str | None:
    if case.placement != "prison" or not case.clause_id:
        return None
    clause = default_dataset().agreement(case.agreement_id).clause(case.clause_id)
    return clause.facility


def _claim(case: Case, result: Explanation, user: User | None) -> Reservation | None:
    clause = default_dataset().agreement(case.agreement_id).clause(case.clause_id) if case.clause_id else None
    if clause is None:
        return None
    return places.claim(
        case.pk,
        agreement_id=case.agreement_id,
        clause_id=clause.id,
        facility_code=_facility_code(case),
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
    """A place (or a quota month's acceptance) came free: the first waiting case that may still
    move, and whose referral still stands, takes it."""
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
        result = screen_person(case.person, case.agreement_id)
        if result.outcome == "barred" or _review_points(result) - set(
            filter(None, case.acknowledged_reviews.split(";"))
        ):
            continue  # the next step on it will be refused with the reasons; it keeps its place in line
        case.before = _snapshot(case)  # type: ignore[attr-defined]
        _apply_screening(case, result, None)
        if _referral_changes(case):
            continue  # the receiving state accepted another record: the case is referred again first
        reservation = _claim(case, result, None)
        if reservation is not None and reservation.status == Reservation.Status.HELD:
            _finish(
                case, Step.ACCEPT, None, f"A place came free: accepted from the waitlist (reservation {reservation.pk})"
            )
        return
