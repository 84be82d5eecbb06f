"""Person records (interchange format v2, DESIGN.md §2): read, validate, normalize, write.

Files are CSV, Parquet or JSON lines, chosen by extension. Every input is first turned into an
all-text frame (empty -> null, as a CSV cell), then validated and normalized with vectorised
Polars expressions; Python only runs on failing cells, to word the errors. The person id is
checked cell by cell (it must be unique) and free text is never refused; every other column is
dictionary-encoded and each of its distinct cells judged once — a million rows hold a few hundred.
``read_people_encoded`` keeps that encoding (``EncodedPeople``) for bulk screening, which then
evaluates each distinct combination of facts once; ``read_people`` is its ``people()`` frame.

**Empty always means unknown**, and stays null: the rules send unknown facts to review, so
nothing is defaulted here except `sending_state` (US, as the format says). "None" is written
explicitly: `none` in the country lists (an empty list in Parquet and JSON), `0` months of
sentence, `false`. Every column is in every record: a CSV row with fewer or more fields than the
header, or a JSON-lines record without a key, is refused with its row and column, never padded
(a JSON `null` is unknown). A v1 file (which wrote "none" as an empty cell in four columns) still
reads, its empty cells as unknown. A record that contradicts itself (a gang basis without a
gang, a birth date in the future or before 1900) is refused.

The format has 20 columns: DESIGN.md §2 lists family_name and given_names on one line.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Final, cast

import polars as pl

from accord.core import vocabulary as vocab
from accord.core.spreadsheet import escape_column, unescape_column

PERSON_COLUMNS: tuple[str, ...] = (
    "person_id",
    "family_name",
    "given_names",
    "date_of_birth",
    "sex",
    "nationalities",
    "sending_state",
    "status",
    "removal_order",
    "protection",
    "protection_countries",
    "fear_screened",
    "fear_found",
    "legal_hold",
    "conviction",
    "pending_charges",
    "sentence_remaining_months",
    "gang",
    "gang_basis",
    "transfer_consent",
)

_CODES = pl.List(pl.String)
PERSON_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.String(),
    "family_name": pl.String(),
    "given_names": pl.String(),
    "date_of_birth": pl.Date(),
    "sex": pl.String(),
    "nationalities": _CODES,
    "sending_state": pl.String(),
    "status": pl.String(),
    "removal_order": pl.String(),
    "protection": pl.String(),
    "protection_countries": _CODES,
    "fear_screened": _CODES,
    "fear_found": _CODES,
    "legal_hold": pl.Boolean(),
    "conviction": pl.String(),
    "pending_charges": pl.Boolean(),
    "sentence_remaining_months": pl.Int32(),
    "gang": pl.String(),
    "gang_basis": pl.String(),
    "transfer_consent": pl.Boolean(),
}

# A person id appears in addresses (/people/P000042/), file names and commands: letters, digits,
# '-' and '_', starting with a letter or a digit. No '/', '.', space or other sign.
PERSON_ID = r"[A-Za-z0-9][A-Za-z0-9_-]*"
PERSON_ID_PATTERN = f"^{PERSON_ID}$"
PERSON_ID_RULE = "must be letters, digits, '-' or '_', starting with a letter or digit"

OPTIONAL_COLUMNS = frozenset({"sending_state"})
REQUIRED_COLUMNS = tuple(c for c in PERSON_COLUMNS if c not in OPTIONAL_COLUMNS)
NONE = "none"  # an empty country list, written out (an empty cell is an unknown one)
EARLIEST_BIRTH = dt.date(1900, 1, 1)
DEFAULT_SENDING_STATE = "US"
EXTENSIONS = (".csv", ".parquet", ".jsonl")
MAX_ERRORS_PER_CHECK = 1000  # a totally broken file must not build millions of FieldErrors
_SHOWN_ERRORS = 20

_CHOICES: dict[str, tuple[str, ...]] = {
    "sex": vocab.SEXES,
    "status": vocab.STATUSES,
    "removal_order": vocab.REMOVAL_ORDERS,
    "protection": vocab.PROTECTIONS,
    "conviction": vocab.CONVICTIONS,
    "gang": vocab.GANGS,
    "gang_basis": vocab.GANG_BASES,
}
_CODE_LISTS = ("nationalities", "protection_countries", "fear_screened", "fear_found")
_BOOLS = ("legal_hold", "pending_charges", "transfer_consent")
_FREE_TEXT = ("family_name", "given_names")
_ALWAYS_STRIPPED = ("person_id", *_FREE_TEXT)
# Checked once per distinct cell (see ``_validate``): every column but the id and the free text.
_ENCODED = tuple(c for c in PERSON_COLUMNS if c not in _ALWAYS_STRIPPED)
_SORTED_CODES = sorted(vocab.COUNTRY_CODES)
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DIGITS = r"^[0-9]+$"
_INT32_MAX = 2**31 - 1
_RAW = "__raw__"  # prefixes of helper columns during validation
_BAD = "__bad__"
_ROW = "__row__"
_GANG = "__gang__"
_ANY_KEY = r'"\s*:'  # ends every key of a JSON object (and, rarely, text inside a value)
_KNOWN_KEY = f'"(?:{"|".join(PERSON_COLUMNS)})"\\s*:'


@dataclass(frozen=True)
class FieldError:
    """One refused value; row 0 (and usually no value) for file-level problems."""

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        if self.value:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            where.append(f"value {shown!r}")
        return f"{', '.join(where) or 'file'}: {self.reason}"


class RecordError(ValueError):
    """Records refused; `errors` holds every error gathered, `total` counts all found."""

    def __init__(self, errors: list[FieldError], path: str | None = None, total: int | None = None):
        self.errors = errors
        self.path = path
        self.total = max(total or 0, len(errors))
        super().__init__(self._message())

    def _message(self) -> str:
        noun = "error" if self.total == 1 else "errors"
        lines = [f"{self.path or 'person records'}: {self.total} {noun} in person records"]
        lines += [f"  {e}" for e in self.errors[:_SHOWN_ERRORS]]
        if self.total > _SHOWN_ERRORS:
            lines.append(f"  ... and {self.total - _SHOWN_ERRORS} more")
        return "\n".join(lines)


# --- public API -------------------------------------------------------------------------------


def read_people(path: str | Path) -> pl.DataFrame:
    """Read a person file into a validated frame of PERSON_SCHEMA, or raise RecordError.

    Missing files raise the usual OSError. Row numbers count records (blank lines skipped).
    """
    return read_people_encoded(path).people()


def read_people_encoded(path: str | Path) -> EncodedPeople:
    """Read and validate a person file exactly as ``read_people`` does (the same checks, the same
    errors), keeping it dictionary-encoded: bulk screening judges each distinct record once."""
    source = str(path)
    ext = _extension(path)
    if ext == ".csv":
        text = _drop_blank_rows(_read_csv_text(path))
        _refuse_short_rows(path, text)
        return _validate(_unescaped(text), source, require_all=True)
    if ext == ".parquet":
        return _validate(_read_parquet(path), source, require_all=True)
    return _read_jsonl(path, source)


@dataclass(frozen=True)
class EncodedPeople:
    """Validated person records, dictionary-encoded: per row the person id, and for every other
    column but the names a code into that column's distinct normalized values. ``people()`` is the
    frame ``read_people`` returns; ``codes`` and ``values`` let bulk screening evaluate each
    distinct combination of facts once (``accord.core.screening``)."""

    ids: pl.Series  # person_id, normalized
    codes: pl.DataFrame  # one UInt32 column per encoded column; an unknown cell has the last code
    values: dict[str, pl.Series]  # per encoded column, the normalized value of each code
    names: pl.DataFrame  # the free-text columns as read (empty cells null), normalized by people()

    @property
    def height(self) -> int:
        return len(self.ids)

    def people(self) -> pl.DataFrame:
        """The normalized frame of PERSON_SCHEMA."""
        names = self.names.select(_stripped(c) for c in _FREE_TEXT)  # free text is never refused
        columns = {
            "person_id": self.ids,
            **{c: names[c] for c in _FREE_TEXT},
            **{c: self.values[c].gather(self.codes[c]).alias(c) for c in _ENCODED},
        }
        return pl.DataFrame([columns[c] for c in PERSON_COLUMNS]).cast(PERSON_SCHEMA)  # type: ignore[arg-type]


def parse_people(raw: pl.DataFrame, source: str | None = None) -> pl.DataFrame:
    """Validate and normalize a raw frame whose columns must match the format exactly.

    Columns may be text or already typed (lists, booleans, integers, dates), as Parquet and
    JSON give them. Raises RecordError with every error found, never a partial frame.
    """
    return _parse(raw, source, require_all=True)


def people_from_dicts(rows: list[dict[str, Any]], *, allow_missing: bool = False) -> pl.DataFrame:
    """Validate raw dict records (API, forms, tests) as JSON lines are: a missing key is refused
    (``None`` is unknown). ``allow_missing`` reads a missing key as unknown instead, for tests
    of one column at a time; no path that stores or moves people uses it."""
    return _parse_records(enumerate(rows, start=1), None, allow_missing=allow_missing)


def write_people(df: pl.DataFrame, path: str | Path) -> None:
    """Write a normalized person frame in the format its extension names.

    CSV gets text (lists joined with ';', true/false, ISO dates, empty for null); Parquet and JSON
    lines keep native types, which read_people accepts as well.
    """
    missing = [c for c in PERSON_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"not a person frame, missing columns: {', '.join(missing)}")
    write_frame(df.select(PERSON_COLUMNS), path, empty_list=NONE, free_text=_FREE_TEXT)


def write_frame(
    df: pl.DataFrame, path: str | Path, *, empty_list: str | None = None, free_text: Iterable[str] = ()
) -> None:
    """Write any frame by extension; CSV cannot hold lists, so list columns are joined with ';'
    (an empty list as ``empty_list``, an empty cell when None; a null list is always an empty cell).
    In CSV the ``free_text`` columns (what people type: names) are made formula-safe; identifiers,
    vocabularies, rule ids and citations never start a formula and are written as they are.

    The file appears whole or not at all: it is written beside the target and renamed into place,
    so a crash or a full disk never leaves a half-written file where a reader expects one.
    """
    target = Path(path)
    ext = _extension(target)
    with written_whole(target) as (temporary,):
        if ext == ".csv":
            lists = [name for name, dtype in df.schema.items() if dtype == pl.List]
            # Formula-safe for spreadsheets (``core.spreadsheet``); read_people reverses it.
            texts = [name for name in free_text if df.schema.get(name) == pl.String]
            safe = df.with_columns(
                *(_joined(name, empty_list) for name in lists), *(escape_column(name) for name in texts)
            )
            # Large batches write several times faster than the default on wide string rows.
            safe.write_csv(temporary, batch_size=65_536)
        elif ext == ".parquet":
            df.write_parquet(temporary)
        else:
            df.write_ndjson(temporary)


@contextmanager
def written_whole(*paths: str | Path) -> Iterator[tuple[Path, ...]]:
    """Temporary files beside ``paths`` (same extensions) to write into: renamed into place, in
    the order given, when the block ends; all removed if it raises. A reader never finds a
    half-written file, and files written together appear together."""
    targets = [Path(p) for p in paths]
    temporaries: list[Path] = []
    try:
        for target in targets:
            _extension(target)
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix.lower())
            os.close(handle)
            temporaries.append(Path(name))
        yield tuple(temporaries)
        for temporary, target in zip(temporaries, targets, strict=True):
            os.replace(temporary, target)
    except BaseException:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        raise


# --- readers ------------------------------------------------------------------------------------


def _extension(path: str | Path) -> str:
    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        reason = f"unsupported file extension {ext!r}, use one of {', '.join(EXTENSIONS)}"
        raise RecordError([FieldError(0, "", "", reason)], str(path))
    return ext


def _read_csv_text(path: str | Path) -> pl.DataFrame:
    """All columns as text: inference would guess types from the first rows and hide errors."""
    try:
        return pl.read_csv(path, infer_schema=False, glob=False)  # a '*' in a name is no pattern
    except pl.exceptions.NoDataError:
        raise RecordError([FieldError(0, "", "", "file is empty, a header row is required")], str(path)) from None
    except pl.exceptions.ComputeError as exc:  # ragged rows, bad quoting, bad encoding
        raise RecordError(_locate_csv_problems(path, exc), str(path)) from exc


def _locate_csv_problems(path: str | Path, exc: Exception | None) -> list[FieldError]:
    """Polars says what broke but not where: re-read with the csv module. With ``exc`` None, the
    rows whose field count is not the header's, if any (an empty list when every row is whole)."""
    errors: list[FieldError] = []
    row = 0
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)
            header = [h.strip() for h in next(reader, [])]
            width = len(header)
            for fields in reader:
                if not fields:
                    continue  # blank lines are not records (see _drop_blank_rows)
                row += 1
                if len(fields) != width:
                    column = header[len(fields)] if len(fields) < width else ""
                    reason = f"has {len(fields)} fields, the header has {width}" + (
                        f": {', '.join(header[len(fields) :])} missing (an unknown fact is an empty field, not a missing one)"
                        if column
                        else ""
                    )
                    errors.append(FieldError(row, column, "", reason))
                if len(errors) >= MAX_ERRORS_PER_CHECK:
                    break
    except UnicodeDecodeError:
        return [FieldError(0, "", "", "not UTF-8 text")]
    except csv.Error as err:
        errors.append(FieldError(row + 1, "", "", f"malformed CSV: {err}"))
    if exc is None:
        return errors
    return errors or [FieldError(0, "", "", f"unreadable CSV: {str(exc).splitlines()[0]}")]


