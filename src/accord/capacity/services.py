"""Claiming and giving back places and quota months. Every function runs inside the caller's
transaction (the case's step) and records its change in the audit log.

Capacity is never exceeded, also when acceptances race: the facility row (then the quota month
row) is locked before the places are counted, so the second of two acceptances counts after the
first has committed. On SQLite every transaction is BEGIN IMMEDIATE (settings), which serializes
writers the same way.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accord import db
from accord.accounts.models import User
from accord.audit.services import lock_chain, record
from accord.capacity.models import PLACE_TAKEN, QUOTA_COUNTED, QuotaMonth, Reservation
from accord.facilities.models import Facility


def claim(
    case_id: int,
    *,
    agreement_id: str,
    clause_id: str,
    facility_code: str | None,
    monthly_quota: int | None,
    day: dt.date,
    actor: User | None,
) -> Reservation | None:
    """Hold a place (and a quota month) for the case, or put it on the waitlist when either is
    used up. None when the move needs neither. A waiting case keeps its reservation row, so its
    place in line is kept."""
    if facility_code is None and monthly_quota is None:
        return None
    _require_transaction()
    lock_chain()  # the lock order of every transaction: audit head, then facility, then quota month
    facility = _locked_facility(facility_code) if facility_code else None
    month = day.strftime("%Y-%m") if monthly_quota is not None else ""
    full = facility is not None and _places_taken(facility) >= facility.capacity
    if monthly_quota is not None:
        _lock_quota_month(agreement_id, clause_id, month)
        full = full or _quota_used(agreement_id, clause_id, month) >= monthly_quota
    status = Reservation.Status.WAITING if full else Reservation.Status.HELD
    held_on = None if full else timezone.localdate()
    existing = db.first(_waiting, case_id)
    if existing is not None:
        before = _state(existing)
        existing.status, existing.quota_month, existing.held_on = status, month, held_on
        existing.save(update_fields=["status", "quota_month", "held_on", "changed_at"])
        _record(actor, "reservation.hold" if not full else "reservation.wait", existing, before)
        return existing
    reservation = Reservation.objects.create(
        case_id=case_id,
        facility=facility,
        agreement_id=agreement_id,
        clause_id=clause_id,
        quota_month=month,
        status=status,
        held_on=held_on,
    )
    _record(actor, "reservation.wait" if full else "reservation.hold", reservation, None)
    return reservation


# Compiled once (``accord.db``): every acceptance runs both.
def _locked_facility(code: str) -> Facility:
    facility = db.first(lambda c: Facility.objects.select_for_update().filter(code=c).order_by("pk")[:1], code)
    if facility is None:
        raise Facility.DoesNotExist(f"no facility {code!r}")
    return facility


def _waiting(case_id: int) -> QuerySet[Reservation]:
    return Reservation.objects.filter(case_id=case_id, status=Reservation.Status.WAITING).order_by("pk")[:1]


# A handover's day is read where it happens (the arrival's zone), which can be a day ahead of the
# server's: one day is allowed, no more (a later day is a handover not yet happened, to be billed).
AHEAD_OF_SERVER = dt.timedelta(days=1)


def occupy(case_id: int, *, actor: User | None, day: dt.date | None = None) -> Reservation | None:
    """Handover: the held place becomes occupied from ``day`` (today when not given), the first
    day of the occupancy period. A day after today is refused: fees accrue from it."""
    if day is not None and day > timezone.localdate() + AHEAD_OF_SERVER:
        raise ValueError(f"handover day {day} is after today: a handover is recorded when it has happened")
    return _move(
        case_id,
        (Reservation.Status.HELD,),
        Reservation.Status.OCCUPIED,
        "reservation.occupy",
        actor,
        stamp=("occupied_on", day or timezone.localdate()),
    )


def cancel(case_id: int, *, actor: User | None, reason: str) -> Reservation | None:
    """The move will not happen (yet): a waiting or held reservation is given back."""
    return _move(
        case_id,
        (Reservation.Status.WAITING, Reservation.Status.HELD),
        Reservation.Status.CANCELLED,
        "reservation.cancel",
        actor,
        reason,
    )


def release(case_id: int, *, actor: User | None, reason: str, day: dt.date | None = None) -> Reservation | None:
    """The person left the facility on ``day`` (today when not given): the occupied place is free
    again. A release dated before the handover is refused."""
    return _move(
        case_id,
        (Reservation.Status.OCCUPIED,),
        Reservation.Status.RELEASED,
        "reservation.release",
        actor,
        reason,
        stamp=("released_on", day or timezone.localdate()),
    )


def _move(
    case_id: int,
    sources: tuple[str, ...],
    target: str,
    action: str,
    actor: User | None,
    reason: str = "",
    stamp: tuple[str, dt.date] | None = None,
) -> Reservation | None:
    _require_transaction()
    reservation = Reservation.objects.select_for_update().filter(case_id=case_id, status__in=sources).first()
    if reservation is None:
        return None
    before = _state(reservation)
    if reservation.status == Reservation.Status.HELD and reservation.held_on is not None:
        # The hold ends: on the handover's day when occupied, today when given back.
        reservation.held_until = stamp[1] if stamp is not None else timezone.localdate()
    reservation.status = target
    fields = ["status", "held_until", "changed_at"]
    if stamp is not None:
        name, day = stamp
        if name == "released_on" and reservation.occupied_on is not None and day < reservation.occupied_on:
            raise ValueError(f"release day {day} is before the handover day {reservation.occupied_on}")
        setattr(reservation, name, day)
        fields.append(name)
    reservation.save(update_fields=fields)
    _record(actor, action, reservation, before, reason)
    return reservation


def _places_taken(facility: Facility) -> int:
    return Reservation.objects.filter(facility=facility, status__in=PLACE_TAKEN).count()


def _quota_used(agreement_id: str, clause_id: str, month: str) -> int:
    return Reservation.objects.filter(
        agreement_id=agreement_id, clause_id=clause_id, quota_month=month, status__in=QUOTA_COUNTED
    ).count()


def _lock_quota_month(agreement_id: str, clause_id: str, month: str) -> None:
    QuotaMonth.objects.get_or_create(agreement_id=agreement_id, clause_id=clause_id, month=month)
    QuotaMonth.objects.select_for_update().get(agreement_id=agreement_id, clause_id=clause_id, month=month)


def _state(reservation: Reservation) -> dict[str, object]:
    return {
        "case": reservation.case_id,
        "facility": reservation.facility.code if reservation.facility else None,
        "quota": f"{reservation.agreement_id}/{reservation.clause_id}/{reservation.quota_month}"
        if reservation.quota_month
        else None,
        "status": reservation.status,
        "occupied_on": reservation.occupied_on.isoformat() if reservation.occupied_on else None,
        "released_on": reservation.released_on.isoformat() if reservation.released_on else None,
        "held_on": reservation.held_on.isoformat() if reservation.held_on else None,
        "held_until": reservation.held_until.isoformat() if reservation.held_until else None,
    }


def _record(
    actor: User | None, action: str, reservation: Reservation, before: dict[str, object] | None, reason: str = ""
) -> None:
    record(actor, action, "reservation", str(reservation.pk), before=before, after=_state(reservation), reason=reason)


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("places are claimed and given back inside the case's transaction")
