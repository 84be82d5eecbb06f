from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.core import workflow
from accord.people.models import Person


class State(models.TextChoices):
    """The workflow of DESIGN.md §4; the steps between states are in ``accord.core.workflow``.
    Labels are lower case: they are read inside sentences ("Case 4 is now closed")."""

    DRAFT = "draft", _("draft")
    SCREENED = "screened", _("screened")
    LEGAL_REVIEW = "legal_review", _("legal review")
    APPROVED = "approved", _("approved")
    REFERRED = "referred", _("referred")
    ACCEPTED = "accepted", _("accepted")
    SCHEDULED = "scheduled", _("scheduled")
    IN_TRANSIT = "in_transit", _("in transit")
    HANDED_OVER = "handed_over", _("handed over")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    BLOCKED = "blocked", _("blocked")
    ON_HOLD = "on_hold", _("on hold")
    WITHDRAWN = "withdrawn", _("withdrawn")


# States in which the receiving state has the case in front of it (and keeps it once closed).
REFERRED_STATES = tuple(State(s) for s in sorted(workflow.REFERRED))
ENDED_STATES = tuple(State(s) for s in sorted(workflow.ENDED))


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
    # Who did what so far: four eyes compare the approver with the screener and the submitter.
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # Review points the legal reviewer answered in writing when approving (rule ids, ';'-separated):
    # a later step is refused when screening raises any other.
    acknowledged_reviews = models.CharField(max_length=1000, blank=True, default="")
    approval_reason = models.TextField(blank=True, default="")
    # The receiving state's own ground to detain, recorded by the approving legal reviewer for a
    # prison placement abroad (placement/legal-basis): {"kind", "reference"}; None otherwise.
    legal_basis: models.JSONField[dict[str, str] | None, dict[str, str] | None] = models.JSONField(
        null=True, blank=True
    )
    held_from = models.CharField(max_length=16, blank=True, default="", help_text="The state a hold interrupted.")
    referral: models.JSONField[dict[str, Any] | None, dict[str, Any] | None] = models.JSONField(
        null=True, blank=True, help_text="The minimum record sent to the receiving state."
    )
    scheduled_for = models.DateField(null=True, blank=True)
    state_reason = models.CharField(max_length=1000, blank=True, default="", help_text="Why the last step was taken.")
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # Not stored: the case as the running use case found it, for the audit log's "before"; and
    # the users it has noted as having taken part (``changes.note_part``, once each).
    before: dict[str, object]
    noted: set[int]

    class Meta:
        ordering = ["-created_at", "-id"]
        # Each filtered list is read in its order (newest first, id breaking ties) straight from
        # one index, so a page stops after its rows instead of sorting every match.
        indexes = [
            models.Index(
                fields=["agreement_id", "outcome", "-created_at", "-id"], name="case_agreement_outcome_recent"
            ),
            models.Index(fields=["outcome", "-created_at", "-id"], name="case_outcome_recent"),
            models.Index(fields=["state", "-created_at", "-id"], name="case_state_recent"),
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

    @property
    def legal_basis_label(self) -> str:
        """The recorded legal basis in words ("an order of a court of the receiving state: No. 12")."""
        return basis_label(self.legal_basis)

    @property
    def held_from_label(self) -> str:
        """The state a hold interrupted, as a reader says it ("legal review")."""
        return str(State(self.held_from).label) if self.held_from else ""


class LegalBasis(models.TextChoices):
    """What the receiving state holds the person on, in its own law."""

    CONVICTION = "conviction", _("a conviction in the receiving state")
    CHARGE = "charge", _("a criminal charge pending in the receiving state")
    COURT_ORDER = "court_order", _("an order of a court of the receiving state")


def basis_label(basis: dict[str, str] | None) -> str:
    if not basis:
        return ""
    kind = LegalBasis(basis["kind"]).label if basis.get("kind") in LegalBasis.values else basis.get("kind", "")
    return f"{kind}: {basis.get('reference', '')}"


class Participation(models.Model):
    """Someone who opened, screened or submitted the case, at any time: four eyes are kept over the
    whole history, so whoever has ever prepared the case never approves it, whatever role they hold
    later and however often the case went back and forth."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    first_act = models.CharField(max_length=32, help_text="What they first did on the case.")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="one_participation_per_user")]

    def __str__(self) -> str:
        return f"{self.user} on case {self.case_id} ({self.first_act})"
