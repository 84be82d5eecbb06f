"""Person records (interchange format v1): reading, validation, normalization and writing."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from accord.core import records
from accord.core.records import (
    PERSON_COLUMNS,
    PERSON_SCHEMA,
    FieldError,
    RecordError,
    parse_people,
    people_from_dicts,
    read_people,
    write_frame,
    write_people,
)
from accord.core.vocabulary import STATUSES


def person(person_id: str = "p1", **cells: str) -> dict[str, str]:
    """A valid CSV row as text; keyword arguments override cells."""
    row = {
        "person_id": person_id,
        "family_name": "Pérez",
        "given_names": "José Luis",
        "date_of_birth": "1990-05-01",
        "sex": "M",
        "nationalities": "VE",
        "sending_state": "US",
        "status": "undocumented",
        "removal_order": "final",
        "protection": "none",
        "protection_countries": "none",
        "fear_screened": "VE",
        "fear_found": "none",
        "legal_hold": "false",
        "conviction": "felony",
        "pending_charges": "false",
        "sentence_remaining_months": "0",
        "gang": "none",
        "gang_basis": "none",
        "transfer_consent": "false",
    }
    return row | cells


def write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] | None = None) -> Path:
    """Write with the csv module, independently of the code under test."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns or PERSON_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_errors(path: Path) -> list[FieldError]:
    with pytest.raises(RecordError) as info:
        read_people(path)
    return info.value.errors


def mixed_people() -> pl.DataFrame:
    """Known and unknown facts of every type, so round trips cover nulls, lists and booleans."""
    return people_from_dicts(
        [
            {
                **person("a-1"),
                "nationalities": "VE;CO",
                "protection_countries": ["VE"],
                "fear_found": "VE",
                "legal_hold": True,
                "transfer_consent": "false",
                "sentence_remaining_months": 24,
            },
            {"person_id": "a-2", "nationalities": ["SV"], "sending_state": "MX", "family_name": 'Ñandú, "Jr"'},
            {
                **person("a-3"),
                "date_of_birth": "2010-12-31",
                "sentence_remaining_months": "0",
                "pending_charges": "TRUE",
                "fear_screened": [],
            },
        ],
        allow_missing=True,  # a-2 leaves every other fact unknown
    )


# --- normalized frame --------------------------------------------------------------------------


def test_normalizes_csv_cells(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "people.csv",
        [
            person(" p1 ", nationalities=" VE ; CO;VE;", legal_hold="TRUE", sentence_remaining_months=" 7 "),
            person(
                "p2",
                family_name="  ",
                date_of_birth="",
                sex="",
                status="",
                sending_state="",
                legal_hold="",
                sentence_remaining_months="",
                fear_found="",
            ),
        ],
    )
    df = read_people(path)
    assert df.schema == pl.Schema(PERSON_SCHEMA)
    first, second = df.to_dicts()
    assert first["person_id"] == "p1"
    assert first["nationalities"] == ["VE", "CO"]  # stripped, empty item dropped, repeat removed
    assert first["date_of_birth"] == dt.date(1990, 5, 1)
    assert first["legal_hold"] is True
    assert first["sentence_remaining_months"] == 7
    assert (first["protection_countries"], first["sentence_remaining_months"]) == ([], 7)  # "none": the empty list
    # Unknown facts stay null for the rules to send to review; only sending_state has a default.
    assert (second["family_name"], second["date_of_birth"], second["sex"]) == (None, None, None)
    assert (second["status"], second["legal_hold"], second["sentence_remaining_months"]) == (None, None, None)
    assert (second["fear_found"], second["protection_countries"]) == (None, [])  # unknown, and "none"
    assert second["sending_state"] == "US"


def test_sending_state_column_is_optional(tmp_path: Path) -> None:
    columns = tuple(c for c in PERSON_COLUMNS if c != "sending_state")
    df = read_people(write_csv(tmp_path / "people.csv", [person("p1"), person("p2")], columns))
    assert df.columns == list(PERSON_COLUMNS)
    assert df["sending_state"].to_list() == ["US", "US"]


