"""The person record (interchange format v2). A null fact means unknown; rules send it to review.
An empty country list is "none"; a null one is unknown."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.db import models

from accord.core import vocabulary as v


def name_key(name: str | None) -> str:
    """A family name as searched: upper case, accents dropped (GARCÍA is found by 'garcia')."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper().strip()


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value.replace("_", " ")) for value in values]


def display_name(family_name: str, given_names: str, person_id: str) -> str:
    """A person as lists and documents name them: FAMILY, Given; the id when no name is known."""
    return f"{family_name.upper()}, {given_names}".strip(", ") or person_id


class Person(models.Model):
    person_id = models.CharField(max_length=64, unique=True)
    family_name = models.CharField(max_length=200, blank=True, default="")
    given_names = models.CharField(max_length=200, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=_choices(v.SEXES), null=True, blank=True)
    nationalities = models.JSONField(default=list)
    sending_state = models.CharField(max_length=2, default="US")
    status = models.CharField(max_length=32, choices=_choices(v.STATUSES), null=True, blank=True)
    removal_order = models.CharField(max_length=16, choices=_choices(v.REMOVAL_ORDERS), null=True, blank=True)
    protection = models.CharField(max_length=32, choices=_choices(v.PROTECTIONS), null=True, blank=True)
    protection_countries = models.JSONField(null=True, blank=True)
    fear_screened = models.JSONField(null=True, blank=True)
    fear_found = models.JSONField(null=True, blank=True)
    legal_hold = models.BooleanField(null=True, blank=True)
    conviction = models.CharField(max_length=32, choices=_choices(v.CONVICTIONS), null=True, blank=True)
    pending_charges = models.BooleanField(null=True, blank=True)
    sentence_remaining_months = models.PositiveIntegerField(null=True, blank=True)
    gang = models.CharField(max_length=32, choices=_choices(v.GANGS), null=True, blank=True)
    gang_basis = models.CharField(max_length=32, choices=_choices(v.GANG_BASES), null=True, blank=True)
    transfer_consent = models.BooleanField(null=True, blank=True)
    # Searched by prefix as a range (>= key, < next key): a plain index serves it on any database.
    name_key = models.CharField(max_length=200, db_index=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person_id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = name_key(self.family_name)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.person_id} {self.family_name}, {self.given_names}".strip(", ")

    @property
    def display_name(self) -> str:
        return display_name(self.family_name, self.given_names, self.person_id)


class Nationality(models.Model):
    """One row per nationality held: lets case lists filter by nationality on any database."""

    # Indexed by (person, code) below: a case list filtered by nationality checks each case's
    # person from the index alone; the same index serves the foreign key.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="nationality_rows", db_index=False)
    code = models.CharField(max_length=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "person"], name="unique_person_nationality")]
        indexes = [models.Index(fields=["person", "code"], name="nationality_person_code")]


class PersonVersion(models.Model):
    """The record as it was after each change: who changed it, when, and why."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="versions")
    record: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField()
    changed_fields = models.JSONField(default=list)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-changed_at", "-id"]
