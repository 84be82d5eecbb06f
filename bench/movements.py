"""Benchmark: validating a movement's manifest through the bulk path, beside one-person screenings.

    uv run python bench/movements.py [--people 200] [--repeat 5] [--smoke]

Both halves screen the same synthetic people (``core.population``) against us-sv-2025 on the same
departure day, in the same run: the manifest's way (ONE ``screen_population`` call over the whole
manifest, then ``core.movements.validate``) and the one-person way a step takes (``explain`` once
per person, each with the screener already built). Pure core: no database, so the figures are the
screening's, not the ORM's (the use case adds one query per table it reads, whatever the size).
Prints both, best of ``--repeat``, and the ratio; targets: >= 20x, and under 0.3 s for the manifest.
``--smoke`` (CI) runs a tiny size and fails only when the two paths disagree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time

import polars as pl

from accord.core import movements as core
from accord.core.population import generate_population
from accord.core.rules.engine import Context, Usage
from accord.core.screening import RULE_SEPARATOR, default_dataset, explain, screen_population, screener_for

AGREEMENT = "us-sv-2025"
DAY = dt.date(2025, 3, 15)


def facts(people: pl.DataFrame) -> list[core.EntryFacts]:
    return [
        core.EntryFacts(
            person_id=pid,
            case_id=i,
            case_receiving_state="SV",
            accepted=True,
            clause_id="third-country-criminals",
            placement="prison",
            place_held=True,
            on_hold=False,
            record_changed=(),
            acknowledged_reviews=frozenset(),
            travel_document="accepted",
            travel_document_state="SV",
            fit_to_travel_on=DAY,
        )
        for i, pid in enumerate(people["person_id"].to_list())
    ]


def bulk(people: pl.DataFrame, entries: list[core.EntryFacts]) -> list[core.Problem]:
    rows = screen_population(people, DAY, [AGREEMENT])
    decisions = core.decisions_by_person(rows.iter_rows(named=True), RULE_SEPARATOR)
    movement = core.MovementFacts("SV", DAY, seats=len(entries), escorts=len(entries))
    return core.validate(movement, entries, decisions)


def one_by_one(people: pl.DataFrame) -> list[str]:
    return [explain(people[i : i + 1], AGREEMENT, DAY).outcome for i in range(people.height)]


def best(run: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="a tiny run that proves the benchmark still works (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.people, args.repeat = 10, 1
    people = generate_population(args.people, seed=12)
    entries = facts(people)
    dataset = default_dataset()
    screener_for(Context(dataset, dataset.transfer_agreement(AGREEMENT), DAY, Usage()))  # both warm
    bulk(people, entries)
    # The two paths must agree person by person, or the figures compare different work.
    rows = screen_population(people, DAY, [AGREEMENT])
    if rows["outcome"].to_list() != one_by_one(people):
        print("error: the bulk and one-person screenings disagree", file=sys.stderr)
        sys.exit(1)
    manifest = best(lambda: bulk(people, entries), args.repeat)
    single = best(lambda: one_by_one(people), args.repeat)
    print(f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}, {dt.date.today()}")
    print(f"manifest of {args.people}, one bulk screening + validate   {manifest:9.4f} s   (target < 0.3 s)")
    print(f"{args.people} one-person screenings (explain)        {single:9.4f} s")
    print(f"ratio one-person / bulk                          {single / manifest:9.1f}x   (target >= 20x)")


if __name__ == "__main__":
    main()
