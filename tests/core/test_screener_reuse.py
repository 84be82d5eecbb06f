"""Screeners are reused only for the same question: same data, agreement, date and usage."""

from __future__ import annotations

import datetime as dt

from accord.core.rules.engine import Context, FacilityUsage, Usage
from accord.core.screening import default_dataset, screener_for


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