def test_header_only_is_zero_people(tmp_path: Path) -> None:
    df = read_people(write_csv(tmp_path / "people.csv", []))
    assert df.height == 0
    assert df.schema == pl.Schema(PERSON_SCHEMA)


def test_blank_lines_are_not_records(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", [person("p1"), person("p2", sex="?")])
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    lines = text.splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", lines[2], "", ""]), encoding="utf-8")
    assert read_errors(path) == [FieldError(2, "sex", "?", "not one of M, F, X")]


# --- refused values ----------------------------------------------------------------------------

ALLOWED_STATUSES = ", ".join(STATUSES)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("person_id", "", "required, must not be empty"),
        ("date_of_birth", "2023-02-30", "no such date"),
        ("date_of_birth", "1990-5-1", "not an ISO date YYYY-MM-DD"),
        ("date_of_birth", "01/05/1990", "not an ISO date YYYY-MM-DD"),
        ("sex", "male", "not one of M, F, X"),
        ("status", "martian", f"not one of {ALLOWED_STATUSES}"),
        ("removal_order", "FINAL", "not one of none, pending, final"),
        ("conviction", "murder", "not one of none, misdemeanor, felony, violent_felony"),
        ("gang", "MS-13", "not one of none, ms13, barrio18, tren_de_aragua, other"),
        ("gang_basis", "rumour", "not one of none, conviction, self_admission, allegation"),
        ("protection", "granted", "not one of none, pending, asylum_granted, withholding_granted, cat_granted, denied"),
        ("nationalities", "", "at least one nationality is required"),
        ("nationalities", " ; ", "at least one nationality is required"),
        ("nationalities", "ve", "country code must be upper-case ISO 3166-1 alpha-2: 've'"),
        ("nationalities", "VE;ZZ", "unknown country code 'ZZ'"),
        ("nationalities", "VEN", "unknown country code 'VEN'"),
        ("sending_state", "USA", "unknown country code 'USA'"),
        ("sending_state", "us", "country code must be upper-case ISO 3166-1 alpha-2: 'us'"),
        (
            "fear_found",
            "VE;QQ;ve",
            "unknown country code 'QQ'; country code must be upper-case ISO 3166-1 alpha-2: 've'",
        ),
        ("legal_hold", "yes", "not true or false"),
        ("pending_charges", "1", "not true or false"),
        ("sentence_remaining_months", "-3", "must not be negative"),
        ("sentence_remaining_months", "1.5", "not a whole number of months"),
        ("sentence_remaining_months", "six", "not a whole number of months"),
        ("sentence_remaining_months", "3000000000", "too large (at most 2147483647)"),
    ],
)
def test_refuses_bad_value(tmp_path: Path, column: str, value: str, reason: str) -> None:
    path = write_csv(tmp_path / "people.csv", [person("p1"), person("p2") | {column: value}, person("p3")])
    assert read_errors(path) == [FieldError(2, column, value.strip(), reason)]


def test_reports_every_bad_row_in_row_order(tmp_path: Path) -> None:
    rows = [person(f"p{i}") for i in range(1, 8)]
    rows[1] |= {"status": "alien", "legal_hold": "maybe"}
    rows[4] |= {"nationalities": "XX"}
    rows[6] |= {"date_of_birth": "1999-13-01"}
    errors = read_errors(write_csv(tmp_path / "people.csv", rows))
    assert [(e.row, e.column, e.value) for e in errors] == [
        (2, "status", "alien"),
        (2, "legal_hold", "maybe"),
        (5, "nationalities", "XX"),
        (7, "date_of_birth", "1999-13-01"),
    ]


def test_duplicate_person_id_names_the_first_row(tmp_path: Path) -> None:
    rows = [person("p1"), person("p2"), person(" p1"), person("p3"), person("p2")]
    errors = read_errors(write_csv(tmp_path / "people.csv", rows))
    assert errors == [
        FieldError(3, "person_id", "p1", "duplicate of row 1"),
        FieldError(5, "person_id", "p2", "duplicate of row 2"),
    ]


