"""People: the stored person records (case officers and legal reviewers)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from accord.accounts.permissions import Can, require
from accord.api.common import ERRORS, Limit, Offset, caller, person_or_404
from accord.api.schemas import (
    PersonWithProtectionOut,
    Text,
)
from accord.people.models import Person
from accord.people.selectors import matching

router = Router()


@router.get("/people", response={200: list[PersonWithProtectionOut], **ERRORS}, tags=["people"])
def people(request: HttpRequest, q: Text = "", limit: int = Limit, offset: int = Offset) -> Any:
    require(caller(request), Can.VIEW_PEOPLE)
    rows = Person.objects.order_by("person_id")
    if q:
        rows = rows.filter(matching(q))
    return list(rows[offset : offset + limit])


@router.get("/people/{person_id}", response={200: PersonWithProtectionOut, **ERRORS}, tags=["people"])
def person(request: HttpRequest, person_id: str) -> Any:
    require(caller(request), Can.VIEW_PEOPLE)
    return person_or_404(person_id)
