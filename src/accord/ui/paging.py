"""Pagination without COUNT(*): on a national caseload, counting a filtered list costs more than
reading the page, so a page knows only whether another follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

MAX_PAGE = 100_000  # beyond this, filter: no one reads page 100,001 of a list


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(queryset: QuerySet[Any], number: str | None, size: int = 50) -> Page:
    try:
        page = min(max(1, int(number or 1)), MAX_PAGE)
    except ValueError:
        page = 1
    rows = list(queryset[(page - 1) * size : page * size + 1])
    return Page(rows[:size], page, len(rows) > size)


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx swap wants the rows only; a history restore (Back after htmx) wants the whole page."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request
