"""A user has exactly one role; a receiving officer is bound to one receiving state."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASE_OFFICER = "case_officer", _("Case officer")
    LEGAL_REVIEWER = "legal_reviewer", _("Legal reviewer")
    RECEIVING_OFFICER = "receiving_officer", _("Receiving-state officer")
    FINANCE = "finance", _("Finance officer")
    MONITOR = "monitor", _("Independent monitor")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """Authorization is the role alone (``accounts.permissions``). Django's own flags follow it on
    every save: ``is_staff`` (the admin site's door) is true exactly for administrators, and
    nobody is a superuser, so no flag, group or model permission can widen what a role may do."""

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.MONITOR)
    receiving_state = models.CharField(
        max_length=2, blank=True, default="", help_text="ISO code; required for receiving-state officers only."
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.is_staff = self.role == Role.ADMIN
        self.is_superuser = False
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

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
        """A new token for ``user``; use ``accounts.services.issue_token``, which records it."""
        token = "acc_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.hash(token)), token

    def __str__(self) -> str:
        return f"token {self.pk} ({self.name}) of {self.user.username}"
