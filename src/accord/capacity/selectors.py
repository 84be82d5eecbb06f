"""What is used: the places and quota months the rules read, and waitlist positions."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet

from accord import db
from accord.capacity.models import QUOTA_COUNTED, Reservation
from accord.core.rules.engine import FacilityUsage, Usage
from accord.core.screening import default_dataset
from accord.facilities.models import Facility


def current_usage(day: dt.date | None = None, agreement_ids: Sequence[str] | None = None) -> Usage:
    """Places held and occupied per facility, and acceptances per quota month, as stored now.
    Given the screening ``day``, only that day's quota month is counted: the rules read no
    other, and a quota agreement piles up a month's worth of rows every month. Given the
    ``agreement_ids`` screened, only their quota months are counted (the quota rule reads only
    its own agreement's), and none is read when no clause of theirs sets a quota."""
    facilities = _facility_usage()
    if agreement_ids is not None:
        dataset = default_dataset()
        with_quota = [
            a for a in agreement_ids if any(c.monthly_quota is not None for c in dataset.agreement(a).clauses)
        ]
        if not with_quota:  # before any queryset is built: a step screens with this every time
            return Usage(facilities=facilities)
    quota_rows = Reservation.objects.filter(status__in=QUOTA_COUNTED).exclude(quota_month="")
    if day is not None:
        quota_rows = quota_rows.filter(quota_month=day.strftime("%Y-%m"))
    if agreement_ids is not None:
        quota_rows = quota_rows.filter(agreement_id__in=with_quota)
    quota_used = {
        (row["agreement_id"], row["clause_id"], row["quota_month"]): row["n"]
        for row in quota_rows.values("agreement_id", "clause_id", "quota_month").annotate(n=Count("id"))
    }
    return Usage(facilities=facilities, quota_used=quota_used)


def _facility_usage(codes: Sequence[str] | None = None) -> dict[str, FacilityUsage]:
    """Every facility's places held and occupied, or those of the facilities ``codes``."""
    # One query, run twice by every step that screens: compiled once per set of facilities (the
    # codes the builder closes over are part of what ``accord.db`` keeps it by).
    chosen = None if codes is None else tuple(codes)
    rows = db.rows(lambda: _usage_of(chosen))
    return {
        code: FacilityUsage(
            occupied=occupied,
            reserved=held,
            suspended=suspended,
            capacity=capacity,  # the record in service; claims count against the same figure
        )
        for code, suspended, capacity, occupied, held in rows
    }


def _usage_of(codes: tuple[str, ...] | None) -> QuerySet[Facility, tuple[Any, ...]]:
    facilities = Facility.objects.all() if codes is None else Facility.objects.filter(code__in=codes)
    return (
        facilities.order_by()
        .values_list("code", "suspended", "capacity")
        .annotate(
            occupied=Count("reservations", filter=Q(reservations__status=Reservation.Status.OCCUPIED)),
            held=Count("reservations", filter=Q(reservations__status=Reservation.Status.HELD)),
        )
    )


def agreement_usage(agreement_id: str, day: dt.date) -> Usage:
    """What the agreement's own rules read of the usage on ``day``: its facilities' places and its
    clauses' quota months (the cheap re-check of a step's screening, inside its write lock)."""
    agreement = default_dataset().agreement(agreement_id)
    facilities = _facility_usage([f.id for f in agreement.facilities])
    clauses = [c.id for c in agreement.clauses if c.monthly_quota is not None]
    if not clauses:
        return Usage(facilities=facilities)
    month = day.strftime("%Y-%m")
    rows = (
        Reservation.objects.filter(
            status__in=QUOTA_COUNTED, agreement_id=agreement_id, clause_id__in=clauses, quota_month=month
        )
        .values("clause_id")
        .annotate(n=Count("id"))
    )
    return Usage(facilities=facilities, quota_used={(agreement_id, r["clause_id"], month): r["n"] for r in rows})


def deciding_usage(usage: Usage, agreement_id: str, day: dt.date) -> tuple[object, ...]:
    """What of ``usage`` decides the agreement's rules on ``day``: per facility whether it is
    suspended and whether a place is free (rules ``facility/suspended`` and ``capacity``), per
    quota clause whether the month has room (rule ``quota``). Two usages with the same key screen
    a person alike; only the counts quoted in the reasons differ."""
    agreement = default_dataset().agreement(agreement_id)
    month = day.strftime("%Y-%m")
    key: list[object] = []
    for facility in agreement.facilities:
        use = usage.facility(facility.id)
        places = facility.capacity if use.capacity is None else use.capacity
        key.append((facility.id, use.suspended, places - use.occupied - use.reserved > 0))
    for clause in agreement.clauses:
        if clause.monthly_quota is not None:
            used = usage.quota_used.get((agreement_id, clause.id, month), 0)
            key.append((clause.id, used < clause.monthly_quota))
    return tuple(key)


def waitlist_position(reservation: Reservation) -> int | None:
    """1 for the first in line for the same facility (or quota month); None when not waiting."""
    if reservation.status != Reservation.Status.WAITING:
        return None
    ahead = Reservation.objects.filter(status=Reservation.Status.WAITING, pk__lt=reservation.pk)
    if reservation.facility_id is not None:
        ahead = ahead.filter(facility_id=reservation.facility_id)
    else:
        ahead = ahead.filter(
            agreement_id=reservation.agreement_id, clause_id=reservation.clause_id, quota_month=reservation.quota_month
        )
    return ahead.count() + 1


def live_reservation(case_id: int) -> Reservation | None:
    return db.first(_live_reservation, case_id)  # every step's answer reads it


def _live_reservation(case_id: int) -> QuerySet[Reservation]:
    live = ("waiting", "held", "occupied")
    return Reservation.objects.select_related("facility").filter(case_id=case_id, status__in=live).order_by("pk")[:1]


def latest_reservation(case_id: int) -> Reservation | None:
    """The case's live reservation, else the last one it had (released, cancelled): what its page
    shows. A case has at most one live reservation and gets a new one only after it, so the newest
    row is the live one whenever there is one."""
    return Reservation.objects.select_related("facility").filter(case_id=case_id).order_by("-id").first()


def occupied_place_of(person_pk: int) -> Reservation | None:
    """The place the person occupies in a receiving facility now, if any."""
    return (
        Reservation.objects.select_related("facility")
        .filter(case__person_id=person_pk, status=Reservation.Status.OCCUPIED)
        .first()
    )


def occupies_place(case_id: int) -> bool:
    """Whether the case's person is in the facility now (handed over, not yet released)."""
    return Reservation.objects.filter(case_id=case_id, status=Reservation.Status.OCCUPIED).exists()


def occupancy() -> list[dict[str, object]]:
    """Per facility: capacity, places held, occupied, free, and people waiting."""
    counts: Counter[tuple[int, str]] = Counter()
    for row in Reservation.objects.exclude(facility=None).values("facility_id", "status").annotate(n=Count("id")):
        counts[row["facility_id"], row["status"]] = row["n"]
    rows = []
    for f in Facility.objects.all():
        held, occupied, waiting = counts[f.pk, "held"], counts[f.pk, "occupied"], counts[f.pk, "waiting"]
        rows.append(
            {
                "facility": f,
                "capacity": f.capacity,
                "held": held,
                "occupied": occupied,
                "free": max(f.capacity - held - occupied, 0),
                "waiting": waiting,
            }
        )
    return rows


def occupancy_periods(
    first: dt.date, last: dt.date
) -> list[tuple[str, str, dt.date | None, dt.date | None, int | None]]:
    """Every occupancy period that may reach into ``[first, last]``: (agreement id, facility code,
    occupied_on, released_on, person), one per reservation that was occupied (a person moved between
    facilities has one per facility; the person, an internal key, lets the ledger bill a day
    once when the move happened on the day of handover). Periods with an unknown handover day are included (null),
    so the ledger can count them as unknown instead of inventing days."""
    rows = (
        Reservation.objects.order_by()
        .filter(status__in=(Reservation.Status.OCCUPIED, Reservation.Status.RELEASED), facility__isnull=False)
        .filter(Q(occupied_on__isnull=True) | Q(occupied_on__lte=last))
        .filter(Q(released_on__isnull=True) | Q(released_on__gte=first))
        .values_list("agreement_id", "facility__code", "occupied_on", "released_on", "case__person_id")
    )
    return list(rows)


def hold_periods(first: dt.date, last: dt.date) -> list[tuple[str, str, dt.date | None, dt.date | None, int | None]]:
    """Every period a place was held but not occupied that may reach into ``[first, last]``:
    (agreement id, facility code, held_on, held_until, None), half-open, for fees that bill
    reserved-but-empty places. A place held now whose hold day is unknown (rows from before these
    fields) is included with a null day, so the ledger counts it as unknown instead of inventing days."""
    rows = (
        Reservation.objects.order_by()
        .filter(facility__isnull=False)
        .filter(Q(held_on__isnull=False) | Q(status=Reservation.Status.HELD))
        .filter(Q(held_on__isnull=True) | Q(held_on__lte=last))
        .filter(Q(held_until__isnull=True) | Q(held_until__gt=first))
        .values_list("agreement_id", "facility__code", "held_on", "held_until")
    )
    return [(*row, None) for row in rows]
