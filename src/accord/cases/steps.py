"""The workflow's steps: one use case per step, called alike by pages, API, CLI and the demo
through ``take_step``. ``accord.core.workflow`` says which step leads where and who may take it;
``policy`` whether this user may take it on this case now; this module carries it out.

Every step runs in one transaction that first locks the person and then the case, checks the
user, screens the person again with today's data where the step moves them on
(``Transition.rescreens``), and records the change in the audit log. A step the workflow does not
allow raises ``Refused`` and leaves nothing behind; bad input (an option a step does not take, a
malformed one) raises ``StepOptionError`` before anything is read.

When the step's screening shows that the case no longer stands (``standing.verdict``), its
transaction is rolled back, the case is returned in one of its own, and the step is refused with
``Returned``: what was accepted is what moves, and nothing else does.

Scheduling, departure and handover are not steps of one case: a movement takes them for every
person on its validated manifest (``accord.movements.services``, ``core.workflow.VIA_MOVEMENT``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accord.accounts.models import Role, User
from accord.capacity import services as places
from accord.capacity.models import Reservation
from accord.capacity.selectors import live_reservation, waitlist_position
from accord.cases import policy
from accord.cases.changes import apply_screening, finish, lock, note_part, screen_ahead
from accord.cases.errors import CaseError, Refused, StepOptionError
from accord.cases.models import Case, LegalBasis, State
from accord.cases.redaction import refusal_rows
from accord.cases.referral import minimum_record
from accord.cases.retry import retry_when_busy
from accord.cases.returns import return_after_refusal
from accord.cases.services import screen_person
from accord.cases.signals import move_stopped
from accord.cases.standing import review_points, verdict
from accord.cases.waitlist import claim, fill_from_waitlist, give_back_place
from accord.core.screening import Explanation
from accord.core.workflow import VIA_MOVEMENT, VIA_MOVEMENT_ONLY, Step, Transition, transition

LEGAL_BASIS = "placement/legal-basis"
# The options each step takes, beyond its reason (the form, API body or command line may give no other).
STEP_OPTIONS: dict[Step, frozenset[str]] = {Step.APPROVE: frozenset({"basis_kind", "basis_reference"})}


@dataclass(frozen=True)
class StepResult:
    """What a step did, for pages, API and CLI to show as it is: the case after the step, the
    place or waitlist position it holds, and where it stands in line."""

    case: Case
    reservation: Reservation | None
    waitlist_position: int | None

    @property
    def waiting(self) -> bool:
        return self.reservation is not None and self.reservation.status == Reservation.Status.WAITING


def take_step(
    case_id: int,
    step: str,
    *,
    user: User,
    reason: str = "",
    day: dt.date | None = None,
    seen: Case | None = None,
    **options: Any,
) -> StepResult:
    """The step named by a form, an API body or a command line, screened on ``day`` (default today).
    Options the step does not take are refused by name (empty ones are ignored: a form sends every
    field it shows). ``seen``: the case with its person as the caller has just read it (to check
    that the user may see it); the step's first screening starts from it instead of reading it
    again, and everything it says is checked again under the lock."""
    try:
        chosen = transition(step)
    except ValueError as err:
        raise StepOptionError("step", str(err)) from None
    if chosen.step in VIA_MOVEMENT:
        raise StepOptionError("step", VIA_MOVEMENT_ONLY.format(step=chosen.step.value))
    given = {name: value for name, value in options.items() if value not in (None, "")}
    for name in sorted(set(given) - STEP_OPTIONS.get(chosen.step, frozenset())):
        raise StepOptionError(name, f"the {chosen.step.value} step takes no option {name!r}")
    case = STEPS[chosen.step](case_id, user=user, reason=reason, day=day, seen=seen, **given)
    reservation = live_reservation(case.pk)
    return StepResult(case, reservation, waitlist_position(reservation) if reservation else None)


# --- the steps ----------------------------------------------------------------------------------


# body(case, user, reason, day, screening, **options): ``screening`` is today's, taken by the
# wrapper when the step rescreens (else None).
StepBody = Callable[..., Case]


class StepRunner(Protocol):
    step: Step

    def __call__(
        self,
        case_id: int,
        *,
        user: User,
        reason: str = ...,
        day: dt.date | None = ...,
        seen: Case | None = ...,
        **options: Any,
    ) -> Case: ...


class _MustReturn(Exception):
    """Raised inside a step's transaction (which then rolls back) when its screening finds a Verdict."""


