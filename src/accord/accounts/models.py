"""A user has exactly one role; a receiving officer is bound to one receiving state."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class Role(models.TextChoices):
    CASE_OFFICER = "case_officer", "Case officer"
    LEGAL_REVIEWER = "legal_reviewer", "Legal reviewer"
    RECEIVING_OFFICER = "receiving_officer", "Receiving-state officer"
    FINANCE = "finance", "Finance officer"
    MONITOR = "monitor", "Independent monitor"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.MONITOR)
    receiving_state = models.CharField(
        max_length=2, blank=True, default="", help_text="ISO code; required for receiving-state officers only."
    )

    def clean(self) -> None:
        super().clean()
        if self.role == Role.RECEIVING_OFFICER and not self.receiving_state:
            raise ValidationError({"receiving_state": "A receiving-state officer must be bound to one state."})
        if self.role != Role.RECEIVING_OFFICER and self.receiving_state:
            raise ValidationError({"receiving_state": "Only receiving-state officers are bound to a state."})


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        token = "acc_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.hash(token)), token
