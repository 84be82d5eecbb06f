"""Screeners are reused only for the same question: same data, agreement, date and usage. Within
one, the rules that do not read the usage are bound once per data, agreement and date; a reused
screener decides exactly as one bound afresh."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl

from accord.core import screening
from accord.core.dataset import DATA_DIR, load_dataset
from accord.core.records import people_from_dicts
from accord.core.rules.engine import Context, FacilityUsage, Result, Usage
from accord.core.screening import Screener, default_dataset, explain, screener_for
from tests.core.test_records import person


def test_the_same_question_reuses_the_built_rules_and_any_change_builds_anew() -> None:
    data = default_dataset()
    sv, ve = data.agreement("us-sv-2025"), data.agreement("us-ve-2025")
    day = dt.date(2025, 3, 1)
    first = screener_for(Context(data, sv, day, Usage()))
    assert screener_for(Context(data, sv, day, Usage())) is first
    full = Usage({"cecot": FacilityUsage(occupied=40_000)})
    for other in (
        Context(data, ve, day, Usage()),
        Context(data, sv, day + dt.timedelta(days=1), Usage()),
        Context(data, sv, day, full),
    ):
        assert screener_for(other) is not first
    capacity = next(r for r in screener_for(Context(data, sv, day, full)).rules if r.id == "capacity")
    assert any("is full" in str(b.reason) for b in capacity.branches)


# --- what is bound once per agreement, date and data, and what is bound for each usage -----------

PERSON = person("R1", family_name="Reuse", given_names="Test", date_of_birth="1990-01-01", fear_screened="SV")
USAGES = [
    Usage(),
    Usage({"cecot": FacilityUsage(occupied=39_990, reserved=9)}),  # one place left
    Usage({"cecot": FacilityUsage(occupied=39_990, reserved=10)}),  # full
    Usage({"cecot": FacilityUsage(suspended=True)}),
    Usage({"cecot": FacilityUsage(occupied=5, capacity=5)}),  # a wing closed: full at five
    Usage(quota_used={("us-mx-chnv", "quota", "2025-03"): 30_000}),
]


def _person(**changes: str) -> pl.DataFrame:
    return people_from_dicts([{**PERSON, **changes}])


def test_only_the_rules_that_read_the_usage_are_bound_for_each_usage() -> None:
    data = default_dataset()
    day = dt.date(2025, 3, 1)
    found = {}
    for agreement in data.transfer_agreements():
        question = screening._question(Context(data, agreement, day, Usage()))
        found[agreement.id] = {question.rules[i].id for i in question.reads_usage}
    assert found["us-sv-2025"] == {"capacity", "facility/suspended"}
    assert found["us-mx-chnv"] == {"quota"}


def test_a_reused_screener_decides_exactly_as_one_bound_afresh_for_every_usage_and_date() -> None:
    data = default_dataset()
    people = [
        _person(),
        _person(nationalities="SV"),
        _person(conviction="none"),
        _person(nationalities="MX", status="parolee"),
    ]
    for day in (dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2026, 12, 2)):
        for agreement_id in ("us-sv-2025", "us-mx-chnv", "us-ve-2025"):
            for usage in USAGES:
                ctx = Context(data, data.transfer_agreement(agreement_id), day, usage)
                reused, fresh = screener_for(ctx), Screener(ctx, reuse=False)
                for one in people:
                    assert reused.explain(one) == fresh.explain(one), (day, agreement_id, usage)


def test_a_changed_usage_is_never_served_the_decision_of_the_old_one() -> None:
    data = default_dataset()
    sv, day = data.agreement("us-sv-2025"), dt.date(2025, 3, 1)
    free = explain(_person(), "us-sv-2025", day, usage=USAGES[1])
    full = explain(_person(), "us-sv-2025", day, usage=USAGES[2])
    capacity = {r.rule_id: r for r in free.results}["capacity"], {r.rule_id: r for r in full.results}["capacity"]
    assert capacity[0].result == Result.PASS and "1 places free" in capacity[0].reason
    assert capacity[1].result == Result.REVIEW and "is full" in capacity[1].reason
    assert screener_for(Context(data, sv, day, USAGES[1])) is not screener_for(Context(data, sv, day, USAGES[2]))
    suspended = explain(_person(), "us-sv-2025", day, usage=USAGES[3])
    assert suspended.outcome == "barred" and "facility/suspended" in {r.rule_id for r in suspended.failing}


def test_a_changed_record_or_date_is_screened_again() -> None:
    day = dt.date(2025, 3, 1)
    before = explain(_person(), "us-sv-2025", day)
    assert explain(_person(nationalities="SV"), "us-sv-2025", day).results != before.results
    protected = explain(_person(protection="asylum_granted", protection_countries="SV"), "us-sv-2025", day)
    assert protected.outcome == "barred" and before.outcome != "barred"
    minor = {"date_of_birth": "2008-03-02"}  # 17 on 1 March 2026, 18 on 2 March
    assert explain(_person(**minor), "us-sv-2025", dt.date(2026, 3, 1)) != explain(
        _person(**minor), "us-sv-2025", dt.date(2026, 3, 2)
    )


def test_changed_data_is_never_served_rules_bound_for_the_old_data(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    law = copy / "law" / "general.toml"
    law.write_text(
        law.read_text().replace("[parameters.adult_age]\nvalue = 18", "[parameters.adult_age]\nvalue = 40", 1)
    )
    older = load_dataset(copy)
    assert older.version != default_dataset().version
    day = dt.date(2025, 3, 1)
    today = explain(_person(), "us-sv-2025", day)
    changed = explain(_person(), "us-sv-2025", day, dataset=older)  # 35 years old: a child under this data
    assert changed.data_version == older.version and today.data_version == default_dataset().version
    assert changed.results != today.results
