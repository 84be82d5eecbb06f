"""Returning a case that no longer stands: whatever found it (an edit, an import, a hold lifted,
a place coming free, or a step's own screening), the case goes back to the sending state's side
in the same transaction as the finding, and its place is given back. A step that finds it is
refused (``Returned``) after the return has been committed on its own, as the system's act."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from accord.accounts.models import Role, User
from accord.cases.changes import apply_screening, finish, lock, locked_cases, snapshot, take_back
from accord.cases.errors import Refused, Returned
from accord.cases.models import Case, State
from accord.cases.redaction import refusal_rows
from accord.cases.services import screen_person
from accord.cases.signals import move_stopped
from accord.cases.standing import Verdict, verdict
from accord.cases.waitlist import give_back_place
from accord.core.screening import Explanation
from accord.core.workflow import NOT_YET_MOVED, RETURNED, RETURNED_NOTICE, Step, transition
from accord.people.models import Person


def return_case(case: Case, found: Verdict, actor: User | None, reason: str) -> Case:
    """Take the case back to the sending state's side, its place given back (inside the caller's
    transaction, with the person and the case locked). The receiving state sees only ``returned``."""
    give_back_place(case, actor, reason)
    move_stopped.send(
        Case, case=case, actor=actor, reason=reason, why="returned for review"
    )  # off a planned manifest, or flagged
    return take_back(case, found, actor, reason)


def review_open_cases(person: Person, *, actor: User | None, reason: str, day: dt.date | None = None) -> list[Case]:
    """After the record changed: screen every case not yet handed over again, comparing outcome,
    rules, placement and clause, and the minimum record the receiving state was sent. A case that
    no longer stands is returned at once (blocked, back to legal review, or its referral void) and
    its place given back; otherwise the new screening is kept. A held case keeps waiting, with its
    screening brought up to date. Runs inside the caller's transaction, with the person locked."""
    return [
        case
        for case in locked_cases(person, (*NOT_YET_MOVED, State.ON_HOLD))
        if review_case(case, actor=actor, reason=reason, day=day) is not None
    ]


def review_case(case: Case, *, actor: User | None, reason: str, day: dt.date | None = None) -> Verdict | None:
    """Screen one locked case again and act on it: returned when it no longer stands (a held or
    blocked case only has its screening brought up to date), else the new screening kept, logged
    as "case.update" when anything changed. Returns the verdict acted on."""
    result = apply_screening(case, screen_person(case.person, case.agreement_id, day))
    found = None if case.state in (State.ON_HOLD, State.BLOCKED) else verdict(case, result)
    if found is not None:
        return_case(case, found, actor, reason)
    elif snapshot(case) != case.before:
        # "case.update", not the officer's own "case.rescreen" step: nobody prepared the case by editing.
        finish(case, "update", actor, reason, target=State(case.state))
    return found


def return_after_refusal(case_id: int, step: Step, user: User, day: dt.date | None) -> Refused:
    """A step's screening found that the case must go back, and its own transaction was rolled
    back. Return the case now, in a transaction of its own (screened again under the locks, since
    anything may have happened in between), and word the refusal for the user."""
    with transaction.atomic():
        case = lock(case_id)
        result = apply_screening(case, screen_person(case.person, case.agreement_id, day))
        found = verdict(case, result, referring=step == Step.REFER) if case.state in NOT_YET_MOVED else None
        if found is not None:
            return_case(case, found, None, f"found when {user.username} tried to {transition(step).label.lower()}")
    if found is None:
        return Refused(
            _("Case %(case)s changed while the step ran; look at it again before the next step") % {"case": case_id}
        )
    if user.role == Role.RECEIVING_OFFICER:  # one sentence whatever the reason (8 C.F.R. §208.6), in their language
        return Returned(_(RETURNED_NOTICE).format(case=case_id), case_id=case_id, state=RETURNED)
    rows = refusal_rows(result, user, set(found.rule_ids))
    return Returned(_refusal_message(found, result), rows, case_id=case_id, state=case.state)


def summary(rows: list[dict[str, str]]) -> str:
    """Refusal rows as one line: rule, reason, citation."""
    return "; ".join(f"{r['rule_id']}: {r['reason']}" + (f" ({r['citation']})" if r["citation"] else "") for r in rows)


def _refusal_message(found: Verdict, result: Explanation) -> str:
    rows = refusal_rows(result, None, set(found.rule_ids))
    if found.cause == "barred":
        what = f"the person is barred on {result.date}: {summary(rows)}"
        now = "The case is now blocked"
    elif found.cause == "review":
        what = f"new review points since approval on {result.date} need a legal reviewer: {summary(rows)}"
        now = "The case is back in legal review"
    else:
        what = f"the record sent to the receiving state has changed ({', '.join(found.fields)})"
        now = "The referral and the acceptance are void: refer the case again"
    return f"Refused: {what}. {now}; any place it held was given back."
