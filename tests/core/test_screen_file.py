"""Bulk screening from a file: the encoded path (each distinct combination of facts evaluated
once) gives exactly the rows of the row-by-row path, and every rule id in a decisions file is
explained by the rule catalogue written beside it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from accord.core.dataset import Dataset, load_dataset
from accord.core.population import generate_population
from accord.core.records import (
    EncodedPeople,
    RecordError,
    read_people,
    read_people_encoded,
    write_people,
)
from accord.core.rules.engine import Usage
from accord.core.screening import (
    CATALOGUE_COLUMNS,
    DECISION_COLUMNS,
    DECISION_SCHEMA,
    _screen_encoded,
    _screeners,
    catalogue_path,
    distinct_facts,
    explain,
    rule_catalogue,
    screen_file,
    screen_population,
    write_decisions,
)
from accord.core.version import rules_version
from tests.core.test_paths_agree import AGREEMENTS, dates, people, usages
from tests.core.test_records import person, write_csv

FIXTURES = Path(__file__).resolve().parent.parent / "golden" / "fixtures" / "agreements"
DAY = dt.date(2025, 3, 1)


@cache
def dataset() -> Dataset:
    return load_dataset(extra_agreements=sorted(FIXTURES.glob("*.toml")))


def _read_decisions(path: Path) -> pl.DataFrame:
    """A decisions CSV as screen_population holds it (an empty cell reads back as null)."""
    frame = pl.read_csv(path, schema={**dict.fromkeys(DECISION_COLUMNS, pl.String), "date": pl.Date})
    return frame.with_columns(pl.col("rules").fill_null(""))


def read_people_encoded_from_rows(rows: list[dict[str, str]]) -> EncodedPeople:
    with tempfile.TemporaryDirectory() as tmp:
        return read_people_encoded(write_csv(Path(tmp) / "people.csv", rows))


ANA = {"given_names": "Ana", "sex": "F", "nationalities": "SV", "fear_screened": "SV", "gang": "ms13"}


def _one_person(**cells: str) -> dict[str, str]:
    return person("C1", **ANA, gang_basis="conviction") | cells


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=people(), day=dates, agreement=st.sampled_from(AGREEMENTS), usage=usages)
def test_the_encoded_path_gives_the_rows_of_the_row_by_row_path(
    records: list[dict[str, str]], day: dt.date, agreement: str, usage: Usage
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        encoded = read_people_encoded(write_csv(Path(tmp) / "people.csv", records))
    by_rows = screen_population(encoded.people(), day, [agreement], dataset=dataset(), usage=usage)
    encoded_rows = screen_population(encoded, day, [agreement], dataset=dataset(), usage=usage)
    assert dict(encoded_rows.schema) == DECISION_SCHEMA
    assert_frame_equal(encoded_rows, by_rows)


@pytest.mark.parametrize("unknown_rate", [0.0, 0.25])
def test_a_generated_population_screens_alike_on_both_paths(tmp_path: Path, unknown_rate: float) -> None:
    """20,000 people, fellows sharing their facts, every agreement and the test transfer."""
    path = tmp_path / "people.parquet"
    write_people(generate_population(20_000, 11, unknown_rate=unknown_rate), path)
    encoded = read_people_encoded(path)
    facts, group = distinct_facts(encoded, _screeners(DAY, None, dataset(), None)[0].ctx)
    assert facts.height < encoded.height and group.len() == encoded.height
    for day in (DAY, dt.date(2024, 6, 1), dt.date(2025, 7, 20)):
        by_rows = screen_population(encoded.people(), day, AGREEMENTS, dataset=dataset())
        assert_frame_equal(screen_population(encoded, day, AGREEMENTS, dataset=dataset()), by_rows)


def test_read_people_encoded_reads_what_read_people_reads(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    write_people(generate_population(3_000, 5, unknown_rate=0.3), path)
    assert_frame_equal(read_people_encoded(path).people(), read_people(path))


def test_the_catalogue_says_each_rule_of_each_agreement_once_as_the_explanation_does() -> None:
    catalogue = rule_catalogue(DAY, AGREEMENTS, dataset=dataset())
    assert catalogue.columns == list(CATALOGUE_COLUMNS)
    assert catalogue.select("agreement_id", "rule_id").is_unique().all()
    assert set(catalogue["data_version"]) == {dataset().version}
    assert set(catalogue["rules_version"]) == {rules_version()}
    person = read_people_encoded_from_rows([_one_person()]).people()
    for agreement in AGREEMENTS:
        entries = {row["rule_id"]: row for row in catalogue.filter(pl.col("agreement_id") == agreement).to_dicts()}
        explained = explain(person, agreement, DAY, dataset=dataset())
        assert list(entries) == [r.rule_id for r in explained.results]
        for result in explained.results:
            entry = entries[result.rule_id]
            assert (entry["title"], entry["citation"], entry["source"]) == (result.title, result.citation, result.quote)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_screen_file_writes_the_decisions_and_their_catalogue(tmp_path: Path, suffix: str) -> None:
    people = tmp_path / "people.csv"
    write_people(generate_population(2_000, 3, unknown_rate=0.1), people)
    out = tmp_path / f"decisions{suffix}"
    run = screen_file(people, out, DAY, dataset=dataset())
    expected = screen_population(read_people(people), DAY, dataset=dataset())
    assert run.decisions == out
    assert run.catalogue == catalogue_path(out) == tmp_path / f"decisions.rules{suffix}"
    assert (run.people, run.rows, run.data_version) == (2_000, expected.height, dataset().version)
    assert set(run.seconds) == {"read", "rules", "write"}
    counted = expected.group_by("agreement_id", "outcome").len()
    assert_frame_equal(run.counts, counted, check_row_order=False, check_dtypes=False)
    written = {
        ".csv": _read_decisions,
        ".parquet": pl.read_parquet,
        ".jsonl": lambda p: pl.read_ndjson(p, schema=DECISION_SCHEMA),
    }[suffix](out)
    assert_frame_equal(written, expected)
    catalogue = {
        ".csv": lambda p: pl.read_csv(p, infer_schema=False),
        ".parquet": pl.read_parquet,
        ".jsonl": pl.read_ndjson,
    }[suffix](run.catalogue)
    listed = set(catalogue.select("agreement_id", "rule_id").iter_rows())
    used = {
        (agreement, rule)
        for agreement, rules in expected.select("agreement_id", "rules").unique().iter_rows()
        for rule in rules.split(";")
        if rule
    }
    assert used and used <= listed


def test_every_decision_row_keeps_its_rule_ids_and_the_catalogue_its_citations(tmp_path: Path) -> None:
    """The citations leave the rows (issue #11), not the file set: each row's rules, looked up by
    agreement and rule id, give the citations the explanation gives."""
    people = write_csv(
        tmp_path / "people.csv",
        [
            _one_person(),
            _one_person(person_id="C2", status="citizen", nationalities="US"),
            _one_person(person_id="C3", legal_hold="", conviction=""),
        ],
    )
    out = tmp_path / "decisions.csv"
    screen_file(people, out, DAY, ["us-sv-2025"], dataset=dataset())
    assert pl.read_csv(out, infer_schema=False).columns == list(DECISION_COLUMNS)
    catalogue = pl.read_csv(catalogue_path(out), infer_schema=False)
    citation = {(a, r): c for a, r, c in catalogue.select("agreement_id", "rule_id", "citation").iter_rows()}
    frame = read_people(people)
    for row in _read_decisions(out).iter_rows(named=True):
        alone = explain(frame.filter(pl.col("person_id") == row["person_id"]), "us-sv-2025", DAY, dataset=dataset())
        assert [citation[row["agreement_id"], r] for r in row["rules"].split(";") if r] == [
            r.citation for r in alone.failing
        ]


def test_a_bad_record_writes_nothing(tmp_path: Path) -> None:
    people = write_csv(tmp_path / "people.csv", [_one_person(), _one_person(person_id="C2", status="martian")])
    out = tmp_path / "decisions.csv"
    with pytest.raises(RecordError, match="martian"):
        screen_file(people, out, DAY, dataset=dataset())
    assert list(tmp_path.iterdir()) == [people]


def test_an_unknown_agreement_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="us-xx-2030"):
        screen_file(tmp_path / "nowhere.csv", tmp_path / "d.csv", DAY, ["us-xx-2030"], dataset=dataset())


def test_a_cell_that_needs_quoting_is_quoted(tmp_path: Path) -> None:
    """Validated people hold no such cell; a frame built another way still writes a true CSV."""
    encoded = read_people_encoded_from_rows([_one_person(), _one_person(person_id="C2")])
    odd = dataclasses.replace(encoded, ids=pl.Series("person_id", ['a,"b"', "c\nd"]))
    screened = _screen_encoded(odd, _screeners(DAY, ["us-sv-2025"], dataset(), None))
    assert screened.plain_rows is None
    out = tmp_path / "decisions.csv"
    write_decisions(screened.decisions.collect(), out, dataset=dataset())
    assert _read_decisions(out)["person_id"].to_list() == ['a,"b"', "c\nd"]


def test_decisions_of_two_dates_are_refused(tmp_path: Path) -> None:
    people = read_people_encoded_from_rows([_one_person()]).people()
    both = pl.concat([screen_population(people, day, ["us-sv-2025"]) for day in (DAY, DAY + dt.timedelta(days=1))])
    with pytest.raises(ValueError, match="more than one date"):
        write_decisions(both, tmp_path / "d.csv")


def test_a_file_of_no_one_writes_a_header_and_the_catalogue(tmp_path: Path) -> None:
    people = write_csv(tmp_path / "people.csv", [])
    run = screen_file(people, tmp_path / "d.csv", DAY, ["us-sv-2025"], dataset=dataset())
    assert (run.rows, run.people, run.counts.height) == (0, 0, 0)
    assert pl.read_csv(run.decisions, infer_schema=False).columns == list(DECISION_COLUMNS)
    assert pl.read_csv(run.catalogue, infer_schema=False).height > 0


def test_the_combinations_hold_only_what_the_rules_read() -> None:
    """No person, no name, no date of birth (adulthood on the date instead), no unread column:
    a rule that read one would fail on the encoded path instead of deciding on another's fact."""
    encoded = read_people_encoded_from_rows(
        [_one_person(), _one_person(person_id="C2", sex="M"), _one_person(person_id="C3", date_of_birth="1991-01-01")]
    )
    screeners = _screeners(DAY, None, dataset(), None)
    read = frozenset().union(*(s.reads() for s in screeners))
    assert "sex" not in read and "date_of_birth" in read  # through adulthood only
    facts, group = distinct_facts(encoded, screeners[0].ctx, read)
    assert facts.height == 1 and group.to_list() == [0, 0, 0]  # three adults alike in all the rules read
    assert not {"person_id", "family_name", "given_names", "date_of_birth", "sex"} & set(facts.columns)
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        facts.lazy().select(pl.col("date_of_birth")).collect()