class _Stale(Exception):
    """Raised inside a step's transaction (which then rolls back, having changed nothing) when what
    the screening taken before the lock depended on has changed since: it is taken again."""


def _may_try(user: User, chosen: Transition) -> bool:
    """Worth screening ahead: the user's role may take the step at all (else ``_begin`` refuses
    it before the case is even looked up)."""
    return policy.role_refusal(user, chosen) is None


def _step(step: Step) -> Callable[[StepBody], StepRunner]:
    """A step's use case, run in one transaction on the case ``_begin`` locked and checked. A step
    that rescreens screens first (an approval is not a preparation: four eyes do not count it);
    when that screening finds that the case must be returned, the transaction is rolled back, the
    return made and committed in one of its own, and the step refused with ``Returned``."""
    chosen = transition(step)

    def decorate(body: StepBody) -> StepRunner:
        @functools.wraps(body)
        def run(
            case_id: int,
            *,
            user: User,
            reason: str = "",
            day: dt.date | None = None,
            seen: Case | None = None,
            **options: Any,
        ) -> Case:
            screener = None if step == Step.APPROVE else user
            ahead_rounds = settings.ACCORD_STEP_SCREENING_ROUNDS if chosen.rescreens else 0
            for round_ in range(ahead_rounds + 1):
                # Screened before the lock while rounds are left; after them, under it. The first
                # round may start from the case as the caller read it; a stale one reads it afresh.
                read = seen if round_ == 0 else None
                try_ahead = round_ < ahead_rounds and _may_try(user, chosen)
                ahead = screen_ahead(case_id, day, read=read) if try_ahead else None
                try:
                    with transaction.atomic():
                        case = _begin(case_id, step, user, reason)
                        screening = None
                        if chosen.rescreens:
                            if ahead is not None and not ahead.holds(case, day):
                                raise _Stale
                            result = ahead.result if ahead is not None else None
                            screening = _screen_or_return(case, screener, day, result, referring=step == Step.REFER)
                        return body(case, user, reason, day, screening, **options)
                except _Stale:
                    continue
                except _MustReturn:
                    break
            raise return_after_refusal(case_id, step, user, day)

        # The whole step, screening ahead and return included, runs again when the database is busy.
        runner: StepRunner = retry_when_busy(run)  # type: ignore[assignment]  # wraps loses the added attribute
        runner.step = step
        return runner

    return decorate


@_step(Step.SUBMIT)
def submit(case: Case, user: User, reason: str, day: dt.date | None, screening: Explanation) -> Case:
    case.submitted_by = user
    note_part(case, user, "submit")
    return finish(case, Step.SUBMIT, user, reason)


@_step(Step.SEND_BACK)
def send_back(case: Case, user: User, reason: str, day: dt.date | None, screening: None) -> Case:
    return finish(case, Step.SEND_BACK, user, reason)


@_step(Step.APPROVE)
def approve(
    case: Case,
    user: User,
    reason: str,
    day: dt.date | None,
    screening: Explanation,
    basis_kind: str = "",
    basis_reference: str = "",
) -> Case:
    """Review points (unknown facts, cases the law leaves to judgement) need the reviewer's written
    reason; a prison placement abroad (placement/legal-basis) needs the receiving state's own legal
    basis to detain, named with a reference, which the referral carries and the audit log keeps.
    Four eyes are checked by ``policy.step_refusal`` before anything is screened."""
    reviews = review_points(screening)
    if reviews and not reason.strip():
        raise Refused(
            _("Approval with open review points needs a written reason: %(rules)s")
            % {"rules": ", ".join(sorted(reviews))},
            refusal_rows(screening, user, reviews),
        )
    case.legal_basis = _legal_basis(basis_kind, basis_reference) if LEGAL_BASIS in reviews else None
    case.approved_by, case.approval_reason = user, reason.strip()
    case.acknowledged_reviews = ";".join(sorted(reviews))
    return finish(case, Step.APPROVE, user, reason)


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
def refer(case: Case, user: User, reason: str, day: dt.date | None, screening: Explanation) -> Case:
    """Send the receiving state the minimum record; from now on any change to it returns the case."""
    case.referral = minimum_record(case)
    return finish(case, Step.REFER, user, reason)


