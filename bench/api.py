"""Benchmark: the API at national scale on PostgreSQL, against the same server's health endpoint.

    uv run python bench/api.py [--people 1000000] [--cases 100000] [--seconds 15] [--rounds 5] [--clients 20]

Seeds a benchmark database (``accord_bench`` on the local PostgreSQL, re-created) with generated
people and cases through COPY, starts gunicorn on 127.0.0.1, and drives it with concurrent
clients over loopback: case reads, filtered case-list pages and one-record screenings, each beside
the health endpoint (the framework floor) measured in the same run: each scenario's seconds are
split into turns taken in rotation with the floor's, and each ratio is the median of the ratios to
the floor of the same turn (a floor measured once, before, swung 600-1,000 req/s with the load
beside it, more than the changes measured). Prints figures; asserts nothing. The clients share
the machine's cores with the server, so every figure is a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import psycopg
from serving import bench_port, start_gunicorn

REPO = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("ACCORD_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Engineers sharing a machine give each run its own database and port.
DB_NAME = os.environ.get("ACCORD_BENCH_DB", "accord_bench")
PORT = bench_port()  # any free port, or ACCORD_BENCH_PORT (bench/serving.py)
AGREEMENTS = ["us-sv-2025", "us-ve-2025", "us-mx-chnv", "pa-co-2025"]


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME


def env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "accord.web.settings"}


def recreate_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    migrate()


def migrate() -> None:
    """Bring the database to this code's schema (a reused one may be a migration behind)."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env(), check=True)


def _copy(conn: psycopg.Connection, table: str, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="\\N", quote_style="necessary")
    columns = ", ".join(frame.columns)
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
        copy.write(buffer.getvalue())


def seed(people_count: int, case_count: int) -> None:
    from accord.core.population import generate_population
    from accord.core.screening import screen_population

    people = generate_population(people_count, 42)
    now = dt.datetime.now(dt.UTC)
    # Country codes need no escaping: a JSON array of them is plain string concatenation.
    as_json = [
        pl.concat_str(
            pl.lit("["), pl.col(c).list.eval(pl.lit('"') + pl.element() + pl.lit('"')).list.join(","), pl.lit("]")
        ).alias(c)
        for c in ("nationalities", "protection_countries", "fear_screened", "fear_found")
    ]
    # The search key of people.models.name_key, computed for a million names at once.
    key = (
        pl.col("family_name").str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.to_uppercase().str.strip_chars()
    )
    rows = people.with_columns(*as_json, key.alias("name_key")).with_columns(
        pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at"), pl.int_range(1, people.height + 1).alias("id")
    )
    nationalities = people.select(pl.int_range(1, people.height + 1).alias("person_id"), "nationalities").explode(
        "nationalities"
    )
    with psycopg.connect(database_url()) as conn:
        conn.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, role, receiving_state) "
            "VALUES ('!', false, 'bench', '', '', '', false, true, now(), 'case_officer', '')"
        )
        _copy(conn, "people_person", rows)
        _copy(conn, "people_nationality", nationalities.rename({"nationalities": "code"}))
        chosen = people.sample(case_count, seed=1).with_columns(
            (pl.int_range(pl.len()) % len(AGREEMENTS)).alias("part")
        )
        parts = chosen.partition_by("part", maintain_order=True, include_key=False)
        decisions = pl.concat(
            [screen_population(part, dt.date(2025, 3, 1), [a]) for a, part in zip(AGREEMENTS, parts, strict=True)]
        )
        ids = people.select("person_id", pl.int_range(1, people.height + 1).alias("pk"))
        cases = decisions.join(ids, on="person_id").select(
            pl.col("pk").alias("person_id"),
            "agreement_id",
            pl.col("agreement_id")
            .replace_strict({"us-sv-2025": "SV", "us-ve-2025": "VE", "us-mx-chnv": "MX", "pa-co-2025": "CO"})
            .alias("receiving_state"),
            pl.lit("screened").alias("state"),
            "outcome",
            pl.col("placement").fill_null(""),
            pl.lit("").alias("clause_id"),
            pl.col("rules").fill_null("").alias("failing_rules"),
            pl.lit("[]").alias("explanation"),
            pl.col("date").alias("screened_on"),
            pl.lit(now).alias("screened_at"),
            pl.lit("bench").alias("data_version"),
            pl.lit("bench").alias("rules_version"),
            *(pl.lit("").alias(c) for c in ("acknowledged_reviews", "approval_reason", "held_from", "state_reason")),
            pl.lit(1).alias("created_by_id"),
            (pl.lit(now) - pl.duration(seconds=pl.int_range(0, pl.len()))).alias("created_at"),
        )
        _copy(conn, "cases_case", cases)
    # The steady state of a live database, where autovacuum has run: statistics for the planner
    # and a visibility map, without which an index-only scan reads every row's page as well.
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def start_server(workers: int) -> subprocess.Popen[bytes]:
    return start_gunicorn(PORT, workers, env(), REPO)


def token() -> str:
    code = "from accord.accounts.models import ApiToken, User; print(ApiToken.issue(User.objects.get(username='bench'), 'bench')[1])"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO,
        env=env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


