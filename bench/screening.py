"""Benchmark: bulk screening from CSV to CSV against its I/O floor and the one-person path.

    uv run python bench/screening.py [--people 1000000] [--sample 10000]

Prints figures; asserts nothing. Targets on a 2-core machine (issue #2): the million in <= 3 s end
to end, <= 2x the I/O floor, and >= 100x the one-person path's rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from accord.core.population import generate_population
from accord.core.records import read_people, write_frame, write_people
from accord.core.rules.engine import Context
from accord.core.screening import Screener, default_dataset, screen_population, select_agreements

DATE = dt.date(2025, 3, 1)


def timed(label: str, action, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action(*args)
    seconds = time.perf_counter() - started
    print(f"  {label:<44} {seconds:8.3f} s")
    return result, seconds


def io_floor(people_csv: Path, out: Path, agreements: list[str]) -> float:
    """Read the same file with the same reader and write the same number of decision rows, no rules."""
    started = time.perf_counter()
    people = read_people(people_csv)
    skeleton = pl.concat(
        [
            people.select(
                "person_id",
                pl.lit(agreement).alias("agreement_id"),
                pl.lit(DATE).alias("date"),
                pl.lit("eligible").alias("outcome"),
                pl.lit("reception").alias("placement"),
                pl.lit("").alias("rules"),
                pl.lit("").alias("citations"),
            )
            for agreement in agreements
        ]
    )
    write_frame(skeleton, out)
    return time.perf_counter() - started


def end_to_end(people_csv: Path, out: Path) -> tuple[float, int, tuple[float, float, float]]:
    """The whole run, and its three phases: read (with validation), rules, write."""
    started = time.perf_counter()
    people = read_people(people_csv)
    read = time.perf_counter()
    decisions = screen_population(people, DATE)
    ruled = time.perf_counter()
    write_frame(decisions, out)
    done = time.perf_counter()
    return done - started, decisions.height, (read - started, ruled - read, done - ruled)


def one_person_rate(people: pl.DataFrame, agreements: list[str], sample: int) -> tuple[float, int]:
    """Decisions a second through the explanation path, one person at a time (rules built once)."""
    dataset = default_dataset()
    screeners = [Screener(Context(dataset, dataset.agreement(a), DATE)) for a in agreements]
    rows = people.head(sample)
    started = time.perf_counter()
    for index in range(rows.height):
        screeners[index % len(screeners)].explain(rows[index])
    return rows.height / (time.perf_counter() - started), rows.height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the timed runs")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that proves the benchmark still works (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.people, args.sample, args.repeat = 2_000, 50, 1
    agreements = [a.id for a in select_agreements(default_dataset(), None)]
    print(f"Accord screening benchmark: {args.people:,} people x {len(agreements)} agreements on {DATE}")
    print(f"  cores {os.cpu_count()}, polars {pl.__version__}, threads {pl.thread_pool_size()}")

    with tempfile.TemporaryDirectory() as tmp:
        people_csv, out = Path(tmp) / "people.csv", Path(tmp) / "decisions.csv"
        people, _ = timed("generate population", generate_population, args.people, 7)
        timed("write people CSV", write_people, people, people_csv)
        print(f"  people CSV {people_csv.stat().st_size / 1e6:,.0f} MB")

        floors = [io_floor(people_csv, out, agreements) for _ in range(args.repeat)]
        runs = [end_to_end(people_csv, out) for _ in range(args.repeat)]
        floor, (screen, rows, phases) = min(floors), min(runs)
        print(f"  decisions CSV {out.stat().st_size / 1e6:,.0f} MB, {rows:,} rows")

        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "accord.cli", "screen", str(people_csv), "--date", str(DATE), "--out", str(out)],
            check=True,
            capture_output=True,
        )
        cli = time.perf_counter() - started

        rate, sampled = one_person_rate(people, agreements, args.sample)

    bulk_rate = rows / screen
    print()
    print(f"I/O floor (read people, write {rows:,} rows, no rules)  {floor:7.3f} s  (best of {args.repeat})")
    print(f"screening end to end, CSV to CSV                    {screen:7.3f} s  (best of {args.repeat})")
    print(f"  of which read {phases[0]:.3f} s, rules {phases[1]:.3f} s, write {phases[2]:.3f} s")
    print(f"`accord screen` command, process start to exit      {cli:7.3f} s")
    print(
        f"bulk rate                                {bulk_rate:>15,.0f} decisions/s ({args.people / screen:,.0f} people/s)"
    )
    print(f"ratio screening / I/O floor              {screen / floor:15.2f}x   (target <= 2)")
    print(f"one-person path, {sampled:,} decisions        {rate:>15,.0f} decisions/s")
    print(f"speed-up bulk / one-person               {bulk_rate / rate:15,.0f}x  (target >= 100)")
    print(f"million people end to end                {screen * 1_000_000 / args.people:14.3f} s  (target <= 3)")


if __name__ == "__main__":
    main()
