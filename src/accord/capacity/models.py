"""Places in facilities and monthly quotas, held by cases from acceptance on.

A reservation is the case's claim: ``waiting`` (a waitlist position), ``held`` (a place kept from
acceptance), ``occupied`` (after handover), then ``released`` (the person left the facility) or
``cancelled`` (the move did not happen: rejection, withdrawal, a hold, a bar). Places used are
held + occupied; a quota month counts every acceptance that was not cancelled.
"""

from __future__ import annotations

from django.db import models

from accord.facilities.models import Facility


class Reservation(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting"
        HELD = "held"
        OCCUPIED = "occupied"
        RELEASED = "released"
        CANCELLED = "cancelled"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="reservations")
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="reservations")
    agreement_id = models.CharField(max_length=64)
    clause_id = models.CharField(max_length=64)
    # The calendar month (YYYY-MM) whose quota the acceptance counts against; '' when the clause has none.
    quota_month = models.CharField(max_length=7, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices)
    # The occupancy period, for person-day fees (ledger): the day of handover and the day of
    # release. Null when unknown (rows from before these fields were recorded): never invented.
    occupied_on = models.DateField(null=True, blank=True)
    released_on = models.DateField(null=True, blank=True)
    # The hold period, for fees that bill reserved-but-empty places: the day the place was held and
    # the day the hold ended (occupied or given back), half-open. Null when unknown (rows from
    # before these fields were recorded): never invented.
    held_on = models.DateField(null=True, blank=True)
    held_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["facility", "status"], name="reservation_facility"),
            models.Index(fields=["agreement_id", "clause_id", "quota_month", "status"], name="reservation_quota"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["waiting", "held", "occupied"]),
                name="one_live_reservation_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"Reservation {self.pk} ({self.status}) for case {self.case_id}"


class QuotaMonth(models.Model):
    """One row per agreement clause and month: locked while an acceptance counts the month's use,
    so two acceptances cannot both take the last place of a quota."""

    agreement_id = models.CharField(max_length=64)
    clause_id = models.CharField(max_length=64)
    month = models.CharField(max_length=7)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement_id", "clause_id", "month"], name="unique_quota_month")
        ]


PLACE_TAKEN = (Reservation.Status.HELD, Reservation.Status.OCCUPIED)
LIVE = (Reservation.Status.WAITING, *PLACE_TAKEN)
QUOTA_COUNTED = (*PLACE_TAKEN, Reservation.Status.RELEASED)
