"""Legal holds: a stay of removal, court order, habeas petition or protection claim stops every
move of the person at once, until it is lifted."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.people.models import Person


class LegalHold(models.Model):
    class Kind(models.TextChoices):
        STAY_OF_REMOVAL = "stay_of_removal", "Stay of removal"
        COURT_ORDER = "court_order", "Court order"
        HABEAS_PETITION = "habeas_petition", "Habeas corpus petition"
        PROTECTION_CLAIM = "protection_claim", "Protection claim"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="holds")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    reference = models.CharField(max_length=200, help_text="Docket, order or claim number.")
    document = models.FileField(upload_to="holds/%Y/%m/")
    document_name = models.CharField(max_length=255)
    document_sha256 = models.CharField(max_length=64)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True, default="")
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["person", "lifted_at"], name="hold_person_active")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference} for {self.person.person_id}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None