async def drive(
    request: Callable[[httpx.AsyncClient], object], clients: int, seconds: float, headers: dict[str, str]
) -> tuple[list[float], int, float]:
    """``clients`` concurrent clients sending ``request`` for ``seconds``: the latencies, the
    failures (status >= 400), the time taken."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", headers=headers, timeout=30) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await request(http)  # type: ignore[misc]
                latencies.append(time.perf_counter() - started)
                failures += response.status_code >= 400

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, failures, time.perf_counter() - started


def interleaved(
    scenarios: list[tuple[str, Callable[[httpx.AsyncClient], object]]],
    clients: int,
    seconds: float,
    rounds: int,
    headers: dict[str, str],
) -> list[dict[str, Any]]:
    """Every scenario ``seconds`` in all, in ``rounds`` turns one after the other, the floor (the
    first scenario) in every turn: each ratio is taken against the floor of its own turn, so a
    machine whose load changes during the run moves both sides of it. A scenario's ratio is the
    median of its turns'."""
    runs: dict[str, dict[str, Any]] = {name: {"latencies": [], "failures": 0, "rps": []} for name, _ in scenarios}
    for _ in range(rounds):
        for name, call in scenarios:
            latencies, failures, elapsed = asyncio.run(drive(call, clients, seconds / rounds, headers))
            runs[name]["latencies"] += latencies
            runs[name]["failures"] += failures
            runs[name]["rps"].append(len(latencies) / elapsed)
    floor = runs[scenarios[0][0]]["rps"]
    results = []
    for name, run in runs.items():
        latencies = sorted(run["latencies"])
        ratios = [rps / turn for rps, turn in zip(run["rps"], floor, strict=True)]
        results.append(
            {
                "name": name,
                "rps": statistics.median(run["rps"]),
                "p50": statistics.median(latencies) * 1000,
                "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
                "ratio": statistics.median(ratios),
                "low": min(ratios),
                "high": max(ratios),
                "failures": run["failures"],
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="turns each scenario's seconds are split into")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database of an earlier run")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that proves the benchmark still works (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.people, args.cases, args.seconds, args.clients, args.workers, args.rounds = 2_000, 200, 1.0, 4, 1, 2
    os.environ.update(env())
    if not args.reuse:
        started = time.perf_counter()
        recreate_database()
        seed(args.people, args.cases)
        print(f"seeded {args.people:,} people and {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
    else:
        migrate()
    server = start_server(args.workers)
    try:
        headers = {"Authorization": f"Bearer {token()}"}
        rng = random.Random(7)
        record = {  # format v2: every key, "none" and 0 written out, "" for what is unknown
            "family_name": "Bench",
            "given_names": "Mark",
            "date_of_birth": "1990-01-01",
            "sex": "M",
            "nationalities": "VE",
            "sending_state": "US",
            "status": "undocumented",
            "removal_order": "final",
            "protection": "none",
            "protection_countries": "none",
            "fear_screened": "SV",
            "fear_found": "none",
            "legal_hold": "false",
            "conviction": "felony",
            "pending_charges": "false",
            "sentence_remaining_months": "0",
            "gang": "none",
            "gang_basis": "none",
            "transfer_consent": "false",
        }
        scenarios = [
            ("health (floor)", lambda h: h.get("/healthz")),
            ("case read", lambda h: h.get(f"/api/v1/cases/{rng.randint(1, args.cases)}")),
            (
                "filtered case list",
                lambda h: h.get(
                    "/api/v1/cases",
                    params={
                        "agreement_id": rng.choice(AGREEMENTS),
                        "outcome": rng.choice(["eligible", "review", "barred"]),
                        "nationality": rng.choice(["VE", "SV", "MX", "HN", "GT"]),
                        "limit": 50,
                    },
                ),
            ),
            (
                "screen one record",
                lambda h: h.post(
                    "/api/v1/screen", json={"record": record, "agreement_id": "us-sv-2025", "date": "2025-03-01"}
                ),
            ),
        ]
        # Warm every worker (imports, connections, the rules' first build) before measuring.
        for _name, call in scenarios:
            asyncio.run(drive(call, args.clients, 2, headers))
        results = interleaved(scenarios, args.clients, args.seconds, args.rounds, headers)
    finally:
        server.terminate()
        server.wait()
    print(
        f"\n{args.clients} clients, {args.workers} gunicorn workers x 4 threads, {args.seconds:.0f} s each in "
        f"{args.rounds} turns, PostgreSQL, {args.people:,} people / {args.cases:,} cases"
    )
    print(f"{'scenario':<22}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'vs floor':>10}{'turns':>14}{'errors':>8}")
    for r in results:
        print(
            f"{r['name']:<22}{r['rps']:>8.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['ratio']:>9.2f}x"
            f"{r['low']:>8.2f}-{r['high']:.2f}x{int(r['failures']):>8}"
        )
    if any(r["failures"] for r in results):
        raise SystemExit("requests failed: the benchmark measured errors, not the API")


if __name__ == "__main__":
    main()
