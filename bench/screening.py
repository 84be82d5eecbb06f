"""Benchmark: bulk screening from CSV to CSV against its I/O floor and the one-person path.

    uv run python bench/screening.py [--people 1000000] [--sample 10000] [--repeat 3] [--smoke]

Prints figures; asserts nothing about time. Targets on a 2-core machine (issues #2 and #11): the
million people x 4 agreements in <= 3 s end to end *as a process* (start-up counted), <= 2x the
I/O floor measured in the same run, and >= 100x the one-person path's rate.

The I/O floor reads the same file with the same validating reader as screening
(``read_people_encoded``) and writes the same number of decision rows with Polars, no rules. The
floor of the 2026-12-02 figures (``read_people``, then ``write_frame`` of a frame with a date
column, the writer quoting where needed) is printed beside it. Every timed figure is the best of
``--repeat`` runs, interleaved, each started after ``os.sync()``. ``--smoke`` is a size of seconds for CI; it fails (non-zero exit) when a run
errs, when the file path and the row-by-row path disagree, or when a rule id in the decisions is
missing from their catalogue.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from accord.core.population import generate_population
from accord.core.records import read_people, read_people_encoded, write_frame, write_people
from accord.core.rules.engine import Context
from accord.core.screening import (
    DECISION_COLUMNS,
    Screener,
    catalogue_path,
    default_dataset,
    screen_file,
    screen_population,
    select_agreements,
)

DATE = dt.date(2025, 3, 1)
# The process the `screen` command runs once it calls the core's file-to-file screening: the
# core's start-up and work, without the command line's own (Typer, Rich).
CORE_PROCESS = (
    "import datetime as dt, sys\n"
    "from accord.core.screening import screen_file\n"
    "screen_file(sys.argv[1], sys.argv[2], dt.date.fromisoformat(sys.argv[3]))\n"
)


def timed(action: Callable[[], object]) -> tuple[float, object]:
    # Each run starts with no write-back pending from the one before: runs that write 400 MB one
    # after another otherwise pay for each other's disk.
    os.sync()
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def skeleton(person_ids: pl.Series, agreements: list[str]) -> pl.DataFrame:
    """As many decision rows as screening writes, with the shortest values and no rules."""
    people = pl.DataFrame({"person_id": person_ids})
    return pl.concat(
        [
            people.with_columns(
                pl.lit(agreement).alias("agreement_id"),
                pl.lit(DATE.isoformat()).alias("date"),
                pl.lit("barred").alias("outcome"),
                pl.lit(None, pl.String).alias("placement"),
                pl.lit(None, pl.String).alias("rules"),
            )
            for agreement in agreements
        ]
    )


def io_floor(people_csv: Path, out: Path, agreements: list[str]) -> None:
    """Read with screening's reader (validation included), write the rows with Polars, no rules."""
    people = read_people_encoded(people_csv)
    skeleton(people.ids, agreements).write_csv(out, batch_size=65_536, quote_style="never")


def same_rows(decisions_csv: Path) -> pl.DataFrame:
    """The rows of a decisions file, ready to write as they are: the person id and the rest of
    the row as one cell (a CSV writer's cost is per cell; the bytes are the file's own)."""
    rows = pl.read_csv(decisions_csv, infer_schema=False)
    rest = rows.columns[1:]
    joined = pl.concat_str([pl.col(c).fill_null("") for c in rest], separator=",").alias(",".join(rest))
    return rows.select(rows.columns[0], joined)


def io_floor_same_bytes(people_csv: Path, out: Path, rows: pl.DataFrame) -> None:
    """The strict floor's read, then the decisions' own bytes written (prepared before the clock
    starts): what no screening can beat, for information beside the floor of record."""
    read_people_encoded(people_csv)
    rows.write_csv(out, batch_size=65_536, quote_style="never")