def _refuse_short_rows(path: str | Path, text: pl.DataFrame) -> None:
    """Polars pads a row that has too few fields with empty cells, which would read as unknown
    facts: a row cut short after ``pending_charges`` must not pass as a record. A short row
    always leaves the last column empty, so only a file with an empty last cell is read again
    with the csv module (exact, but slow), to find rows whose field count is not the header's."""
    if not text.columns or text.height == 0 or text[text.columns[-1]].null_count() == 0:
        return
    errors = _locate_csv_problems(path, None)
    if errors:
        raise RecordError(errors, str(path))


def _unescaped(df: pl.DataFrame) -> pl.DataFrame:
    """Names as written before ``write_frame`` made them formula-safe (other cells never need it)."""
    quoted = [c for c in _FREE_TEXT if c in df.columns and df[c].str.starts_with("'").any()]
    return df.with_columns(unescape_column(c) for c in quoted) if quoted else df


def _drop_blank_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Blank lines (a trailing one is common) read as all-null rows; they are not records."""
    if not df.columns:
        return df
    blank = pl.all_horizontal(pl.all().is_null())
    return df.filter(~blank) if df.select(blank.any()).item() else df  # filtering copies every column


def _read_parquet(path: str | Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path, glob=False)
    except pl.exceptions.PolarsError as exc:  # a missing file stays an OSError, as for CSV
        reason = f"unreadable Parquet: {str(exc).splitlines()[0]}"
        raise RecordError([FieldError(0, "", "", reason)], str(path)) from exc


def _read_jsonl(path: str | Path, source: str) -> EncodedPeople:
    """Valid files are read natively (fast); errors always come from the exact reading per line."""
    fast = _jsonl_fast(path)
    if fast is not None:
        try:
            return _validate(fast, source, require_all=False)
        except RecordError:
            pass  # reread line by line: it words every error and is the reference semantics
    return _encoded_records(_jsonl_records(path), source)


def _jsonl_fast(path: str | Path) -> pl.DataFrame | None:
    """All-text frame read by Polars, or None when only the exact reading can judge the file.

    Polars ignores keys outside the schema and gives arrays and objects as JSON text, so the
    file is first checked for unexpected keys, and free text that may have been an array or an
    object is left to the exact reading.
    """
    line = pl.col("line")
    try:  # JSON text never holds a raw \x1f: each line is one field
        lines = pl.read_csv(
            path,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            infer_schema=False,
            new_columns=["line"],
            glob=False,
        )
        keys = lines.select(
            line.str.count_matches(_ANY_KEY).sum().alias("any"), line.str.count_matches(_KNOWN_KEY).sum()
        )
        if keys["any"].item() != keys["line"].item():  # every known key is a key: equal sums, no other key
            return None  # an unexpected key, or text that looks like one
        present = lines.select(pl.all_horizontal(line.str.contains(f'"{c}"\\s*:') for c in REQUIRED_COLUMNS).all())
        if not present.item():
            return None  # a record without a key: the exact reading names it
        raw = pl.read_ndjson(path, schema=dict.fromkeys(PERSON_COLUMNS, pl.String))
        nested = pl.any_horizontal(pl.col(_ALWAYS_STRIPPED).str.contains(r"^\s*[\[{]")).any()
        return None if raw.select(nested).item() else raw.with_columns(_array_as_cell(c) for c in _CODE_LISTS)
    except pl.exceptions.PolarsError:
        return None


def _array_as_cell(name: str) -> pl.Expr:
    """A JSON array of codes (given by Polars as JSON text) as a ';' cell; a null item fails."""
    col = pl.col(name)
    is_array = col.str.starts_with("[")
    items = pl.when(is_array).then(col).str.json_decode(_CODES).list.eval(pl.element().fill_null("null"))
    joined = pl.when(items.list.len() > 0).then(items.list.join(";")).otherwise(pl.lit(NONE))  # [] is "none"
    return pl.when(col.is_null()).then(pl.lit(None, pl.String)).when(~is_array).then(col).otherwise(joined).alias(name)


def _jsonl_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    """The exact reading: numbered decoded lines, an undecodable line yielding its error.

    Slow (Python per line) but it knows a JSON array from text and a missing key from a null.
    """
    with open(path, "rb") as f:
        row = 0
        for line in f:
            if not line.strip():
                continue
            row += 1
            try:
                yield row, json.loads(line)
            except json.JSONDecodeError as err:
                yield row, _BadLine(f"not valid JSON: {err.msg} at character {err.colno}")
            except UnicodeDecodeError:
                yield row, _BadLine("not UTF-8 text")
            except RecursionError:  # arrays or objects nested thousands deep: no record is
                yield row, _BadLine("not a person record: JSON nested too deep")


@dataclass(frozen=True)
class _BadLine:
    reason: str


def _parse_records(
    records: Iterable[tuple[int, Any]], source: str | None, *, allow_missing: bool = False
) -> pl.DataFrame:
    """JSON-ish records -> text frame -> validation; record-level errors join the others."""
    return _encoded_records(records, source, allow_missing=allow_missing).people()


def _encoded_records(
    records: Iterable[tuple[int, Any]], source: str | None, *, allow_missing: bool = False
) -> EncodedPeople:
    errors: list[FieldError] = []
    texts: dict[str, list[str | None]] = {c: [] for c in PERSON_COLUMNS}
    rows: list[int] = []
    unexpected: set[str] = set()
    for row, record in records:
        cells, problems = _record_cells(row, record)
        errors += problems
        if cells is None:
            continue  # an unreadable record: its empty cells would only add noise
        if not allow_missing:
            errors += [
                FieldError(row, c, "", "missing: every key is required (null for an unknown fact)")
                for c in REQUIRED_COLUMNS
                if c not in cells and c not in {e.column for e in problems}
            ]
        rows.append(row)
        unexpected |= cells.keys() - texts.keys()
        for column, values in texts.items():
            values.append(cells.get(column))
    errors += [FieldError(0, c, "", "unexpected column") for c in sorted(unexpected)]
    frame = pl.DataFrame(texts, schema=dict.fromkeys(PERSON_COLUMNS, pl.String))
    return _validate(frame, source, require_all=False, prior=errors, rows=pl.Series(_ROW, rows, pl.Int64))


def _record_cells(row: int, record: Any) -> tuple[dict[str, str | None] | None, list[FieldError]]:
    if isinstance(record, _BadLine):
        return None, [FieldError(row, "", "", record.reason)]
    if not isinstance(record, dict):
        return None, [FieldError(row, "", "", f"not a JSON object but {type(record).__name__}")]
    cells: dict[str, str | None] = {}
    problems: list[FieldError] = []
    for key, value in record.items():
        text = _cell_text(value)
        if text is _NOT_A_CELL:
            reason = "expected text, a number, true/false or a list of text"
            problems.append(FieldError(row, str(key), _shown(value), reason))
        else:
            cells[str(key)] = text
    return cells, problems


class _NotACell(Enum):
    """What _cell_text answers for a value no cell could hold: one member, so ``is _NOT_A_CELL`` narrows."""

    TOKEN = 0


_NOT_A_CELL: Final = _NotACell.TOKEN


def _shown(value: Any) -> str:
    """A refused value as an error quotes it; one nested too deep to print is described instead."""
    try:
        return json.dumps(value, default=str)[:200]
    except (RecursionError, ValueError):
        return f"({type(value).__name__} nested too deep)"


def _cell_text(value: Any) -> str | _NotACell | None:
    """The text a CSV cell would hold for a JSON-ish value, or _NOT_A_CELL."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | dt.date):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return ";".join(value) if value else NONE
    return _NOT_A_CELL


