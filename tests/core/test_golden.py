"""Golden scenarios: each file under tests/golden/scenarios is a person, a date, an agreement and
the decision the law requires. Both screening paths must give it."""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from accord.core.dataset import Dataset, load_dataset
from accord.core.records import PERSON_COLUMNS, people_from_dicts
from accord.core.rules.engine import FacilityUsage, Result, Usage
from accord.core.screening import explain, screen_population

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
SCENARIOS = sorted((GOLDEN / "scenarios").glob("*.toml"))
BASE = tomllib.loads((GOLDEN / "base.toml").read_text())


@cache
def dataset() -> Dataset:
    return load_dataset(extra_agreements=sorted((GOLDEN / "fixtures" / "agreements").glob("*.toml")))


def _usage(raw: dict[str, Any]) -> Usage:
    facilities = {k: FacilityUsage(**v) for k, v in raw.get("facilities", {}).items()}
    quotas = {(q["agreement"], q["clause"], q["month"]): q["used"] for q in raw.get("quotas", [])}
    return Usage(facilities, quotas)


# Every key a scenario file may hold (tests/golden/README.md). A key outside these is a typo until
# proven otherwise, refused while loading by file and key: a misspelt optional expectation
# (`result`, `clauses`) would otherwise check nothing and let the scenario pass, and other typos
# would fail later with a message that names neither the file nor the key.
TOP_KEYS = frozenset({"description", "source", "date", "agreement", "person", "usage", "expect"})
REQUIRED_KEYS = frozenset({"description", "source", "date", "agreement", "expect"})
EXPECT_KEYS = frozenset({"outcome", "placement", "clause", "rules", "results", "error"})
DECISION_KEYS = frozenset({"outcome", "placement", "rules"})
USAGE_KEYS = frozenset({"facilities", "quotas"})
FACILITY_USAGE_KEYS = frozenset(f.name for f in dataclasses.fields(FacilityUsage))
QUOTA_KEYS = frozenset({"agreement", "clause", "month", "used"})


class ScenarioError(ValueError):
    """A scenario file that does not follow the format: which file, which key, and why."""

    def __init__(self, path: Path, key: str, reason: str) -> None:
        super().__init__(f"{path}: {key}: {reason}" if key else f"{path}: {reason}")


def _table(path: Path, key: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(path, key, f"must be a table, got {type(value).__name__}")
    return value


def _only(path: Path, where: str, table: Mapping[str, Any], known: Iterable[str]) -> None:
    names = sorted(known)
    for key in table:
        if key not in names:
            name = f"{where}.{key}" if where else key
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(names)}"
            raise ScenarioError(path, name, f"unknown key ({hint})")


def load_scenario(path: Path) -> dict[str, Any]:
    """Read a scenario file, refusing unknown or missing keys by file and key."""
    try:
        scenario = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, "", f"not valid TOML: {err}") from None
    _only(path, "", scenario, TOP_KEYS)
    if missing := sorted(REQUIRED_KEYS - scenario.keys()):
        raise ScenarioError(path, missing[0], f"missing (a scenario needs {', '.join(sorted(REQUIRED_KEYS))})")
    _only(path, "person", _table(path, "person", scenario.get("person", {})), PERSON_COLUMNS)
    usage = _table(path, "usage", scenario.get("usage", {}))
    _only(path, "usage", usage, USAGE_KEYS)
    for facility, counts in _table(path, "usage.facilities", usage.get("facilities", {})).items():
        where = f"usage.facilities.{facility}"
        _only(path, where, _table(path, where, counts), FACILITY_USAGE_KEYS)
    quotas = usage.get("quotas", [])
    if not isinstance(quotas, list):
        raise ScenarioError(path, "usage.quotas", "must be an array of tables")
    for i, quota in enumerate(quotas):
        where = f"usage.quotas[{i}]"
        _only(path, where, _table(path, where, quota), QUOTA_KEYS)
        if missing := sorted(QUOTA_KEYS - quota.keys()):
            raise ScenarioError(path, f"{where}.{missing[0]}", "missing")
    expect = _table(path, "expect", scenario["expect"])
    _only(path, "expect", expect, EXPECT_KEYS)
    if "error" not in expect and (missing := sorted(DECISION_KEYS - expect.keys())):
        raise ScenarioError(path, f"expect.{missing[0]}", "missing (give outcome, placement and rules, or error)")
    return scenario


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 60


def test_the_base_person_has_exactly_the_record_columns() -> None:
    assert list(BASE) == list(PERSON_COLUMNS)


VALID = """
description = "a clean Salvadoran goes to reception"
source = "the agreement"
date = 2025-03-01
agreement = "us-sv-2025"
[person]
conviction = "none"
[usage]
facilities.cecot = { occupied = 10 }
quotas = [{ agreement = "us-mx-chnv", clause = "quota", month = "2025-03", used = 1 }]
[expect]
outcome = "eligible"
placement = "reception"
rules = []
"""


