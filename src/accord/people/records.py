"""Between the database and the core's person frame (PERSON_SCHEMA)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from accord.core.records import NONE, PERSON_COLUMNS, PERSON_SCHEMA
from accord.people.models import Person

LIST_FIELDS = ("nationalities", "protection_countries", "fear_screened", "fear_found")


def record_of(person: Person) -> dict[str, Any]:
    """The person's record with Python values, in the core's column order."""
    return {column: getattr(person, column) for column in PERSON_COLUMNS}


def people_frame(people: Iterable[Person]) -> pl.DataFrame:
    """A normalized person frame, ready for screening."""
    return pl.DataFrame([record_of(p) for p in people], schema=PERSON_SCHEMA, orient="row")


def as_cells(record: dict[str, Any]) -> dict[str, str]:
    """A record written as interchange-format v2 text cells (what forms and files hold): an
    unknown fact is an empty cell, an empty country list is "none"."""
    cells: dict[str, str] = {}
    for column in PERSON_COLUMNS:
        value = record.get(column)
        if value is None:
            cells[column] = ""
        elif isinstance(value, bool):
            cells[column] = "true" if value else "false"
        elif isinstance(value, list):
            cells[column] = ";".join(value) or NONE
        else:
            cells[column] = str(value)
    return cells