# --- validation ---------------------------------------------------------------------------------


def _parse(
    raw: pl.DataFrame,
    source: str | None,
    *,
    require_all: bool,
    prior: list[FieldError] | None = None,
    rows: pl.Series | None = None,
) -> pl.DataFrame:
    """Validate and normalize (see ``_validate``) into a frame of PERSON_SCHEMA."""
    return _validate(raw, source, require_all=require_all, prior=prior, rows=rows).people()


def _validate(
    raw: pl.DataFrame,
    source: str | None,
    *,
    require_all: bool,
    prior: list[FieldError] | None = None,
    rows: pl.Series | None = None,
) -> EncodedPeople:
    """Validate and normalize; `prior` are errors found while reading, `rows` the record numbers
    of the frame's rows when they are not simply 1, 2, 3...

    The person id is checked cell by cell (it must be unique); free text is never refused; every
    other column is checked once per distinct cell (``_encode``), which is what makes a million
    rows cheap: a column of a million cells holds a few hundred distinct ones.
    """
    raw = _strip_header(raw)
    header = _header_errors(raw, require_all)
    if header:  # a wrong header makes every row error noise
        raise RecordError(header + (prior or []), source)
    text = raw.select(cast(pl.Expr, _as_text(c, raw.schema[c])) for c in raw.columns)
    text = text.with_columns(pl.lit(None, pl.String).alias(c) for c in PERSON_COLUMNS if c not in text.columns)
    ids, failures = _check_ids(text, clean=False)
    if failures:
        ids, failures = _check_ids(text, clean=True)
    coded = _encode(text)
    counts = {"person_id": failures} | {c: coded[c].failures for c in _ENCODED}
    if prior or any(counts.values()):
        failing = [c for c in _ENCODED if counts[c]]
        checked = ids.with_columns(
            pl.int_range(1, pl.len() + 1).alias(_ROW) if rows is None else rows,
            *(coded[c].raw.gather(coded[c].codes).alias(_RAW + c) for c in failing),
            *(coded[c].bad_rows().alias(_BAD + c) for c in failing),
        )
        prior = prior or []
        reported = {(e.row, e.column) for e in prior}  # a cell refused while reading is not re-judged
        found = [e for c in PERSON_COLUMNS if counts.get(c) for e in _gather(checked, c)]
        errors = prior + [e for e in found if (e.row, e.column) not in reported]
        total = sum(counts.values()) - len(found) + len(errors)
        raise RecordError(sorted(errors, key=_error_order), source, total)
    return EncodedPeople(
        ids["person_id"],
        pl.DataFrame([coded[c].codes.alias(c) for c in _ENCODED], schema=dict.fromkeys(_ENCODED, pl.UInt32)),
        {c: coded[c].values for c in _ENCODED},
        text.select(_FREE_TEXT),
    )