@_step(Step.ACCEPT)
def accept(case: Case, user: User, reason: str, day: dt.date | None, screening: Explanation) -> Case:
    """The receiving state's acceptance of the record it was sent: a place (and quota month) is held
    from now on. When the facility or the quota is used up the case stays referred, on the waitlist."""
    reservation = claim(case, screening, user)
    if reservation is not None and reservation.status == Reservation.Status.WAITING:
        return finish(case, "waitlist", user, reason, target=State.REFERRED)
    return finish(case, Step.ACCEPT, user, reason)


@_step(Step.REJECT)
def reject(case: Case, user: User, reason: str, day: dt.date | None, screening: None) -> Case:
    give_back_place(case, user, reason)
    return finish(case, Step.REJECT, user, reason)


@_step(Step.CLOSE)
def close(case: Case, user: User, reason: str, day: dt.date | None, screening: None) -> Case:
    return finish(case, Step.CLOSE, user, reason)


@_step(Step.RELEASE)
def release(case: Case, user: User, reason: str, day: dt.date | None, screening: None) -> Case:
    """The receiving facility records that the person has left it (sentence served, released,
    transferred on): the occupied place is free again, the first in line takes it, and the case
    is closed. Nothing is screened: the move is over."""
    try:
        freed = places.release(case.pk, actor=user, reason=reason.strip())
    except ValueError as err:  # a release dated before the recorded handover: the stay never began
        raise Refused(_("Cannot record the release: %(why)s") % {"why": err}) from None
    if freed is None:  # policy checked it; the lock makes it certain
        raise Refused(_(policy.NOTHING_TO_RELEASE) % {"case": case.pk})
    fill_from_waitlist(freed, exclude=case.pk)
    return finish(case, Step.RELEASE, user, reason)


@_step(Step.WITHDRAW)
def withdraw(case: Case, user: User, reason: str, day: dt.date | None, screening: None) -> Case:
    give_back_place(case, user, reason)
    move_stopped.send(
        Case, case=case, actor=user, reason=reason, why="withdrawn"
    )  # a scheduled case leaves its manifest
    case.held_from = ""
    return finish(case, Step.WITHDRAW, user, reason)


@_step(Step.RESCREEN)
def rescreen(case: Case, user: User, reason: str, day: dt.date | None, screening: None) -> Case:
    """Screen again: a bar sends the case to ``blocked`` (not a refusal), its removal back to ``screened``."""
    result = apply_screening(case, screen_person(case.person, case.agreement_id, day))
    note_part(case, user, "screen")
    target = State.BLOCKED if result.outcome == "barred" else State.SCREENED
    return finish(case, Step.RESCREEN, user, reason, target=target)


STEPS: dict[Step, StepRunner] = {
    run.step: run
    for run in (
        submit,
        send_back,
        approve,
        refer,
        accept,
        reject,
        close,
        release,
        withdraw,
        rescreen,
    )
}


# --- helpers --------------------------------------------------------------------------------------


def _begin(case_id: int, step: Step, user: User, reason: str) -> Case:
    """Lock the person, then the case; refuse unless ``policy`` lets the user take the step now.
    The role is checked before the case is looked up, so a refusal never tells whether it exists."""
    chosen = transition(step)
    if refusal := policy.role_refusal(user, chosen):
        raise Refused(refusal)
    case = lock(case_id)
    if user.role == Role.RECEIVING_OFFICER and not policy.receiving_officer_may_see(user, case):
        raise CaseError(f"no case {case_id}")  # a case not sent to this state does not reveal itself
    if refusal := policy.step_refusal(user, case, chosen):
        raise Refused(refusal)
    if chosen.needs_reason and not reason.strip():
        raise Refused(_("%(step)s needs a reason") % {"step": _(chosen.label)})
    return case


def _screen_or_return(
    case: Case, user: User | None, day: dt.date | None, ahead: Explanation | None = None, *, referring: bool = False
) -> Explanation:
    """Screen the person on the day (or take ``ahead``, a screening made before the lock that the
    caller found still holds) and keep the result on the case. When the case no longer stands,
    the step cannot go on: ``_MustReturn`` rolls its transaction back and the step's wrapper
    returns the case. ``user`` took part in the case by screening it."""
    result = apply_screening(case, ahead or screen_person(case.person, case.agreement_id, day))
    if user is not None:
        note_part(case, user, "screen")
    if verdict(case, result, referring=referring) is not None:
        raise _MustReturn
    return result
