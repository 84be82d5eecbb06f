"""Golden scenarios: each file under tests/golden/scenarios is a person, a date, an agreement and
the decision the law requires. Both screening paths must give it."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from accord.core.dataset import Dataset, load_dataset
from accord.core.records import people_from_dicts
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


def _load(path: Path) -> dict[str, Any]:
    scenario = tomllib.loads(path.read_text())
    missing = {"description", "source", "date", "agreement", "expect"} - scenario.keys()
    assert not missing, f"{path.name}: missing keys {sorted(missing)}"
    return scenario


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 60


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = _load(path)
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
        failing.update(_load(path)["expect"].get("rules", []))
    catalogue = {info.id for ruleset in dataset().rulesets.values() for info in ruleset.rules}
    clauses = {
        f"{a.id}/{c.id}" for a in dataset().agreements.values() for c in a.clauses if a.id != "us-mx-transfer-test"
    }
    untested = sorted(catalogue - failing)
    assert not untested, f"rules never failing in a scenario: {untested}"
    passing_clauses = set()
    for path in SCENARIOS:
        scenario = _load(path)
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
        scenario = _load(path)
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
