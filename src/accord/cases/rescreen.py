"""Screening every open case again after the rules or the data changed (``accord rescreen``).

Each case is screened in a transaction of its own, under the usual locks, and treated as an edit
would treat it: a case that no longer stands is returned (blocked, back to legal review, or its
referral void) with its place given back; otherwise its new screening is kept. The report says
how many changed, in which direction, and by which rules.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from accord.cases.changes import lock
from accord.cases.models import Case, State
from accord.cases.returns import review_case
from accord.cases.standing import Verdict
from accord.core.version import rules_version
from accord.core.workflow import NOT_YET_MOVED

# Open and not yet moved: a handed-over or closed case is history, and is left as it was screened.
OPEN = (*NOT_YET_MOVED, State.ON_HOLD, State.BLOCKED)


@dataclass
class RescreenReport:
    screened: int = 0
    changed: int = 0
    directions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (outcome before, after)
    newly_failing: Counter[str] = field(default_factory=Counter)
    no_longer_failing: Counter[str] = field(default_factory=Counter)
    returned: Counter[str] = field(default_factory=Counter)  # by the state returned to
    places_given_back: int = 0


def rescreen_open_cases(
    *, day: dt.date | None = None, progress: Callable[[int, int], None] | None = None
) -> RescreenReport:
    report = RescreenReport()
    ids = list(Case.objects.filter(state__in=OPEN).order_by("pk").values_list("pk", flat=True))
    why = f"screened again under rules {rules_version()}"
    for done, case_id in enumerate(ids, start=1):
        with transaction.atomic():
            case = lock(case_id)
            if case.state not in OPEN:  # moved on since the list was read
                continue
            before = (case.outcome, set(filter(None, case.failing_rules.split(";"))), case.state)
            held = case.reservations.filter(status__in=("waiting", "held")).count()
            verdict = review_case(case, actor=None, reason=why, day=day)
            _count(report, case, before, verdict, held)
        if progress:
            progress(done, len(ids))
    return report


def _count(
    report: RescreenReport,
    case: Case,
    before: tuple[str, set[str], str],
    verdict: Verdict | None,
    held: int,
) -> None:
    outcome, failing, state = before
    now = set(filter(None, case.failing_rules.split(";")))
    report.screened += 1
    if (outcome, failing, state) == (case.outcome, now, case.state):
        return
    report.changed += 1
    report.directions[outcome, case.outcome] += 1
    report.newly_failing.update(now - failing)
    report.no_longer_failing.update(failing - now)
    if verdict is not None:
        report.returned[verdict.target.value] += 1
        report.places_given_back += held
