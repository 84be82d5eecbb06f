"""Places and quota months held for accepted cases, and the line of cases waiting for one: the
first waiting case that still stands takes a place that comes free."""

from __future__ import annotations

from accord.accounts.models import User
from accord.capacity import services as places
from accord.capacity.models import Reservation
from accord.cases.changes import apply_screening, finish, snapshot, take_back
from accord.cases.models import Case, State
from accord.cases.referral import facility_code
from accord.cases.services import screen_person
from accord.cases.standing import verdict
from accord.core.screening import Explanation, default_dataset
from accord.core.workflow import Step
from accord.people.models import Person

# How many waiting cases one freed place looks at: beyond it the place waits for the next acceptance.
CANDIDATES = 20


def claim(case: Case, result: Explanation, user: User | None) -> Reservation | None:
    """Hold a place (and the quota month) for the case's clause, or join the line for one; None
    when the clause limits neither."""
    clause = default_dataset().agreement(case.agreement_id).clause(case.clause_id) if case.clause_id else None
    if clause is None:
        return None
    return places.claim(
        case.pk,
        agreement_id=case.agreement_id,
        clause_id=clause.id,
        facility_code=facility_code(case.agreement_id, case.placement, case.clause_id),
        monthly_quota=clause.monthly_quota,
        day=result.date,
        actor=user,
    )


def give_back_place(case: Case, actor: User | None, reason: str) -> None:
    """Cancel the case's place or waitlist position; a place that comes free goes to the line."""
    held = Reservation.objects.filter(case_id=case.pk, status=Reservation.Status.HELD).exists()
    freed = places.cancel(case.pk, actor=actor, reason=reason)
    if freed is not None and held:  # a waitlist position given back frees nothing
        fill_from_waitlist(freed, exclude=case.pk)


def fill_from_waitlist(freed: Reservation, *, exclude: int) -> None:
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
    for candidate in waiting.select_related("case").order_by("id")[:CANDIDATES]:
        # This transaction may already hold the audit head, which a step on that person would
        # wait for while holding the person: skip a busy person rather than wait (no deadlock).
        if Person.objects.select_for_update(skip_locked=True).filter(pk=candidate.case.person_id).first() is None:
            continue
        case = Case.objects.select_for_update().select_related("person").get(pk=candidate.case_id)
        if case.state != State.REFERRED:
            continue
        case.before = snapshot(case)
        result = apply_screening(case, screen_person(case.person, case.agreement_id))
        found = verdict(case, result)
        if found is not None:  # its waitlist position is given back: that frees nothing
            places.cancel(case.pk, actor=None, reason="found when a place came free")
            take_back(case, found, None, "found when a place came free")
            continue
        reservation = claim(case, result, None)
        if reservation is not None and reservation.status == Reservation.Status.HELD:
            finish(
                case, Step.ACCEPT, None, f"A place came free: accepted from the waitlist (reservation {reservation.pk})"
            )
        return
