"""Filing and lifting legal holds. A hold stops every open move of the person in the transaction
that files it; lifting the last one sends the held cases back to screening."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.accounts.permissions import Can, require
from accord.audit.services import record
from accord.cases.changes import apply_screening, finish, locked_cases
from accord.cases.errors import CaseError
from accord.cases.models import Case, State
from accord.cases.services import screen_person
from accord.cases.waitlist import give_back_place
from accord.core.workflow import NOT_YET_MOVED
from accord.holds.models import LegalHold
from accord.movements.services import stop_for_hold
from accord.people.models import Person
from accord.people.services import update_person

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def file_hold(
    person: Person, *, kind: str, reference: str, document: File[bytes] | None, user: User, note: str = ""
) -> LegalHold:
    """Record a hold with its reference and document; every case of the person not yet handed
    over goes to ``on_hold`` at once, giving back its place."""
    require(user, Can.FILE_HOLDS)
    _check(kind, reference, document)
    assert document is not None  # _check refused a missing one
    hold = LegalHold(
        kind=kind,
        reference=reference.strip(),
        document_name=document.name.rsplit("/", 1)[-1][:255] if document.name else "document",
        document_sha256=_sha256(document),
        filed_by=user,
        note=note.strip(),
    )
    try:
        with transaction.atomic():
            locked = Person.objects.select_for_update().get(pk=person.pk)
            hold.person = locked
            hold.document.save(hold.document_name, document, save=False)
            hold.save()
            why = f"{hold.get_kind_display()} {hold.reference}"
            record(user, "hold.file", "hold", str(hold.pk), after=_state(hold), reason=why)
            _stop_open_cases(locked, actor=user, reason=why)
            if locked.legal_hold is not True:
                update_person(locked, {"legal_hold": "true"}, user=user, reason=f"hold filed: {why}")
    except BaseException:
        if hold.document.name:  # the file was written, the transaction that referred to it was not
            hold.document.storage.delete(hold.document.name)
        raise
    person.refresh_from_db()
    return hold


def lift_hold(hold: LegalHold, *, user: User, reason: str) -> LegalHold:
    """Lift a hold. When no other hold remains, the person's cases are screened again and start
    over from ``screened``; they never return straight to where they were."""
    require(user, Can.LIFT_HOLDS)
    if not reason.strip():
        raise CaseError("Lifting a hold needs a reason (the order or decision that ends it)")
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=hold.person_id)
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not locked.active:
            raise CaseError(f"Hold {locked.pk} was already lifted on {locked.lifted_at:%Y-%m-%d}")
        before = _state(locked)
        locked.lifted_by, locked.lifted_at, locked.lift_reason = user, timezone.now(), reason.strip()
        locked.save()
        record(user, "hold.lift", "hold", str(locked.pk), before=before, after=_state(locked), reason=reason.strip())
        if not person.holds.filter(lifted_at=None).exists():
            update_person(person, {"legal_hold": "false"}, user=user, reason=f"hold {locked.pk} lifted")
            _resume_held_cases(person, actor=user, reason=f"hold {locked.pk} lifted: {reason.strip()}")
    return locked


def _stop_open_cases(person: Person, *, actor: User | None, reason: str) -> list[Case]:
    """A hold stops every open case of the person that has not yet been handed over, wherever it
    is: its place is given back and the case waits in ``on_hold`` until the hold is lifted.
    Runs inside the caller's transaction, with the person locked."""
    held = []
    for case in locked_cases(person, (*NOT_YET_MOVED, State.BLOCKED)):
        stop_for_hold(case, actor=actor, reason=reason)  # off the manifest, or flagged on a departed one
        give_back_place(case, actor, reason)
        case.held_from = case.state
        case.scheduled_for = None
        held.append(finish(case, "hold", actor, reason, target=State.ON_HOLD))
    return held


def _resume_held_cases(person: Person, *, actor: User | None, reason: str, day: dt.date | None = None) -> list[Case]:
    """The last hold was lifted: every held case is screened again and starts over from
    ``screened`` (or ``blocked``), never straight back to where it was."""
    resumed = []
    for case in locked_cases(person, (State.ON_HOLD,)):
        result = apply_screening(case, screen_person(person, case.agreement_id, day))
        case.held_from = ""
        target = State.BLOCKED if result.outcome == "barred" else State.SCREENED
        resumed.append(finish(case, "resume", actor, reason, target=target))
    return resumed


def _check(kind: str, reference: str, document: File[bytes] | None) -> None:
    if kind not in LegalHold.Kind.values:
        raise CaseError(f"kind: {kind!r} is not one of {', '.join(LegalHold.Kind.values)}")
    if not reference.strip():
        raise CaseError("reference: a hold needs its docket, order or claim number")
    if len(reference.strip()) > 200:
        raise CaseError("reference: longer than 200 characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in reference):
        raise CaseError("reference: a control character is not allowed")
    if document is None or not document.size:
        raise CaseError("document: a hold needs its document (the order, petition or claim)")
    if document.size > MAX_DOCUMENT_BYTES:
        raise CaseError(f"document: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")


def _sha256(document: File[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in document.chunks():
        digest.update(chunk)
    document.seek(0)
    return digest.hexdigest()


def _state(hold: LegalHold) -> dict[str, object]:
    return {
        "person": hold.person.person_id,
        "kind": hold.kind,
        "reference": hold.reference,
        "document_sha256": hold.document_sha256,
        "active": hold.active,
    }
