"""Movements (a charter or commercial flight, a ground move) and their manifests (issue #12).

A person is on at most one open movement: a partial unique index over the manifest entries that
are ``on``. Departure freezes the manifest; handover is recorded person by person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Movement(models.Model):
    class Kind(models.TextChoices):
        CHARTER = "charter", _("charter flight")
        COMMERCIAL = "commercial", _("commercial flight")
        GROUND = "ground", _("ground")

    class Payer(models.TextChoices):
        SENDING = "sending_state", _("sending state")
        RECEIVING = "receiving_state", _("receiving state")
        THIRD = "third_state", _("third state")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DEPARTED = "departed", _("departed")
        ARRIVED = "arrived", _("arrived")
        CANCELLED = "cancelled", _("cancelled")

    agreement_id = models.CharField(max_length=64)
    receiving_state = models.CharField(max_length=2)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    carrier = models.CharField(max_length=100, blank=True, default="")
    flight_number = models.CharField(max_length=20, blank=True, default="")
    origin = models.CharField(max_length=200, help_text="Place of custody or airport.")
    destination_airport = models.CharField(max_length=200, blank=True, default="")
    # Airports the movement stops at on the way (IATA codes, comma-separated, e.g. "SAL"): a
    # per-passenger transit fee naming one of them is charged at departure.
    transit_airports = models.CharField(max_length=200, blank=True, default="")
    destination_facility = models.CharField(max_length=64, blank=True, default="", help_text="Receiving facility code.")
    planned_departure = models.DateTimeField()
    departure_tz = models.CharField(max_length=64, help_text="IANA time zone of the origin.")
    planned_arrival = models.DateTimeField()
    arrival_tz = models.CharField(max_length=64, help_text="IANA time zone of the destination.")
    actual_departure = models.DateTimeField(null=True, blank=True)
    actual_arrival = models.DateTimeField(null=True, blank=True)
    seats = models.PositiveIntegerField()
    escorts = models.PositiveIntegerField()
    payer = models.CharField(max_length=16, choices=Payer.choices)
    payer_state = models.CharField(max_length=2, help_text="The paying state's code.")
    # The movement's transport cost as the carrier's contract or invoice gives it (a recorded fact,
    # not a parameter): charged to the payer at departure when another state pays the operator.
    transport_cost_minor = models.BigIntegerField(null=True, blank=True)
    transport_currency = models.CharField(max_length=3, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    cancel_reason = models.CharField(max_length=1000, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-planned_departure", "-id"]
        indexes = [models.Index(fields=["receiving_state", "status"], name="movement_receiving")]

    @property
    def transit_list(self) -> list[str]:
        return [code for code in self.transit_airports.split(",") if code]

    def __str__(self) -> str:
        what = f"{self.carrier} {self.flight_number}".strip() or self.get_kind_display()
        return f"Movement {self.pk}: {what} to {self.receiving_state}"


class ManifestEntry(models.Model):
    class Status(models.TextChoices):
        ON = "on", _("on the manifest")
        REMOVED = "removed", _("removed from the movement — do not receive")
        HANDED_OVER = "handed_over", _("handed over")
        NOT_HANDED_OVER = "not_handed_over", _("not handed over")

    class NotHandedOver(models.TextChoices):
        REFUSED = "refused_at_arrival", _("refused at arrival")
        MEDICAL = "medical", _("medical")
        RETURNED = "returned_with_escort", _("returned with the escort")
        OTHER = "other", _("other")

    class Document(models.TextChoices):
        ISSUED = "issued", _("issued by the receiving state")
        ACCEPTED = "accepted", _("accepted by the receiving state")

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="entries")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="manifest_entries")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="manifest_entries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ON)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    removal_reason = models.CharField(max_length=1000, blank=True, default="")
    removed_at = models.DateTimeField(null=True, blank=True)
    # A hold filed after departure: the person stays on the frozen manifest, flagged (do not receive).
    stopped_after_departure = models.BooleanField(default=False)
    # Travel readiness, recorded through use cases (audited) before departure.
    travel_document = models.CharField(max_length=16, choices=Document.choices, blank=True, default="")
    travel_document_state = models.CharField(max_length=2, blank=True, default="")
    travel_document_reference = models.CharField(max_length=100, blank=True, default="")
    fit_to_travel_on = models.DateField(null=True, blank=True)
    # Handover, recorded by the receiving officer.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handover_place = models.CharField(max_length=200, blank=True, default="")
    receiving_official = models.CharField(max_length=200, blank=True, default="")
    not_handed_over_reason = models.CharField(max_length=32, choices=NotHandedOver.choices, blank=True, default="")
    not_handed_over_note = models.CharField(max_length=1000, blank=True, default="")
    resolved = models.BooleanField(default=False)
    resolution = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        ordering = ["movement_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="on"), name="one_open_manifest_entry_per_person"
            ),
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="on"), name="one_open_entry_per_case"),
        ]

    def __str__(self) -> str:
        return f"Entry {self.pk}: case {self.case_id} on movement {self.movement_id} ({self.status})"

    @property
    def flagged(self) -> bool:
        """Waiting for someone's act: not handed over and not resolved, or held after departure."""
        return (self.status == self.Status.NOT_HANDED_OVER and not self.resolved) or (
            self.stopped_after_departure and self.status == self.Status.ON
        )
