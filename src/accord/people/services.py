"""Use cases that change people: import a file, edit a record. Each runs in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.db import models, transaction

from accord.accounts.models import User
from accord.audit.services import record
from accord.cases.returns import review_open_cases
from accord.core.records import (
    MAX_ERRORS_PER_CHECK,
    PERSON_COLUMNS,
    FieldError,
    RecordError,
    parse_people,
    people_from_dicts,
    read_people,
)
from accord.people.models import Nationality, Person, PersonVersion, name_key
from accord.people.records import as_cells, record_of

BATCH = 5_000
EDITABLE = tuple(c for c in PERSON_COLUMNS if c != "person_id")
NAMES = ("family_name", "given_names")  # stored as '' when unknown: the columns are NOT NULL


def _max_length(column: str) -> int:
    """The length of a text column of ``Person`` in the database."""
    field = Person._meta.get_field(column)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"Person.{column} is not a text column of bounded length")
    return field.max_length


TEXT_LIMITS = {c: _max_length(c) for c in ("person_id", *NAMES)}


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def import_people(
    source: Path | pl.DataFrame,
    *,
    user: User | None,
    reason: str = "import",
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Create or update people from a file: all or nothing, idempotent on ``person_id``.

    The whole file is validated first (``RecordError`` names every bad row and nothing is
    written); then new people are created, changed ones updated with a version, unchanged ones
    left alone, so importing the same file twice changes nothing. A frame is validated too.
    """
    name = str(source) if isinstance(source, Path) else None
    frame = _storable(read_people(source) if isinstance(source, Path) else parse_people(source), name)
    records = frame.to_dicts()
    created = updated = 0
    refused: list[FieldError] = []
    with transaction.atomic():
        _lock_existing([r["person_id"] for r in records])
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            # Locked: a concurrent step on one of these people waits for the import (person before case).
            existing = {
                p.person_id: p
                for p in Person.objects.select_for_update().filter(person_id__in=[r["person_id"] for r in batch])
            }
            new = [r for r in batch if r["person_id"] not in existing]
            changed = [(existing[r["person_id"]], r) for r in batch if r["person_id"] in existing]
            refused += _clearing_a_hold(changed, first_row=start + 1, all_records=batch)
            created += _create(new, user, reason)
            updated += _update(changed, user, reason)
            if progress:
                progress(min(start + BATCH, len(records)), len(records))
        if refused:  # raised inside the transaction: nothing of the file is kept
            raise RecordError(refused[:MAX_ERRORS_PER_CHECK], name, total=len(refused))
    return ImportResult(created, updated, len(records) - created - updated)


def _lock_existing(person_ids: list[str]) -> None:
    """Lock every stored person the file names before anything is written (and so before the
    audit head is taken): a step on one of them waits for the import, or the import for it,
    never both for each other."""
    for start in range(0, len(person_ids), BATCH):
        list(
            Person.objects.select_for_update().filter(person_id__in=person_ids[start : start + BATCH]).values_list("pk")
        )


def _storable(frame: pl.DataFrame, source: str | None) -> pl.DataFrame:
    """A valid frame checked for what the database would refuse mid-import (texts too long for
    their columns; NUL characters, which PostgreSQL refuses), unknown names as ''."""
    errors: list[FieldError] = []
    for column, limit in TEXT_LIMITS.items():
        text = pl.col(column)
        bad = (
            frame.select(pl.int_range(1, pl.len() + 1).alias("row"), text)
            .filter((text.str.len_chars() > limit) | text.str.contains("\x00", literal=True))
            .head(MAX_ERRORS_PER_CHECK)
        )
        for row, value in bad.iter_rows():
            reason = "must not contain a NUL character" if "\x00" in value else f"longer than {limit} characters"
            errors.append(FieldError(row, column, value, reason))
    if errors:
        raise RecordError(sorted(errors, key=lambda e: (e.row, PERSON_COLUMNS.index(e.column))), source)
    return frame.with_columns(pl.col(c).fill_null("") for c in NAMES)


