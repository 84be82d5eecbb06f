"""One-off measurement (not collected: run it by path): the 200-acceptance race beside a CPU
load, counting "database is locked" failures, busy retries, and the wall and CPU time each
acceptance spends inside its write transaction (from its first lock to its commit)."""

from __future__ import annotations

import logging
import statistics
import threading
import time

import pytest
from django.db import transaction

from accord.accounts.models import User
from accord.cases import steps as case_steps
from tests.cpu_load import busy_cores

from .test_concurrency import (
    CECOT_CAPACITY,
    FREE_PLACES,
    RACERS,
    felons,
    fill_cecot,
    race,
    referred_cases,
    simultaneous,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.serial]


def test_measure(users: dict[str, User], facilities: None, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = referred_cases(felons("RACE", RACERS), users)
    fill_cecot(CECOT_CAPACITY - FREE_PLACES, users["officer"])
    inside: list[tuple[float, float]] = []
    guard = threading.Lock()
    begin = case_steps._begin

    def timed_begin(*args, **kwargs):  # type: ignore[no-untyped-def]
        wall, cpu = time.perf_counter(), time.thread_time()

        def done() -> None:
            with guard:
                inside.append((time.perf_counter() - wall, time.thread_time() - cpu))

        transaction.on_commit(done)
        return begin(*args, **kwargs)

    monkeypatch.setattr(case_steps, "_begin", timed_begin)
    retries: list[str] = []

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            retries.append(record.getMessage())

    logging.getLogger("accord.busy").addHandler(Count())
    logging.getLogger("accord.busy").setLevel(logging.INFO)
    jobs = [lambda pk=pk: case_steps.accept(pk, user=users["salvador"]) for pk in cases]
    start = time.perf_counter()
    with busy_cores():
        results, failures = race(jobs, simultaneous())
    took = time.perf_counter() - start
    locked = sum("locked" in str(f) for f in failures)
    accepted = sum(c.state == "accepted" for c in results)
    walls, cpus = [w * 1000 for w, _ in inside], [c * 1000 for _, c in inside]
    print(
        f"\nMEASURE racers={RACERS} ok={len(results)} accepted={accepted} failures={len(failures)} "
        f"locked={locked} retries={len(retries)} total={took:.1f}s "
        f"in-transaction wall median={statistics.median(walls):.1f} ms p90={statistics.quantiles(walls, n=10)[-1]:.1f} ms "
        f"cpu median={statistics.median(cpus):.1f} ms mean={statistics.mean(cpus):.1f} ms (n={len(inside)})"
    )
