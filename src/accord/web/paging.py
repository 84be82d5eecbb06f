"""Pagination without COUNT(*): on a national caseload, counting a filtered list costs more than
reading the page, so a page knows only whether another follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


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
        page = max(1, int(number or 1))
    except ValueError:
        page = 1
    rows = list(queryset[(page - 1) * size : page * size + 1])
    return Page(rows[:size], page, len(rows) > size)
