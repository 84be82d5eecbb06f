"""The `accord` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from accord.core.records import read_people
from accord.core.screening import DECISION_COLUMNS


def accord(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        timeout=120,
    )


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("people") / "people.csv"
    done = accord("generate-population", "2000", "--seed", "11", "--out", path)
    assert done.returncode == 0, done.stderr
    return path


def test_generate_population_is_deterministic_for_a_seed(people: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.csv"
    assert accord("generate-population", "2000", "--seed", "11", "--out", again).returncode == 0
    assert again.read_bytes() == people.read_bytes()
    other = tmp_path / "other.csv"
    assert accord("generate-population", "2000", "--seed", "12", "--out", other).returncode == 0
    assert other.read_bytes() != people.read_bytes()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_screen_writes_one_row_per_person_and_agreement(people: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"decisions{suffix}"
    done = accord("screen", people, "--date", "2025-03-01", "--out", out)
    assert done.returncode == 0, done.stderr
    decisions = {
        ".csv": pl.read_csv,
        ".parquet": pl.read_parquet,
        ".jsonl": lambda p: pl.read_ndjson(p, infer_schema_length=None),
    }[suffix](out)
    assert tuple(decisions.columns) == DECISION_COLUMNS
    assert decisions.height == 2000 * 4
    assert set(decisions["agreement_id"]) == {"us-sv-2025", "us-ve-2025", "us-mx-chnv", "pa-co-2025"}
    assert set(decisions["outcome"]) <= {"eligible", "review", "barred"}
    # The summary table counts every decision once.
    assert "us-sv-2025" in done.stdout and "Wrote 8,000 decisions" in done.stdout


def test_screen_names_the_rules_and_cites_each_once_in_a_catalogue(people: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    done = accord("screen", people, "--date", "2025-03-01", "--out", out, "-a", "us-sv-2025")
    assert done.returncode == 0, done.stderr
    assert "d.rules.csv" in done.stdout
    decisions = pl.read_csv(out, infer_schema=False)
    assert decisions.columns == ["person_id", "agreement_id", "date", "outcome", "placement", "rules"]
    assert set(decisions["agreement_id"]) == {"us-sv-2025"}
    eligible = decisions.filter(pl.col("outcome") == "eligible")
    assert (eligible["rules"].fill_null("") == "").all()
    catalogue = pl.read_csv(tmp_path / "d.rules.csv", infer_schema=False)
    assert catalogue.select("agreement_id", "rule_id").is_unique().all(), "each rule is cited once"
    cited = {(a, r): c for a, r, c in catalogue.select("agreement_id", "rule_id", "citation").iter_rows()}
    failing = decisions.filter(pl.col("outcome") != "eligible")
    assert failing.height > 0
    for agreement_id, rules in failing.select("agreement_id", "rules").iter_rows():
        for rule in rules.split(";"):
            assert cited.get((agreement_id, rule)), f"{rule} has no citation in the catalogue"
    citizens = read_people(people).filter(pl.col("status") == "citizen")["person_id"].to_list()
    assert citizens, "the generated population should include wrongly held citizens"
    for row in decisions.filter(pl.col("person_id").is_in(citizens)).iter_rows(named=True):
        assert row["outcome"] == "barred"
        assert row["placement"] is None
        assert row["rules"], "a barred decision names the rules that barred it"


def test_an_unknown_agreement_is_refused_by_name(people: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    done = accord("screen", people, "--date", "2025-03-01", "--out", out, "--agreement", "us-xx-2030")
    assert done.returncode == 2
    assert "unknown agreement 'us-xx-2030'" in done.stderr and "us-sv-2025" in done.stderr
    assert not out.exists()


def test_a_bad_record_is_reported_and_nothing_is_written(people: Path, tmp_path: Path) -> None:
    lines = people.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[5].split(",")
    row[header.index("status")] = "martian"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*lines[:5], ",".join(row), *lines[6:]]) + "\n")
    out = tmp_path / "d.csv"
    done = accord("screen", bad, "--date", "2025-03-01", "--out", out)
    assert done.returncode == 1
    assert "row 5" in done.stderr and "status" in done.stderr and "martian" in done.stderr
    assert not out.exists()


def test_explain_gives_each_rule_its_reason_and_citation(people: Path) -> None:
    frame = read_people(people)
    citizen = frame.filter(pl.col("status") == "citizen")["person_id"][0]
    done = accord("explain", citizen, "--people", people, "--date", "2025-03-01", "--agreement", "us-ve-2025")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "BARRED" in text
    assert "A US citizen or national is never removed" in text
    assert "8 U.S.C. §1101(a)(3)" in text
    assert "us/citizen (barred)" in text


def test_explain_an_unknown_person_is_a_clear_error(people: Path) -> None:
    done = accord("explain", "NOBODY", "--people", people, "--date", "2025-03-01")
    assert done.returncode == 2
    assert "no person 'NOBODY'" in done.stderr


def test_a_bad_date_is_refused(people: Path, tmp_path: Path) -> None:
    done = accord("screen", people, "--date", "2025-02-30", "--out", tmp_path / "d.csv")
    assert done.returncode == 2
    assert "--date" in done.stderr


def test_agreements_lists_clauses_statuses_and_sources() -> None:
    done = accord("agreements")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    for expected in ("us-sv-2025", "third-country-criminals", "offered", "40,000", "30,000/month", "(assumption)"):
        assert expected in text


def test_usage_file_fills_a_facility(people: Path, tmp_path: Path) -> None:
    usage = tmp_path / "usage.toml"
    usage.write_text("[facilities.cecot]\noccupied = 40000\n")
    out = tmp_path / "d.csv"
    assert (
        accord("screen", people, "--date", "2025-03-01", "--out", out, "-a", "us-sv-2025", "--usage", usage).returncode
        == 0
    )
    decisions = pl.read_csv(out, infer_schema=False)
    prison = decisions.filter(pl.col("placement") == "prison")
    assert prison.height > 0
    assert prison["rules"].str.contains("capacity").all()
    usage.write_text("[facilities.cecot]\noccupied = -1\n")
    done = accord("screen", people, "--date", "2025-03-01", "--out", out, "--usage", usage)
    assert done.returncode == 2 and "facilities.cecot.occupied" in done.stderr


def test_the_rules_core_commands_are_the_screening_modules() -> None:
    """``main`` loads only ``accord.cli.screening`` for these words: the list must be that module's."""
    from accord.cli import RULES_CORE_COMMANDS, app

    names = {c.name or c.callback.__name__ for c in app.registered_commands if c.callback}
    of_screening = {
        c.name or c.callback.__name__.replace("_", "-")
        for c in app.registered_commands
        if c.callback and c.callback.__module__ == "accord.cli.screening"
    }
    assert of_screening == RULES_CORE_COMMANDS
    assert len(names) > len(of_screening)  # the package's app holds every command


def test_screen_loads_no_database_and_no_other_command(people: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    done = subprocess.run(
        [sys.executable, "-v", "-m", "accord.cli", "screen", people, "--date", "2025-03-01", "--out", out],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded = {line.split("'")[1] for line in done.stderr.splitlines() if line.startswith("import '")}  # python -v
    assert "accord.cli.screening" in loaded
    assert not {m for m in loaded if m.split(".")[0] == "django"}
    assert not {f"accord.cli.{m}" for m in ("people", "cases", "holds", "ledger", "movements", "audit")} & loaded
    # Left promptly, and only once both files were whole and in place.
    assert pl.read_csv(out, infer_schema=False).height == 2000 * 4
    assert (tmp_path / "d.rules.csv").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_refusal_leaves_with_its_exit_code_and_message(tmp_path: Path) -> None:
    done = accord("screen", tmp_path / "none.csv", "--date", "2025-03-01", "--out", tmp_path / "d.csv", "-a", "xx")
    assert done.returncode == 2 and "unknown agreement" in done.stderr