@dataclass(frozen=True)
class _Coded:
    """One column, dictionary-encoded: a code per row into its distinct cells, each cell normalized
    and judged once. The code of an empty (unknown) cell is the last, ``len(values) - 1``."""

    codes: pl.Series  # UInt32, one per row
    values: pl.Series  # the normalized value of each code
    raw: pl.Series  # the text of each code, as an error quotes it (stripped)
    bad: pl.Series  # is the cell refused, by code (by ``checks``, when given)
    checks: pl.Series | None = None  # per row, the index into ``bad`` when a cell is judged with another

    @property
    def failures(self) -> int:
        return int(self.bad_rows().sum()) if self.bad.any() else 0

    def bad_rows(self) -> pl.Series:
        return self.bad.gather(self.codes if self.checks is None else self.checks)


# Columns whose cells come from a closed list: most files hold nothing else, and casting to that
# list is the cheapest encoding. A column with any other cell (a typo, a space, "TRUE") is encoded
# by its distinct cells instead; either way each code's cell is stripped, normalized and judged
# once (``_judged``).
_VOCABULARIES: dict[str, tuple[str, ...]] = {
    **_CHOICES,
    **dict.fromkeys(_BOOLS, ("true", "false")),
    "sending_state": tuple(_SORTED_CODES),
}


