"""Reads of legal holds."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.holds.models import LegalHold
from accord.people.models import Person


def holds_of(person: Person) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(person=person).select_related("filed_by", "lifted_by")


def active_holds(person: Person) -> QuerySet[LegalHold]:
    return holds_of(person).filter(lifted_at=None)
