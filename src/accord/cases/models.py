from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from accord.people.models import Person


class State(models.TextChoices):
    """The workflow of DESIGN.md §4 (transitions arrive with the workflow issue)."""

    DRAFT = "draft"
    SCREENED = "screened"
    LEGAL_REVIEW = "legal_review", "legal review"
    APPROVED = "approved"
    REFERRED = "referred"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    IN_TRANSIT = "in_transit", "in transit"
    HANDED_OVER = "handed_over", "handed over"
    CLOSED = "closed"
    REJECTED = "rejected"
    BLOCKED = "blocked"
    ON_HOLD = "on_hold", "on hold"
    WITHDRAWN = "withdrawn"


# States in which the receiving state has the case in front of it.
REFERRED_STATES = (State.REFERRED, State.ACCEPTED, State.SCHEDULED, State.IN_TRANSIT, State.HANDED_OVER, State.REJECTED)
ENDED_STATES = (State.CLOSED, State.REJECTED, State.WITHDRAWN)


class Outcome(models.TextChoices):
    ELIGIBLE = "eligible"
    REVIEW = "review"
    BARRED = "barred"


class Case(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    agreement_id = models.CharField(max_length=64)
    receiving_state = models.CharField(max_length=2)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    placement = models.CharField(max_length=16, blank=True, default="")
    clause_id = models.CharField(max_length=64, blank=True, default="")
    failing_rules = models.CharField(max_length=1000, blank=True, default="")
    explanation: models.JSONField[list[dict[str, Any]], list[dict[str, Any]]] = models.JSONField(default=list)
    screened_on = models.DateField(help_text="The date the rules were applied for.")
    screened_at = models.DateTimeField()
    data_version = models.CharField(max_length=32, help_text="Hash of the agreement and law data used.")
    rules_version = models.CharField(max_length=32, help_text="Accord's version (the rule code) used.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agreement_id", "outcome", "-created_at"], name="case_agreement_outcome"),
            models.Index(fields=["outcome", "-created_at"], name="case_outcome"),
            models.Index(fields=["state", "-created_at"], name="case_state"),
            models.Index(fields=["receiving_state", "state"], name="case_receiving"),
            models.Index(fields=["-created_at", "-id"], name="case_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "agreement_id"],
                condition=~models.Q(state__in=["closed", "rejected", "withdrawn"]),
                name="one_open_case_per_person_and_agreement",
            )
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}: {self.person.person_id} under {self.agreement_id}"