def test_missing_and_unexpected_columns(tmp_path: Path) -> None:
    columns = (*(c for c in PERSON_COLUMNS if c not in ("gang", "fear_found")), "gangg")
    path = write_csv(tmp_path / "people.csv", [person("p1") | {"gangg": "ms13"}], columns)
    errors = read_errors(path)
    assert sorted(errors, key=lambda e: e.column) == [
        FieldError(0, "fear_found", "", "missing column"),
        FieldError(0, "gang", "", "missing column"),
        FieldError(0, "gangg", "", "unexpected column"),
    ]


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"")
    assert read_errors(path) == [FieldError(0, "", "", "file is empty, a header row is required")]


def test_row_with_too_many_fields_is_located(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", [person("p1"), person("p2")])
    with open(path, "a", encoding="utf-8") as f:
        f.write("p3" + "," * len(PERSON_COLUMNS) + "extra\n")
    assert read_errors(path) == [FieldError(3, "", "", f"has {len(PERSON_COLUMNS) + 1} fields, the header has 20")]


@pytest.mark.parametrize("name", ["people.txt", "people.xlsx", "people", "people.csv.gz"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("person_id\n", encoding="utf-8")
    with pytest.raises(RecordError) as info:
        read_people(path)
    assert str(path) in str(info.value)
    assert ".csv, .parquet, .jsonl" in str(info.value)
    with pytest.raises(RecordError):
        write_people(mixed_people(), path)


def test_bad_file_returns_no_frame(tmp_path: Path) -> None:
    """One bad row among many valid ones refuses the whole file: nothing partial comes back."""
    rows = [person(f"p{i}") for i in range(500)]
    rows[321]["conviction"] = "felonyy"
    result: pl.DataFrame | None = None
    with pytest.raises(RecordError) as info:
        result = read_people(write_csv(tmp_path / "people.csv", rows))
    assert result is None
    assert info.value.total == 1
    assert info.value.errors[0].row == 322


def test_message_shows_twenty_errors_then_a_count(tmp_path: Path) -> None:
    rows = [person(f"p{i}", sex="?") for i in range(25)]
    path = write_csv(tmp_path / "people.csv", rows)
    with pytest.raises(RecordError) as info:
        read_people(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: 25 errors in person records"
    assert lines[1].strip() == "row 1, column sex, value '?': not one of M, F, X"
    assert len(lines) == 1 + 20 + 1
    assert lines[-1].strip() == "... and 5 more"
    assert info.value.path == str(path)


def test_gathered_errors_are_capped_but_all_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "MAX_ERRORS_PER_CHECK", 3)
    rows = [person(f"p{i}", gang="crew", legal_hold="no") for i in range(10)]
    with pytest.raises(RecordError) as info:
        read_people(write_csv(tmp_path / "people.csv", rows))
    assert info.value.total == 20
    assert len(info.value.errors) == 6
    assert {e.column for e in info.value.errors} == {"gang", "legal_hold"}


def test_field_error_text() -> None:
    assert str(FieldError(3, "status", "martian", "not one of citizen")) == (
        "row 3, column status, value 'martian': not one of citizen"
    )
    assert str(FieldError(0, "gang", "", "missing column")) == "column gang: missing column"
    assert str(FieldError(0, "", "", "file is empty")) == "file: file is empty"


# --- JSON lines, Parquet and dicts ---------------------------------------------------------------


def test_json_lines_accept_arrays_strings_booleans_and_numbers(tmp_path: Path) -> None:
    lines = [
        person(
            "j1",
            nationalities=["VE", "CO"],  # type: ignore[arg-type]
            fear_screened=[],  # type: ignore[arg-type]
            legal_hold=True,  # type: ignore[arg-type]
            sentence_remaining_months=12,  # type: ignore[arg-type]
            status=None,  # type: ignore[arg-type]
        ),
        person(
            "j2",
            nationalities="SV; GT",
            fear_screened="VE",
            legal_hold="FALSE",
            sentence_remaining_months="3",
            status="parolee",
        ),
        person(
            "j3",
            nationalities="HN",
            sentence_remaining_months=6.0,  # type: ignore[arg-type]
            transfer_consent=None,  # type: ignore[arg-type]
            legal_hold=None,  # type: ignore[arg-type]
            fear_screened="none",
            status=None,  # type: ignore[arg-type]
        ),
    ]
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    df = read_people(path)
    assert df.schema == pl.Schema(PERSON_SCHEMA)
    assert df["nationalities"].to_list() == [["VE", "CO"], ["SV", "GT"], ["HN"]]
    assert df["fear_screened"].to_list() == [[], ["VE"], []]
    assert df["legal_hold"].to_list() == [True, False, None]
    assert df["sentence_remaining_months"].to_list() == [12, 3, 6]
    assert df["status"].to_list() == [None, "parolee", None]  # null: unknown
    assert df["transfer_consent"].to_list() == [False, False, None]


def test_a_json_lines_record_without_a_key_is_refused_by_row_and_key(tmp_path: Path) -> None:
    """Format v2: a record that leaves a key out is not padded with unknowns."""
    cut = {k: v for k, v in person("j2").items() if k not in ("sentence_remaining_months", "fear_found")}
    path = tmp_path / "people.jsonl"
    path.write_text(json.dumps(person("j1")) + "\n" + json.dumps(cut) + "\n", encoding="utf-8")
    errors = read_errors(path)
    assert [(e.row, e.column) for e in errors] == [(2, "fear_found"), (2, "sentence_remaining_months")]
    assert all("missing" in e.reason for e in errors)
    with pytest.raises(RecordError, match="sentence_remaining_months: missing"):
        people_from_dicts([cut])


def test_json_lines_report_bad_lines_and_values(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(person("j1", nationalities=["VE"])),  # type: ignore[arg-type]
                '{"person_id": "j2", "nationalities": ',
                json.dumps(["not", "an", "object"]),
                json.dumps({**person("j4", nationalities=["VE", 7], sex="F"), "nickname": "x"}),  # type: ignore[arg-type]
                json.dumps(person("j5", nationalities="ve", legal_hold=1)),  # type: ignore[arg-type]
            ]
        ),
        encoding="utf-8",
    )
    errors = read_errors(path)
    assert [(e.row, e.column) for e in errors] == [
        (0, "nickname"),
        (2, ""),
        (3, ""),
        (4, "nationalities"),
        (5, "nationalities"),
        (5, "legal_hold"),
    ]
    assert errors[1].reason.startswith("not valid JSON")
    assert errors[2].reason == "not a JSON object but list"
    assert errors[3].value == '["VE", 7]'
    assert errors[5] == FieldError(5, "legal_hold", "1", "not true or false")


def test_empty_json_lines_file_is_zero_people(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text("", encoding="utf-8")
    assert read_people(path).height == 0


def test_parquet_with_native_types(tmp_path: Path) -> None:
    typed = pl.DataFrame(
        {c: [v, None] for c, v in person("q1").items()},
        schema=dict.fromkeys(PERSON_COLUMNS, pl.String),
    ).with_columns(
        person_id=pl.Series(["q1", "q2"]),
        nationalities=pl.Series([["VE", "VE", "CO"], ["SV"]]),
        date_of_birth=pl.Series([dt.date(1980, 2, 29), None]),
        legal_hold=pl.Series([True, None]),
        sentence_remaining_months=pl.Series([18, None], dtype=pl.Int64),
        fear_found=pl.Series([[], None], dtype=pl.List(pl.String)),
    )
    path = tmp_path / "people.parquet"
    typed.write_parquet(path)
    df = read_people(path)
    assert df.schema == pl.Schema(PERSON_SCHEMA)
    first, second = df.to_dicts()
    typed_columns = ("nationalities", "date_of_birth", "legal_hold", "sentence_remaining_months", "fear_found")
    assert [first[c] for c in typed_columns] == [["VE", "CO"], dt.date(1980, 2, 29), True, 18, []]
    assert (first["status"], first["fear_screened"]) == ("undocumented", ["VE"])
    assert [second[c] for c in typed_columns] == [["SV"], None, None, None, None]  # a null list is unknown
    assert (second["status"], second["sending_state"]) == (None, "US")


def test_unsupported_column_type_is_refused() -> None:
    raw = pl.DataFrame({c: ["x"] for c in PERSON_COLUMNS}).with_columns(gang=pl.struct(a=pl.lit(1)))
    with pytest.raises(RecordError) as info:
        parse_people(raw, "api")
    assert info.value.errors == [FieldError(0, "gang", "", "unsupported column type Struct({'a': Int32})")]
    assert str(info.value).startswith("api: 1 error in person records")


def test_people_from_dicts_refuses_non_text_values() -> None:
    with pytest.raises(RecordError) as info:
        people_from_dicts([person("d1", nationalities=["VE"], gang={"name": "ms13"})])  # type: ignore[arg-type]
    assert info.value.errors == [
        FieldError(1, "gang", '{"name": "ms13"}', "expected text, a number, true/false or a list of text")
    ]


# --- writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", [".csv", ".parquet", ".jsonl"])
def test_round_trip(tmp_path: Path, extension: str) -> None:
    df = mixed_people()
    path = tmp_path / f"people{extension}"
    write_people(df, path)
    assert_frame_equal(read_people(path), df)


def test_csv_is_written_as_interchange_text(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    write_people(mixed_people(), path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == PERSON_COLUMNS
    assert rows[0]["nationalities"] == "VE;CO"
    assert (rows[0]["legal_hold"], rows[0]["transfer_consent"], rows[0]["pending_charges"]) == (
        "true",
        "false",
        "false",
    )
    assert rows[1]["protection_countries"] == ""  # unknown: an empty cell
    assert rows[2]["fear_screened"] == rows[2]["fear_found"] == "none"  # the empty list, written out
    assert rows[1]["date_of_birth"] == rows[1]["legal_hold"] == ""
    assert rows[2]["date_of_birth"] == "2010-12-31"


def test_write_people_needs_every_column(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="missing columns: gang"):
        write_people(mixed_people().drop("gang"), tmp_path / "people.csv")


def test_write_frame_joins_lists_only_in_csv(tmp_path: Path) -> None:
    decisions = pl.DataFrame({"person_id": ["a", "b"], "rules": [["us/fear", "us/citizen"], []], "ok": [True, None]})
    write_frame(decisions, tmp_path / "d.csv")
    assert (tmp_path / "d.csv").read_text(encoding="utf-8").splitlines() == [
        "person_id,rules,ok",
        "a,us/fear;us/citizen,true",
        "b,,",
    ]
    write_frame(decisions, tmp_path / "d.parquet")
    assert_frame_equal(pl.read_parquet(tmp_path / "d.parquet"), decisions)


# --- the fast path agrees with the clean path ---------------------------------------------------

CODES = st.sampled_from(["VE", "CO", "SV", "US", "MX", "XK"])
PADDING = st.sampled_from(["", " ", "  ", "\t"])


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.lists(st.tuples(PADDING, CODES, PADDING), min_size=1, max_size=4), min_size=1, max_size=6))
def test_code_lists_normalize_alike_whatever_the_padding(cells: list[list[tuple[str, str, str]]]) -> None:
    """Clean and messy cells share a file; each gets its codes in order, once, unpadded."""
    rows: list[dict[str, Any]] = [
        {"person_id": f"h{i}", "nationalities": ";".join(a + code + b for a, code, b in cell)}
        for i, cell in enumerate(cells)
    ]
    df = people_from_dicts(rows, allow_missing=True)
    expected = [list(dict.fromkeys(code for _, code, _ in cell)) for cell in cells]
    assert df["nationalities"].to_list() == expected


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "people.csv", [person("p1")])
    csv_path.write_bytes(csv_path.read_bytes().replace("Pérez".encode(), "Pérez".encode("latin-1")))
    assert read_errors(csv_path) == [FieldError(0, "", "", "not UTF-8 text")]
    jsonl_path = tmp_path / "people.jsonl"
    jsonl_path.write_bytes(json.dumps(person("j1")).encode() + b'\n{"person_id": "P\xe9rez"}\n')
    assert read_errors(jsonl_path) == [FieldError(2, "", "", "not UTF-8 text")]


def test_json_lines_unexpected_key_in_an_otherwise_valid_file(tmp_path: Path) -> None:
    lines: list[dict[str, Any]] = [person(f"j{i}", nationalities=["VE"]) for i in range(5)]  # type: ignore[arg-type]
    lines[3]["nationalty"] = "CO"  # a typo must not be dropped silently
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    assert read_errors(path) == [FieldError(0, "nationalty", "", "unexpected column")]


def test_json_lines_text_that_looks_like_json_is_still_text(tmp_path: Path) -> None:
    lines = [
        person("j1", nationalities=["VE"], family_name='[sic] "Ana": none', given_names=None),  # type: ignore[arg-type]
        person("j2", nationalities="VE;CO", given_names="{x}", family_name=None),  # type: ignore[arg-type]
    ]
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    df = read_people(path)
    assert df["family_name"].to_list() == ['[sic] "Ana": none', None]
    assert df["given_names"].to_list() == [None, "{x}"]
    assert df["nationalities"].to_list() == [["VE"], ["VE", "CO"]]


@pytest.mark.parametrize("value", [["VE", None], ["VE", 1], ["VE", ["CO"]], {"code": "VE"}])
def test_json_lines_lists_hold_only_text(tmp_path: Path, value: object) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(json.dumps(person("j1", nationalities=value)), encoding="utf-8")  # type: ignore[arg-type]
    assert [(e.row, e.column, e.reason) for e in read_errors(path)] == [
        (1, "nationalities", "expected text, a number, true/false or a list of text")
    ]


def test_json_lines_fast_and_exact_readings_agree(tmp_path: Path) -> None:
    """Valid files take Polars' reader; it must give what the line-by-line reading gives."""
    lines: list[dict[str, Any]] = [
        {**person("j1"), "nationalities": ["VE", "CO", "VE"], "legal_hold": True, "sentence_remaining_months": 6.0},
        {**person("j2"), "nationalities": " SV ;GT", "fear_found": [], "legal_hold": "False", "family_name": 7},
        {**person("j3"), "nationalities": "HN", "date_of_birth": "2001-02-03", "transfer_consent": None},
        {**person("j4"), "fear_found": None, "fear_screened": "none", "protection_countries": []},
    ]
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    fast = records._jsonl_fast(path)
    assert fast is not None
    exact = records._parse_records(records._jsonl_records(path), None)
    assert_frame_equal(parse_people(fast), exact)
    assert_frame_equal(read_people(path), exact)


def test_typed_list_with_a_null_item_is_refused() -> None:
    typed = mixed_people().with_columns(fear_screened=pl.Series([["VE"], ["CO", None], []]))
    with pytest.raises(RecordError) as info:
        parse_people(typed)
    assert info.value.errors == [FieldError(2, "fear_screened", "CO;null", "unknown country code 'null'")]


def test_unreadable_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    path.write_bytes(b"not parquet")
    [error] = read_errors(path)
    assert (error.row, error.column) == (0, "")
    assert error.reason.startswith("unreadable Parquet")


def test_a_failed_write_leaves_no_file_behind(tmp_path: Path) -> None:
    """Written beside the target and renamed: a write that fails leaves neither file nor temp."""
    target = tmp_path / "out.csv"
    unwritable = pl.DataFrame({"nested": [{"a": 1}]})  # CSV cannot hold a struct column
    with pytest.raises(Exception):  # noqa: B017 - Polars' own error type for this varies
        write_frame(unwritable, target)
    assert list(tmp_path.iterdir()) == []


# --- format v2: empty is unknown, every field present -----------------------------------------------


def _honduran_violent_felon(person_id: str = "p2") -> dict[str, str]:
    return person(person_id, nationalities="HN", conviction="violent_felony", sentence_remaining_months="36")


def test_a_csv_row_cut_short_is_refused_by_row_and_first_missing_column(tmp_path: Path) -> None:
    """The legal review's case: a row cut after pending_charges read as a clean record."""
    path = write_csv(tmp_path / "people.csv", [person("p1"), _honduran_violent_felon()])
    lines = path.read_text(encoding="utf-8").splitlines()
    cut_at = PERSON_COLUMNS.index("pending_charges") + 1
    lines[2] = ",".join(lines[2].split(",")[:cut_at])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (error,) = read_errors(path)
    assert (error.row, error.column) == (2, "sentence_remaining_months")
    assert error.reason.startswith("has 16 fields, the header has 20")
    assert "sentence_remaining_months, gang, gang_basis, transfer_consent missing" in error.reason


def test_a_row_whose_last_cell_is_empty_but_present_is_read(tmp_path: Path) -> None:
    df = read_people(write_csv(tmp_path / "people.csv", [person("p1", transfer_consent="")]))
    assert df["transfer_consent"].to_list() == [None]


def test_a_v1_file_reads_with_its_empty_cells_as_unknown(tmp_path: Path) -> None:
    """v1 wrote "none" as an empty cell in four columns: read today, those facts are unknown."""
    v1 = _honduran_violent_felon() | dict.fromkeys(
        ("protection_countries", "fear_screened", "fear_found", "sentence_remaining_months"), ""
    )
    df = read_people(write_csv(tmp_path / "people.csv", [v1]))
    facts = df.select("protection_countries", "fear_screened", "fear_found", "sentence_remaining_months").row(0)
    assert facts == (None, None, None, None)
    from accord.core.screening import explain

    decision = explain(df, "us-sv-2025", dt.date(2025, 3, 1))
    assert decision.outcome != "eligible"
    assert {"us/serving-sentence", "us/fear", "us/third-country-notice"} <= {r.rule_id for r in decision.failing}


def test_none_is_written_for_an_empty_list_and_read_back(tmp_path: Path) -> None:
    df = people_from_dicts([person("p1", fear_found="none", protection_countries="")])
    path = tmp_path / "people.csv"
    write_people(df, path)
    row = next(csv.DictReader(path.open(encoding="utf-8")))
    assert (row["fear_found"], row["protection_countries"], row["sentence_remaining_months"]) == ("none", "", "0")
    assert_frame_equal(read_people(path), df)


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"gang": "none", "gang_basis": "allegation"}, "gang_basis", "gang is none"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in the future"),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth", "before 1900"),
        ({"fear_found": "none;VE"}, "fear_found", "cannot be listed with country codes"),
        ({"nationalities": "none"}, "nationalities", "at least one nationality"),
    ],
)
def test_a_record_that_contradicts_itself_is_refused(
    tmp_path: Path, cells: dict[str, str], column: str, reason: str
) -> None:
    (error,) = read_errors(write_csv(tmp_path / "people.csv", [person("p1", **cells)]))
    assert (error.row, error.column) == (1, column) and reason in error.reason


def test_a_gang_basis_is_judged_beside_the_gang_as_stripped(tmp_path: Path) -> None:
    """A padded "none" is none: a basis beside it contradicts the record as an unpadded one does
    (each pair of cells is judged once, by the careful form)."""
    rows = [person("p1", gang=" none ", gang_basis="allegation"), person("p2", gang=" ms13", gang_basis="allegation")]
    (error,) = read_errors(write_csv(tmp_path / "people.csv", rows))
    assert (error.row, error.column, error.value) == (1, "gang_basis", "allegation")
