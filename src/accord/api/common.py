"""What every router shares: the error responses it declares, paging, the caller, and the lookups
whose refusals must read alike everywhere."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja.errors import AuthenticationError, ValidationError
from ninja.params.functions import Query  # the function behind ninja.Query, typed for mypy

from accord.accounts.models import User
from accord.api.schemas import ErrorOut
from accord.core.dataset import Agreement
from accord.core.screening import default_dataset, select_agreements
from accord.people.models import Person

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}
# Use cases that retry a busy database answer 503 (with Retry-After) when it stays busy.
BUSY: dict[int, Any] = {503: ErrorOut}
# Paging: an offset past any caseload still answers an empty page, not an integer overflow in SQL.
Limit = Query(50, ge=1, le=500)
Offset = Query(0, ge=0, le=1_000_000_000)


def caller(request: HttpRequest) -> User:
    """The authenticated user (every operation requires authentication: see ``api.auth``)."""
    user = getattr(request, "auth", None)  # set by ninja's authentication; HttpRequest does not declare it
    if not isinstance(user, User):  # an operation declared without auth: refuse, never serve anonymously
        raise AuthenticationError()
    return user


def person_or_404(person_id: str) -> Person:
    """The stored person; an id no person could have (too long, holding NUL) is simply not found."""
    if len(person_id) > 64 or "\x00" in person_id:
        raise Http404(f"no person {person_id[:64]!r}")
    return get_object_or_404(Person, person_id=person_id)


def agreements_named(agreement_id: str) -> list[Agreement]:
    """One agreement, or every agreement for an empty id; an unknown one is bad input (422)."""
    try:
        return select_agreements(default_dataset(), [agreement_id] if agreement_id else None)
    except ValueError as err:
        raise ValidationError([{"loc": ("agreement_id",), "msg": str(err)}]) from None