def _encode(text: pl.DataFrame) -> dict[str, _Coded]:
    """Every column but the id and the names, encoded (``_Coded``); see ``_validate``."""
    fixed = [c for c in _ENCODED if c in _VOCABULARIES]
    cast_fixed = text.select(
        pl.col(c).cast(pl.Enum(_VOCABULARIES[c]), strict=False).to_physical().cast(pl.UInt32) for c in fixed
    )
    # A cell outside the list cast to null: such a column is encoded by its distinct cells.
    outside = text.select((pl.col(c).is_not_null() & cast_fixed[c].is_null()).any() for c in fixed).row(0, named=True)
    closed = [c for c in fixed if not outside[c]]
    open_ = [c for c in _ENCODED if c not in closed]
    distinct = text.select(pl.col(c).drop_nulls().unique().implode() for c in open_).row(0, named=True)
    cast_open = text.select(
        pl.col(c).cast(pl.Enum(distinct[c])).to_physical().cast(pl.UInt32) for c in open_ if distinct[c]
    )
    cells: dict[str, pl.Series] = {c: pl.Series(c, _VOCABULARIES[c], pl.String) for c in closed}
    cells |= {c: pl.Series(c, distinct[c], pl.String) for c in open_}
    codes: dict[str, pl.Series] = {}
    for c in _ENCODED:
        physical = cast_fixed[c] if c in closed else cast_open[c] if distinct[c] else None
        unknown = len(cells[c])  # the code of an empty cell: after the distinct cells
        if physical is None:  # no cell given in the whole column
            codes[c] = pl.repeat(unknown, text.height, dtype=pl.UInt32, eager=True).alias(c)
        else:
            codes[c] = physical.fill_null(unknown)
    tables = pl.collect_all([_judged(c, cells[c].append(pl.Series(c, [None], pl.String))) for c in _ENCODED])
    coded = {
        # One chunk each: a gather from a chunked table (a list column above all) is ten times slower.
        c: _Coded(codes[c], table[c].rechunk(), table[_RAW + c], table[_BAD + c])
        for c, table in zip(_ENCODED, tables, strict=True)
    }
    # A gang basis is judged with the gang of its row: once per pair of cells present.
    basis, gang = coded["gang_basis"], coded["gang"]
    pairs = basis.codes * len(gang.raw) + gang.codes
    present = pairs.unique()
    judged = _judged(
        "gang_basis",
        basis.raw.gather(present // len(gang.raw)),
        gang=gang.raw.gather(present % len(gang.raw)),
    ).collect()
    lookup = pl.Series([False] * len(basis.raw) * len(gang.raw)).scatter(present, judged[_BAD + "gang_basis"])
    coded["gang_basis"] = _Coded(basis.codes, basis.values, basis.raw, lookup, checks=pairs)
    return coded


def _judged(name: str, cells: pl.Series, gang: pl.Series | None = None) -> pl.LazyFrame:
    """Distinct cells of a column, each stripped, normalized and judged by the careful form."""
    frame = pl.DataFrame({name: cells})
    if gang is not None:
        frame = frame.with_columns(gang.alias(_GANG).str.strip_chars())
    return (
        frame.lazy()
        .with_columns(_stripped(name))
        .with_columns(pl.col(name).alias(_RAW + name), _normalized(name))
        .with_columns(
            # A null judgement (a gang basis beside an unknown gang) refuses nothing, as in a sum.
            (_invalid(name) if name != "gang_basis" or gang is not None else pl.lit(False))
            .fill_null(False)
            .alias(_BAD + name)
        )
    )


def _check_ids(text: pl.DataFrame, clean: bool) -> tuple[pl.DataFrame, int]:
    """The person ids cell by cell (they must be unique): raw text, normalized id and failure
    mask, and how many failed. The fast form proves there is no duplicate by distinct hashes;
    only a file with a refused id is checked again with ``clean``, which names each duplicate."""
    name = "person_id"
    checked = (
        text.lazy()
        .select(_stripped(name))
        .select(pl.col(name).alias(_RAW + name), _normalized(name))
        .with_columns(_invalid_id(clean).alias(_BAD + name))
        .collect()
    )
    return checked, int(checked[_BAD + name].sum())


def _stripped(name: str) -> pl.Expr:
    text = pl.col(name).str.strip_chars()
    return pl.when(text != "").then(text).alias(name)


def _strip_header(raw: pl.DataFrame) -> pl.DataFrame:
    stripped = [c.strip() for c in raw.columns]
    if len(set(stripped)) < len(stripped):
        return raw  # stripping would clash; the names are reported as unexpected instead
    return raw.rename(dict(zip(raw.columns, stripped, strict=True)))


def _header_errors(raw: pl.DataFrame, require_all: bool) -> list[FieldError]:
    errors = [FieldError(0, c, "", "unexpected column") for c in raw.columns if c not in PERSON_SCHEMA]
    if require_all:
        missing = [c for c in PERSON_COLUMNS if c not in raw.columns and c not in OPTIONAL_COLUMNS]
        errors += [FieldError(0, c, "", "missing column") for c in missing]
    for name, dtype in raw.schema.items():
        if name in PERSON_SCHEMA and _as_text(name, dtype) is None:
            errors.append(FieldError(0, name, "", f"unsupported column type {dtype}"))
    return errors


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr | None:
    """The column as text with empty -> null, like a CSV cell; None if not convertible."""
    col = pl.col(name)
    if dtype == pl.String or dtype == pl.Null or dtype == pl.Categorical or dtype == pl.Enum:
        text = col.cast(pl.String)
        return pl.when(text != "").then(text).alias(name)
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false")).alias(name)
    if dtype.is_integer() or dtype == pl.Date:
        return col.cast(pl.String).alias(name)
    if dtype.is_float():  # JSON and some writers give 12.0 for 12
        whole = col.cast(pl.Int64, strict=False).cast(pl.String)
        return pl.when(col == col.round()).then(whole).otherwise(col.cast(pl.String)).alias(name)
    if isinstance(dtype, pl.List) and dtype.inner in (pl.String, pl.Null):
        items = col.list.eval(pl.element().fill_null("null"))  # a null item must be refused, not vanish
        # An empty list is "none"; a null list is unknown.
        return (
            pl.when(items.list.len() > 0)
            .then(items.list.join(";"))
            .when(col.is_not_null())
            .then(pl.lit(NONE))
            .alias(name)
        )
    return None


def _joined(name: str, empty_list: str | None) -> pl.Expr:
    """A list as one ';'-separated cell: an empty list is ``empty_list`` (person files: "none"), an
    unknown (null) one an empty cell."""
    col = pl.col(name)
    joined = col.list.eval(pl.element().cast(pl.String)).list.join(";")
    return pl.when(col.list.len() > 0).then(joined).when(col.is_not_null()).then(pl.lit(empty_list)).alias(name)


def _normalized(name: str) -> pl.Expr:
    """A cell's value: stripped list items, empty and repeated ones dropped, booleans in any case."""
    col = pl.col(name)
    if name == "date_of_birth":
        return col.str.to_date("%Y-%m-%d", strict=False)
    if name == "sending_state":
        return col.fill_null(DEFAULT_SENDING_STATE)
    if name in _CODE_LISTS:  # null (unknown) stays null; "none" is the empty list
        parts = col.str.split(";").list.eval(pl.element().str.strip_chars())
        codes = parts.list.filter(pl.element() != "").list.unique(maintain_order=True)
        return pl.when(col == NONE).then(pl.lit([], dtype=_CODES)).otherwise(codes).alias(name)
    if name in _BOOLS:
        text = col.str.to_lowercase()
        return pl.when(text == "true").then(True).when(text == "false").then(False).alias(name)
    if name == "sentence_remaining_months":
        return col.str.to_integer(strict=False).cast(pl.Int32, strict=False)
    return col  # person_id, free text and choices are already right as text


def _invalid_id(clean: bool) -> pl.Expr:
    raw = pl.col(_RAW + "person_id")
    if clean:
        return raw.is_null() | ~raw.is_first_distinct() | ~raw.str.contains(PERSON_ID_PATTERN)
    # Equal ids hash equal: distinct hashes prove there is no duplicate.
    return raw.is_null() | (raw.hash().n_unique() < pl.len()) | ~raw.str.contains(PERSON_ID_PATTERN)


def _invalid(name: str) -> pl.Expr:
    """True where a (stripped) cell is refused; reads the raw text and the normalized value."""
    raw, value = pl.col(_RAW + name), pl.col(name)
    given = raw.is_not_null()
    if name == "date_of_birth":
        out_of_range = (value < EARLIEST_BIRTH) | (value > dt.date.today())
        return given & (~raw.str.contains(_ISO_DATE) | value.is_null() | out_of_range)
    if name == "gang_basis":  # a basis for a membership the record denies contradicts itself
        return given & (~raw.is_in(_CHOICES[name]) | ((raw != "none") & (pl.col(_GANG) == "none")))
    if name in _CHOICES:
        return given & ~raw.is_in(_CHOICES[name])
    if name == "sending_state":
        return ~value.is_in(_SORTED_CODES)
    if name in _CODE_LISTS:
        bad = ~value.list.eval(pl.element().is_in(_SORTED_CODES)).list.all().fill_null(True)
        return (bad & given) | (value.list.len() == 0).fill_null(True) if name == "nationalities" else bad & given
    if name in _BOOLS:
        return given & value.is_null()
    return given & (~raw.str.contains(_DIGITS) | value.is_null())  # sentence_remaining_months


# --- error wording (runs on failing cells only) ------------------------------------------------


def _gather(checked: pl.DataFrame, name: str) -> list[FieldError]:
    failing = (
        checked.select(pl.col(_ROW).alias("row"), pl.col(_RAW + name).alias("value"), _BAD + name)
        .filter(pl.col(_BAD + name))
        .head(MAX_ERRORS_PER_CHECK)
    )
    reason = _duplicate_reasons(checked, failing) if name == "person_id" else _REASONS[name]
    return [
        FieldError(row, name, value or "", reason(value)) for row, value in failing.select("row", "value").iter_rows()
    ]


def _duplicate_reasons(checked: pl.DataFrame, failing: pl.DataFrame) -> Callable[[str | None], str]:
    ids = failing["value"].drop_nulls()
    first = (
        checked.select(pl.col(_ROW).alias("row"), pl.col(_RAW + "person_id").alias("id"))
        .filter(pl.col("id").is_in(ids.implode()))
        .group_by("id")
        .agg(pl.col("row").min())
    )
    first_row = dict(first.iter_rows())

    def reason(value: str | None) -> str:
        if value is None:
            return "required, must not be empty"
        if not re.fullmatch(PERSON_ID, value):
            return PERSON_ID_RULE
        return f"duplicate of row {first_row[value]}"

    return reason


def _choice_reason(name: str) -> Callable[[str | None], str]:
    return lambda _v: f"not one of {', '.join(_CHOICES[name])}"


def _code_reason(code: str) -> str:
    if code.upper() in vocab.COUNTRY_CODES:
        return f"country code must be upper-case ISO 3166-1 alpha-2: {code!r}"
    return f"unknown country code {code!r}"


def _codes_reason(text: str | None) -> str:
    codes = [c.strip() for c in (text or "").split(";") if c.strip()]
    if NONE in codes:
        if len(codes) == 1:
            return "at least one nationality is required"
        return "'none' means no country: it cannot be listed with country codes"
    bad = [_code_reason(c) for c in dict.fromkeys(codes) if c not in vocab.COUNTRY_CODES]
    return "; ".join(bad) or "at least one nationality is required"


def _date_reason(text: str | None) -> str:
    if text and re.fullmatch(_ISO_DATE, text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return "no such date"
        return "in the future" if day > dt.date.today() else f"before {EARLIEST_BIRTH.year}: not a living person's"
    return "not an ISO date YYYY-MM-DD"


def _gang_basis_reason(text: str | None) -> str:
    if text in vocab.GANG_BASES:
        return "a basis for gang membership is given, but gang is none: the record contradicts itself"
    return f"not one of {', '.join(vocab.GANG_BASES)}"


def _months_reason(text: str | None) -> str:
    text = text or ""
    if re.fullmatch(r"-[0-9]+", text):
        return "must not be negative"
    if re.fullmatch(_DIGITS, text):
        return f"too large (at most {_INT32_MAX})"
    return "not a whole number of months"


_REASONS: dict[str, Callable[[str | None], str]] = {
    **{name: _choice_reason(name) for name in _CHOICES},
    **dict.fromkeys(_CODE_LISTS, _codes_reason),
    **dict.fromkeys(_BOOLS, lambda _v: "not true or false"),
    "sending_state": lambda v: _code_reason(v or ""),
    "date_of_birth": _date_reason,
    "gang_basis": _gang_basis_reason,
    "sentence_remaining_months": _months_reason,
}


def _error_order(error: FieldError) -> tuple[int, int]:
    position = PERSON_COLUMNS.index(error.column) if error.column in PERSON_SCHEMA else -1
    return error.row, position
