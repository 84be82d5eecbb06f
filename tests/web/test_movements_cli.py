"""``accord movement …`` over the same use cases: a flight from the command line, a refusal named
on one line with exit 1, nothing done without a token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from accord.accounts.models import User
from accord.cli import app
from accord.movements.models import ManifestEntry, Movement
from accord.people.models import Person
from tests.web.moving import accepted, ready

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_flight_from_the_command_line(
    users: dict[str, User], tokens: dict[str, str], facilities: None, make_person: Callable[..., Person]
) -> None:
    runner = CliRunner()

    def run(who: str, *args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["movement", *args], env={"ACCORD_TOKEN": tokens[who]})
        return result.exit_code, " ".join(result.output.split())

    case = accepted(make_person, users, "CLI1")
    leaves = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(8), tzinfo=dt.UTC)
    plan = ["--agreement", "us-sv-2025", "--origin", "El Paso, TX", "--departure-tz", "America/Denver"]
    plan += ["--arrives", (leaves + dt.timedelta(hours=4)).isoformat(), "--arrival-tz", "America/El_Salvador"]
    plan += ["--seats", "20", "--escorts", "5"]
    code, out = run("officer", "create", *plan, "--departs", "tomorrow")
    assert code == 1 and "departs" in out
    code, out = run("officer", "create", *plan, "--departs", leaves.isoformat(), "--transit", "SAL1")
    assert code == 1 and "transit_airports" in out
    code, out = run("officer", "create", *plan, "--departs", leaves.isoformat(), "--transit", "sal")
    assert code == 0 and "paid by the sending state (US)" in out, out
    mid = str(Movement.objects.get().pk)
    assert Movement.objects.get().transit_airports == "SAL"
    assert run("salvador", "add", mid, str(case.pk))[0] == 1
    assert run("officer", "add", mid, str(case.pk))[0] == 0
    code, out = run("officer", "validate", mid)
    assert code == 1 and "CLI1: no travel document" in out
    entry = ManifestEntry.objects.get()
    ready(entry, users["officer"])
    assert run("officer", "validate", mid) == (0, f"Movement {mid}: no problem; it may depart.")
    assert run("officer", "depart", mid)[0] == 0
    assert run("salvador", "arrive", mid)[0] == 0
    code, out = run("salvador", "hand-over", str(entry.pk), "--place", "CECOT", "--official", "Cmdr. Flores")
    assert code == 0, out
    code, out = run("salvador", "show", mid)
    assert code == 0 and "GOLDEN, Scenario" in out and "handed over" in out
    code, out = run("finance", "show", mid)
    assert code == 0 and "GOLDEN" not in out and "by sex: M 1" in out
    assert "paid by US" in run("finance", "list")[1]
    code, out = run("monitor", "list")  # monitors read counts, not who pays
    assert code == 0 and "1 people" in out and "paid by" not in out