def io_floor_2026_12_02(people_csv: Path, out: Path, agreements: list[str]) -> None:
    """The floor of the figures of 2026-12-02, as it was: the normalized frame, a date column,
    the columns of the decisions of then, the writer quoting where needed."""
    people = read_people(people_csv)
    rows = pl.concat(
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
    write_frame(rows, out)


def bytecode() -> str:
    """Whether the processes timed load compiled bytecode or compile every module they import
    (about 0.6 s of start-up here: PYTHONDONTWRITEBYTECODE=1 and an install that compiled none)."""
    cached = Path(importlib.util.cache_from_source(pl.__file__)).exists()
    return "bytecode " + ("compiled" if cached else "NOT compiled: every process compiles its imports")


def process(args: list[str]) -> float:
    """Run a process to its end; its CPU seconds (user and system), steadier than wall time on a
    shared host."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def one_person_rate(people: pl.DataFrame, agreements: list[str], sample: int) -> tuple[float, int]:
    """Decisions a second through the explanation path, one person at a time (rules built once)."""
    dataset = default_dataset()
    screeners = [Screener(Context(dataset, dataset.agreement(a), DATE)) for a in agreements]
    rows = people.head(sample)
    started = time.perf_counter()
    for index in range(rows.height):
        screeners[index % len(screeners)].explain(rows[index])
    return rows.height / (time.perf_counter() - started), rows.height


def check(people_csv: Path, out: Path, agreements: list[str]) -> list[str]:
    """What a run must get right, whatever its speed: the file path agrees with the row-by-row
    path, and every rule id in the decisions is in their catalogue."""
    problems = []
    people = read_people(people_csv)
    written = pl.read_csv(out, schema={**dict.fromkeys(DECISION_COLUMNS, pl.String), "date": pl.Date})
    # An empty cell reads back as null; in memory, no failing rule is the empty list of ids.
    reference = screen_population(people, DATE).with_columns(pl.col("rules").replace("", None))
    if not written.equals(reference):
        problems.append("the decisions file differs from the row-by-row screening of the same people")
    if written.height != people.height * len(agreements):
        problems.append(f"{written.height} decision rows for {people.height} people x {len(agreements)} agreements")
    catalogue = pl.read_csv(catalogue_path(out), infer_schema=False)
    listed = set(catalogue.select("agreement_id", "rule_id").iter_rows())
    used = (
        written.select("agreement_id", pl.col("rules").str.split(";"))
        .explode("rules")
        .drop_nulls()
        .unique()
        .iter_rows()
    )
    missing = sorted(set(used) - listed)
    if missing:
        problems.append(f"rule ids missing from the catalogue: {missing[:5]}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for every timed figure")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that proves the benchmark still works (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.people, args.sample, args.repeat = 2_000, 50, 1
    agreements = [a.id for a in select_agreements(default_dataset(), None)]
    print(f"Accord screening benchmark: {args.people:,} people x {len(agreements)} agreements on {DATE}")
    print(f"  cores {os.cpu_count()}, polars {pl.__version__}, threads {pl.thread_pool_size()}, {bytecode()}")

    with tempfile.TemporaryDirectory() as tmp:
        people_csv, out, floor_out = Path(tmp) / "people.csv", Path(tmp) / "decisions.csv", Path(tmp) / "floor.csv"
        started = time.perf_counter()
        people = generate_population(args.people, 7)
        write_people(people, people_csv)
        print(
            f"  people CSV {people_csv.stat().st_size / 1e6:,.0f} MB (generated in {time.perf_counter() - started:.1f} s)"
        )

        screen_file(people_csv, out, DATE)
        prepared = same_rows(out)
        # Interleaved, so that a noisy neighbour slows each kind of run alike.
        floors, old_floors, same_floors, runs, clis, cores = [], [], [], [], [], []
        cli = ["-m", "accord.cli", "screen", str(people_csv), "--date", str(DATE), "--out", str(out)]
        core = ["-c", CORE_PROCESS, str(people_csv), str(out), str(DATE)]
        for _ in range(args.repeat):
            floors.append(timed(lambda: io_floor(people_csv, floor_out, agreements))[0])
            old_floors.append(timed(lambda: io_floor_2026_12_02(people_csv, floor_out, agreements))[0])
            same_floors.append(timed(lambda: io_floor_same_bytes(people_csv, floor_out, prepared))[0])
            runs.append(timed(lambda: screen_file(people_csv, out, DATE)))
            clis.append(timed(lambda: process(cli)))
            cores.append(timed(lambda: process(core)))
        floor, old_floor = min(floors), min(old_floors)
        cli_seconds, core_seconds = min(t for t, _ in clis), min(t for t, _ in cores)
        cli_cpu, core_cpu = min(float(c) for _, c in clis), min(float(c) for _, c in cores)  # type: ignore[arg-type]
        same_floor = min(same_floors)
        same_size = floor_out.stat().st_size
        screen_seconds, run = min(runs, key=lambda r: r[0])
        rows = run.rows  # type: ignore[attr-defined]
        phases = run.seconds  # type: ignore[attr-defined]
        io_floor(people_csv, floor_out, agreements)
        floor_size = floor_out.stat().st_size
        screen_file(people_csv, out, DATE)  # the file the checks read, from this very code
        size, catalogue_size = out.stat().st_size, catalogue_path(out).stat().st_size
        problems = check(people_csv, out, agreements)
        rate, sampled = one_person_rate(people, agreements, args.sample)

    bulk_rate = rows / screen_seconds
    per_million = 1_000_000 / args.people
    print(f"  decisions CSV {size / 1e6:,.0f} MB, {rows:,} rows; rule catalogue {catalogue_size / 1e3:,.0f} kB")
    print(f"  floor's CSV {floor_size / 1e6:,.0f} MB; the same-bytes floor's {same_size / 1e6:,.0f} MB")
    print()
    print(f"best of {args.repeat}, interleaved:")
    print(f"I/O floor (validated read, write {rows:,} rows, no rules)   {floor:7.3f} s")
    print(f"I/O floor as of 2026-12-02 (read_people, write_frame)     {old_floor:7.3f} s")
    print(f"I/O floor writing the decisions' own bytes (information)  {same_floor:7.3f} s")
    print(f"screening, file to file, in process (screen_file)          {screen_seconds:7.3f} s")
    print(f"  of which read {phases['read']:.3f} s, rules {phases['rules']:.3f} s, write {phases['write']:.3f} s")
    print(
        f"process: python -c screen_file (core start-up counted)     {core_seconds:7.3f} s  (CPU {core_cpu:.2f} s, least)"
    )
    print(
        f"process: python -m accord.cli screen                       {cli_seconds:7.3f} s  (CPU {cli_cpu:.2f} s, least)"
    )
    print(
        f"bulk rate                          {bulk_rate:>15,.0f} decisions/s ({args.people / screen_seconds:,.0f} people/s)"
    )
    print(f"ratio in process / I/O floor       {screen_seconds / floor:15.2f}x")
    print(f"ratio core process / I/O floor     {core_seconds / floor:15.2f}x   (target <= 2)")
    print(f"ratio accord screen / I/O floor    {cli_seconds / floor:15.2f}x   (target <= 2)")
    print(f"ratio accord screen / same bytes   {cli_seconds / same_floor:15.2f}x   (information)")
    print(f"one-person path, {sampled:,} decisions   {rate:>15,.0f} decisions/s")
    print(f"speed-up bulk / one-person         {bulk_rate / rate:15,.0f}x  (target >= 100)")
    if args.people >= 100_000:  # start-up does not scale: a smaller run says little of a million
        print(f"million people, core process       {core_seconds * per_million:14.3f} s  (target <= 3)")
        print(f"million people, accord screen      {cli_seconds * per_million:14.3f} s  (target <= 3)")
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