def _clearing_a_hold(
    changed: list[tuple[Person, dict[str, Any]]], *, first_row: int, all_records: list[dict[str, Any]]
) -> list[FieldError]:
    """Rows that would clear the legal-hold fact of a person with a hold in force: only lifting
    the hold (a legal reviewer's act, with its reason) may do that."""
    clearing = {p.pk: r for p, r in changed if r["legal_hold"] is not True}
    if not clearing:
        return []
    held = _active_holds({pk for pk in clearing})
    rows = {r["person_id"]: first_row + i for i, r in enumerate(all_records)}
    return [
        FieldError(
            rows[r["person_id"]], "legal_hold", _cell(r["legal_hold"]), f"{held[pk]} is in force; lift the hold instead"
        )
        for pk, r in clearing.items()
        if pk in held
    ]


def _active_holds(person_pks: set[int]) -> dict[int, str]:
    from accord.holds.models import LegalHold  # holds depend on people, not the other way round

    return {
        h.person_id: str(h)
        for h in LegalHold.objects.filter(person_id__in=person_pks, lifted_at=None).select_related("person")
    }


def _cell(value: object) -> str:
    return "" if value is None else str(value).lower()


def _create(records: list[dict[str, Any]], user: User | None, reason: str) -> int:
    people = Person.objects.bulk_create([Person(**r, name_key=name_key(r["family_name"])) for r in records])
    _write_nationalities(people)
    versions = [
        PersonVersion(person=p, record=as_cells(record_of(p)), changed_fields=["*"], changed_by=user, reason=reason)
        for p in people
    ]
    PersonVersion.objects.bulk_create(versions)
    for version in versions:
        record(user, "person.create", "person", version.record["person_id"], after=version.record, reason=reason)
    return len(people)


def _update(pairs: list[tuple[Person, dict[str, Any]]], user: User | None, reason: str) -> int:
    count = 0
    for person, values in pairs:
        changed = [c for c in EDITABLE if getattr(person, c) != values[c]]
        if changed:
            _apply(person, values, changed, user, reason)
            count += 1
    return count


def _apply(person: Person, values: dict[str, Any], changed: list[str], user: User | None, reason: str) -> None:
    """Change the record, keep a version, log it, and screen the person's open cases again:
    a fact that now bars the move blocks the case in the same transaction."""
    before = as_cells(record_of(person))
    for column in changed:
        setattr(person, column, values[column])
    person.save()
    if "nationalities" in changed:
        person.nationality_rows.all().delete()
        _write_nationalities([person])
    after = as_cells(record_of(person))
    PersonVersion.objects.create(person=person, record=after, changed_fields=changed, changed_by=user, reason=reason)
    record(
        user,
        "person.update",
        "person",
        person.person_id,
        before={c: before[c] for c in changed},
        after={c: after[c] for c in changed},
        reason=reason,
    )
    review_open_cases(person, actor=user, reason=f"record changed ({', '.join(changed)}): {reason}")


def _write_nationalities(people: list[Person]) -> None:
    Nationality.objects.bulk_create([Nationality(person=p, code=code) for p in people for code in p.nationalities])


def update_person(person: Person, cells: dict[str, str], *, user: User, reason: str) -> list[str]:
    """Edit a record from text cells (a form or API body): validated like an imported row.

    Returns the fields that changed; raises ``RecordError`` (nothing written) on a bad value.
    The record is read again under a row lock, so a concurrent edit is neither lost nor misreported.
    """
    unknown = set(cells) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        values = _storable(people_from_dicts([{**as_cells(record_of(locked)), **cells}]), None).to_dicts()[0]
        changed = [c for c in EDITABLE if getattr(locked, c) != values[c]]
        if "legal_hold" in changed and (
            refused := _clearing_a_hold([(locked, values)], first_row=1, all_records=[values])
        ):
            raise RecordError(refused)
        if changed:
            _apply(locked, values, changed, user, reason)
    person.refresh_from_db()
    return changed
