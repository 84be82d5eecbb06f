"""Benchmark: workflow steps over the API on PostgreSQL, and verifying a 1,000,000-event audit log.

    uv run python bench/workflow.py [--cases 4000] [--clients 20] [--rounds 5] [--events 1000000]

1. Steps: re-creates a database ``accord_bench_workflow``, seeds screened cases (people who are
   eligible for a CECOT place under us-sv-2025), starts gunicorn and lets 20 concurrent clients
   walk disjoint cases through submit → approve → refer → accept, each step by the role that owns
   it (four eyes hold: the approver is not the officer). Every step locks, re-screens the person
   on the day, reserves a place and appends audit events. The health endpoint is the floor,
   measured in turns with the steps (``--rounds``: a share of the cases after each few seconds
   of the floor), each turn's step rate set against its own floor. At the end the audit chain
   the run wrote is verified.
2. Verify: appends ``--events`` chained events to the same database through COPY and times
   ``accord.audit.selectors.verify_chain`` against the time to merely read the same rows with
   the same cursor (the I/O floor).

Prints figures; asserts nothing. The clients share the 2 cores with the server and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from serving import bench_port, start_gunicorn

REPO = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("ACCORD_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Engineers sharing a machine give each run its own database and port.
DB_NAME = os.environ.get("ACCORD_BENCH_DB", "accord_bench_workflow")
PORT = bench_port()  # any free port, or ACCORD_BENCH_PORT (bench/serving.py)
STEPS = [("submit", "officer"), ("approve", "reviewer"), ("refer", "officer"), ("accept", "salvador")]


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME


def env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "accord.web.settings"}


def recreate_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env(), check=True)


def django_setup() -> None:
    os.environ.update(env())
    import django

    django.setup()


def seed_cases(count: int) -> dict[str, str]:
    """Users with tokens, facilities, and ``count`` screened cases opened the normal way."""
    from accord.accounts.models import ApiToken, Role, User
    from accord.cases.services import open_case
    from accord.core.records import people_from_dicts
    from accord.core.screening import default_dataset
    from accord.facilities.services import sync_from_data
    from accord.people.models import Person
    from accord.people.services import import_people

    sync_from_data(default_dataset())
    users = {
        "officer": User.objects.create_user(username="officer", role=Role.CASE_OFFICER),
        "reviewer": User.objects.create_user(username="reviewer", role=Role.LEGAL_REVIEWER),
        "salvador": User.objects.create_user(username="salvador", role=Role.RECEIVING_OFFICER, receiving_state="SV"),
    }
    cells = {
        "date_of_birth": "1990-01-01",
        "sex": "M",
        "nationalities": "VE",
        "sending_state": "US",
        "status": "undocumented",
        "removal_order": "final",
        "protection": "none",
        "protection_countries": "none",
        "fear_screened": "SV",  # notified and screened for El Salvador: a third country for a Venezuelan
        "fear_found": "none",
        "legal_hold": "false",
        "conviction": "felony",
        "pending_charges": "false",
        "sentence_remaining_months": "0",
        "gang": "none",
        "gang_basis": "none",
        "transfer_consent": "false",
    }
    rows = [
        {**cells, "person_id": f"B{i:06d}", "family_name": f"Bench{i}", "given_names": "Case"} for i in range(count)
    ]
    import_people(people_from_dicts(rows), user=users["officer"], reason="benchmark")
    for person in Person.objects.order_by("pk"):
        open_case(person, "us-sv-2025", user=users["officer"])
    return {name: ApiToken.issue(user, "bench")[1] for name, user in users.items()}


def start_server(workers: int) -> subprocess.Popen[bytes]:
    return start_gunicorn(PORT, workers, env(), REPO)


async def walk_cases(case_ids: list[int], clients: int, tokens: dict[str, str]) -> dict[str, Any]:
    """Each client walks its own share of cases through every step; returns latencies by step."""
    latencies: dict[str, list[float]] = {step: [] for step, _ in STEPS}
    failures: list[str] = []

    async def client(share: list[int]) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}/api/v1", timeout=60) as http:
            for case_id in share:
                for step, role in STEPS:
                    body = {"step": step, "reason": "benchmark: third-country notice served"}
                    if step == "approve":  # a prison placement abroad: the receiving state's legal basis
                        body |= {"basis_kind": "court_order", "basis_reference": "benchmark order"}
                    started = time.perf_counter()
                    response = await http.post(
                        f"/cases/{case_id}/steps", json=body, headers={"Authorization": f"Bearer {tokens[role]}"}
                    )
                    latencies[step].append(time.perf_counter() - started)
                    if response.status_code != 200:
                        failures.append(f"case {case_id} {step}: {response.status_code} {response.text[:200]}")
                        break

    started = time.perf_counter()
    await asyncio.gather(*(client(case_ids[i::clients]) for i in range(clients)))
    return {"elapsed": time.perf_counter() - started, "latencies": latencies, "failures": failures}


async def health(clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await http.get("/healthz")
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return {"rps": len(latencies) / (time.perf_counter() - started), **percentiles(latencies)}


def percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50": statistics.median(ordered) * 1000, "p99": ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000}


def append_events(count: int) -> float:
    """Append ``count`` correctly chained events after the current head, through COPY."""
    from accord.audit.models import AuditHead
    from accord.core.audit import GENESIS, canonical, event_hash

    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first() or (0, GENESIS)
    seq, previous = head
    started = time.perf_counter()
    at = dt.datetime.now(dt.UTC)
    buffer = io.StringIO()
    for n in range(count):
        seq += 1
        body = canonical({"before": {"state": "screened"}, "after": {"state": "legal_review"}, "reason": f"bench {n}"})
        fields = [seq, (at + dt.timedelta(microseconds=n)).isoformat(), "officer", "case_officer", "case.submit"]
        fields += ["case", str(n % 100_000 + 1), body, previous]
        previous = event_hash(fields)
        buffer.write("\t".join(_copy_text(v) for v in [*fields, previous]) + "\n")
    columns = "seq, at, actor, actor_role, action, object_type, object_id, body, prev_hash, hash"
    with psycopg.connect(database_url()) as conn:
        with conn.cursor().copy(f"COPY audit_event ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        conn.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (seq, previous))
        conn.execute("ANALYZE audit_event")
    return time.perf_counter() - started


def _copy_text(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def time_verify() -> tuple[float, float, Any]:
    """(seconds to read every row, seconds to verify the chain, the verification)."""
    from django.db import connection

    from accord.audit.selectors import stored_rows, verify_chain

    connection.close()
    started = time.perf_counter()
    rows = sum(1 for _ in stored_rows())
    read = time.perf_counter() - started
    started = time.perf_counter()
    result = verify_chain()
    verify = time.perf_counter() - started
    assert rows == result.checked or not result.ok
    return read, verify, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=4_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5, help="turns of floor then steps")
    parser.add_argument("--floor-seconds", type=float, default=3.0, help="the floor's seconds in each turn")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that proves the benchmark still works (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.clients, args.workers, args.events, args.rounds, args.floor_seconds = 40, 4, 1, 5_000, 2, 1.0
    started = time.perf_counter()
    recreate_database()
    django_setup()
    tokens = seed_cases(args.cases)
    from accord.cases.models import Case

    case_ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    print(f"seeded {len(case_ids):,} screened cases in {time.perf_counter() - started:.1f} s")
    server = start_server(args.workers)
    try:
        asyncio.run(health(args.clients, 2))  # warm every worker
        turns = in_turns(case_ids, args, tokens)
    finally:
        server.terminate()
        server.wait()
    report_steps(args, turns)
    _read, _verify, chain = time_verify()
    print(f"audit after the run: {chain}")
    seconds = append_events(args.events)
    print(f"\nappended {args.events:,} chained events through COPY in {seconds:.1f} s")
    read, verify, result = time_verify()
    print(f"read all {result.checked:,} events (floor): {read:.2f} s")
    print(f"verify the chain:                {verify:.2f} s  ({result.checked / verify:,.0f} events/s)")
    print(f"ratio verify / read:             {verify / read:.2f}x   result: {result}")
    if any(t["walked"]["failures"] for t in turns) or not result.ok:
        raise SystemExit("steps were refused or the chain is broken: the benchmark measured errors")


def in_turns(case_ids: list[int], args: argparse.Namespace, tokens: dict[str, str]) -> list[dict[str, Any]]:
    """The cases walked in ``args.rounds`` turns, each after its own ``args.floor_seconds`` of the
    health floor: a step rate is set against the floor of its own turn, so load that comes and
    goes during the run moves both sides of the ratio (a floor measured once, before, swung
    286-608 req/s with the load beside it, more than the changes it was to measure)."""
    size = -(-len(case_ids) // args.rounds)
    turns = []
    for start in range(0, len(case_ids), size):
        floor = asyncio.run(health(args.clients, args.floor_seconds))
        walked = asyncio.run(walk_cases(case_ids[start : start + size], args.clients, tokens))
        steps = sum(len(v) for v in walked["latencies"].values())
        turns.append({"floor": floor, "walked": walked, "rate": steps / walked["elapsed"]})
    return turns


def report_steps(args: argparse.Namespace, turns: list[dict[str, Any]]) -> None:
    by_step: dict[str, list[float]] = {step: [] for step, _ in STEPS}
    for turn in turns:
        for step, values in turn["walked"]["latencies"].items():
            by_step[step] += values
    every = [x for values in by_step.values() for x in values]
    elapsed = sum(t["walked"]["elapsed"] for t in turns)
    failures = [f for t in turns for f in t["walked"]["failures"]]
    ratios = [t["rate"] / t["floor"]["rps"] for t in turns]
    floor_rps = statistics.median(t["floor"]["rps"] for t in turns)
    print(
        f"\n{args.clients} clients, {args.workers} gunicorn workers x 4 threads, PostgreSQL, loopback, {len(turns)} turns"
    )
    print(f"{'':<16}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'health (floor)':<16}{floor_rps:>10.0f}{'':>10}{'':>10}   (median of the turns' floors)")
    overall = percentiles(every)
    print(
        f"{'all steps':<16}{len(every) / elapsed:>10.0f}{overall['p50']:>10.1f}{overall['p99']:>10.1f}"
        f"   ({statistics.median(ratios):.3f}x floor: median of turns, {min(ratios):.3f}-{max(ratios):.3f}x)"
    )
    for step, values in by_step.items():
        p = percentiles(values)
        print(f"{'  ' + step:<16}{'':>10}{p['p50']:>10.1f}{p['p99']:>10.1f}   n={len(values):,}")
    for n, turn in enumerate(turns, 1):
        print(f"  turn {n}: floor {turn['floor']['rps']:.0f} req/s, steps {turn['rate']:.1f}/s")
    print(f"{len(every):,} steps in {elapsed:.1f} s; refused or failed: {len(failures)}")
    for failure in failures[:5]:
        print("  ", failure)


if __name__ == "__main__":
    main()