@pytest.mark.parametrize(
    ("old", "new", "key", "hint"),
    [
        ('outcome = "eligible"', 'outcom = "eligible"', "expect.outcom", "did you mean 'outcome'?"),
        ('source = "the agreement"', 'sources = "the agreement"', "sources", "did you mean 'source'?"),
        ('conviction = "none"', 'convictions = "none"', "person.convictions", "did you mean 'conviction'?"),
        ("{ occupied = 10 }", "{ ocupied = 10 }", "usage.facilities.cecot.ocupied", "did you mean 'occupied'?"),
        ("used = 1 }", "usd = 1 }", "usage.quotas[0].usd", "did you mean 'used'?"),
        ("[usage]", "[usages]", "usages", "did you mean 'usage'?"),
    ],
)
def test_a_scenario_with_an_unknown_key_is_refused_by_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, hint: str
) -> None:
    good = tmp_path / "good.toml"
    good.write_text(VALID)
    assert load_scenario(good)["expect"]["outcome"] == "eligible"
    assert VALID.count(old) == 1
    bad = tmp_path / "999-misspelt.toml"
    bad.write_text(VALID.replace(old, new))
    with pytest.raises(ScenarioError) as refused:
        load_scenario(bad)
    assert str(refused.value) == f"{bad}: {key}: unknown key ({hint})"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('agreement = "us-sv-2025"', "", "agreement"),
        ('placement = "reception"', "", "expect.placement"),
    ],
)
def test_a_scenario_missing_a_key_is_refused_by_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    bad = tmp_path / "999-short.toml"
    bad.write_text(VALID.replace(old, new))
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(bad))}: {re.escape(key)}: missing"):
        load_scenario(bad)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    expect = scenario["expect"]
    record = {**BASE, **scenario.get("person", {})}
    usage = _usage(scenario.get("usage", {}))
    date, agreement = scenario["date"], scenario["agreement"]

    if "error" in expect:
        # A bad record is refused before screening; a bad question is refused by both paths.
        with pytest.raises(Exception, match=expect["error"]):
            screen_population(people_from_dicts([record]), date, [agreement], dataset=dataset(), usage=usage)
        with pytest.raises(Exception, match=expect["error"]):
            explain(people_from_dicts([record]), agreement, date, dataset=dataset(), usage=usage)
        return

    person = people_from_dicts([record])

    bulk = screen_population(person, date, [agreement], dataset=dataset(), usage=usage).row(0, named=True)
    one = explain(person, agreement, date, dataset=dataset(), usage=usage)

    assert one.decision_row() == bulk, "the population and one-person paths disagree"
    assert bulk["outcome"] == expect["outcome"], one.failing
    assert (bulk["placement"] or "") == expect["placement"]
    assert sorted(bulk["rules"].split(";") if bulk["rules"] else []) == sorted(expect["rules"])
    if "clause" in expect:
        assert (one.clause_id or "") == expect["clause"]
    by_id = {r.rule_id: r for r in one.results}
    for rule_id, result in expect.get("results", {}).items():
        assert by_id[rule_id].result == Result[result.upper().replace(" ", "_")], by_id[rule_id].reason
    for r in one.results:
        assert r.reason and r.citation, f"{r.rule_id} gives no reason or no citation"


def test_scenarios_cover_every_rule() -> None:
    """Every rule of the catalogue fails (review or barred) in at least one scenario."""
    failing: set[str] = set()
    for path in SCENARIOS:
        failing.update(load_scenario(path)["expect"].get("rules", []))
    catalogue = {info.id for ruleset in dataset().rulesets.values() for info in ruleset.rules}
    clauses = {
        f"{a.id}/{c.id}" for a in dataset().agreements.values() for c in a.clauses if a.id != "us-mx-transfer-test"
    }
    untested = sorted(catalogue - failing)
    assert not untested, f"rules never failing in a scenario: {untested}"
    passing_clauses = set()
    for path in SCENARIOS:
        scenario = load_scenario(path)
        if "error" in scenario["expect"]:
            continue
        person = people_from_dicts([{**BASE, **scenario.get("person", {})}])
        one = explain(
            person, scenario["agreement"], scenario["date"], dataset=dataset(), usage=_usage(scenario.get("usage", {}))
        )
        passing_clauses.update(
            r.rule_id for r in one.results if r.rule_id in clauses and r.result != Result.NOT_APPLICABLE
        )
    assert not sorted(clauses - passing_clauses), f"clauses nobody falls under: {sorted(clauses - passing_clauses)}"


def test_bulk_and_one_person_agree_on_all_scenarios_at_once() -> None:
    """Screening all scenario people together gives each the same row as screening them alone."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i, path in enumerate(SCENARIOS):
        scenario = load_scenario(path)
        if "error" in scenario["expect"] or "usage" in scenario:
            continue
        record = {**BASE, **scenario.get("person", {}), "person_id": f"S{i}"}
        by_key.setdefault((str(scenario["date"]), scenario["agreement"]), []).append(record)
    for (date, agreement), records in by_key.items():
        people = people_from_dicts(records)
        day = pl.Series([date]).str.to_date()[0]
        together = screen_population(people, day, [agreement], dataset=dataset())
        for index, row in enumerate(together.iter_rows(named=True)):
            alone = explain(people[index], agreement, day, dataset=dataset()).decision_row()
            assert alone == row
