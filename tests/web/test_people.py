"""Importing and editing people: all or nothing, idempotent, validated, with history."""

from __future__ import annotations

import csv
import html
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client

from accord.accounts.models import User
from accord.cases.selectors import CaseFilters, case_list
from accord.cases.services import open_case
from accord.core.records import RecordError, people_from_dicts, write_people
from accord.people.models import Nationality, Person, PersonVersion
from accord.people.services import BATCH, import_people, update_person
from tests.web.conftest import CLEAN, PASSWORD

ROOT = Path(__file__).resolve().parents[2]
BAD_CELL = {"sex": "Q"}  # a value outside the vocabulary: refused with row, column and reason


BASE = {**CLEAN, "sex": "F", "legal_hold": "false", "conviction": "none", "nationalities": "SV"}


def rows(n: int, **cells: str) -> list[dict[str, str]]:
    return [{**BASE, "person_id": f"P{i:05d}", **cells} for i in range(1, n + 1)]


def write(path: Path, records: list[dict[str, str]]) -> Path:
    """A valid file in any format, written by the core's writer."""
    write_people(people_from_dicts(records), path)
    return path


def write_csv(path: Path, records: list[dict[str, str]]) -> Path:
    """A CSV by hand: it may hold values the writer would never produce."""
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["person_id", *BASE])
        writer.writeheader()
        writer.writerows(records)
    return path


def stored() -> tuple[int, int, int]:
    return Person.objects.count(), PersonVersion.objects.count(), Nationality.objects.count()


# --- import_people -------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".jsonl"])
def test_import_counts_created_updated_and_unchanged_people(db: Any, tmp_path: Path, ext: str) -> None:
    first = rows(3)
    assert import_people(write(tmp_path / f"a{ext}", first), user=None).created == 3

    second = [first[0], {**first[1], "conviction": "felony"}, {**BASE, "person_id": "P00009"}]
    result = import_people(write(tmp_path / f"b{ext}", second), user=None, reason="monthly file")

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert Person.objects.get(person_id="P00002").conviction == "felony"
    version = PersonVersion.objects.filter(person__person_id="P00002").first()
    assert version is not None and version.changed_fields == ["conviction"] and version.reason == "monthly file"


def test_reimporting_the_same_file_changes_nothing(db: Any, tmp_path: Path) -> None:
    # The second person's name and facts are unknown (empty cells): stored, and still unchanged.
    unknown = dict.fromkeys(["family_name", "given_names", "date_of_birth", "conviction", "legal_hold"], "")
    path = write_csv(tmp_path / "people.csv", [*rows(1), {**BASE, "person_id": "U1", **unknown}])
    import_people(path, user=None)
    before = stored(), dict(Person.objects.values_list("person_id", "updated_at"))

    result = import_people(path, user=None)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert (stored(), dict(Person.objects.values_list("person_id", "updated_at"))) == before
    assert Person.objects.get(person_id="U1").family_name == ""


def test_a_file_with_bad_rows_is_refused_whole_naming_every_bad_row(db: Any, tmp_path: Path) -> None:
    import_people(people_from_dicts(rows(1)), user=None)
    before = stored()
    records = rows(5)
    records[0]["conviction"] = "felony"  # an update that must not happen
    records[1].update(BAD_CELL)
    records[3].update(nationalities="XX", date_of_birth="1990-02-30")

    with pytest.raises(RecordError) as refused:
        import_people(write_csv(tmp_path / "people.csv", records), user=None)

    assert [(e.row, e.column) for e in refused.value.errors] == [
        (2, "sex"),
        (4, "date_of_birth"),
        (4, "nationalities"),
    ]
    assert "row 4, column nationalities, value 'XX': unknown country code 'XX'" in str(refused.value)
    assert stored() == before
    assert Person.objects.get(person_id="P00001").conviction == "none"


def test_a_bad_row_after_the_first_batch_stops_the_import_before_any_write(db: Any, tmp_path: Path) -> None:
    records = rows(BATCH + 1_000)
    records[-10].update(BAD_CELL)

    with pytest.raises(RecordError) as refused:
        import_people(write_csv(tmp_path / "people.csv", records), user=None)

    assert [(e.row, e.column) for e in refused.value.errors] == [(BATCH + 991, "sex")]
    assert stored() == (0, 0, 0)


def test_values_the_database_would_refuse_are_refused_before_any_write(db: Any, tmp_path: Path) -> None:
    records = rows(BATCH + 1_000)
    records[5].update(person_id="X" * 65)
    records[-1].update(family_name="Nul\x00byte")  # PostgreSQL refuses NUL in text

    with pytest.raises(RecordError) as refused:
        import_people(write(tmp_path / "people.parquet", records), user=None)

    assert [(e.row, e.column, e.reason) for e in refused.value.errors] == [
        (6, "person_id", "longer than 64 characters"),
        (BATCH + 1_000, "family_name", "must not contain a NUL character"),
    ]
    assert stored() == (0, 0, 0)


def test_a_database_failure_in_the_second_batch_leaves_nothing(
    database_refuses: Callable[[str, str, str], None], tmp_path: Path
) -> None:
    records = rows(BATCH + 1_000)
    database_refuses("people_person", "INSERT", f"NEW.person_id = '{records[BATCH + 500]['person_id']}'")
    batches_done: list[tuple[int, int]] = []

    with pytest.raises(DatabaseError, match="refused by the database"):
        import_people(
            write(tmp_path / "people.csv", records), user=None, progress=lambda *done: batches_done.append(done)
        )

    assert batches_done == [(BATCH, BATCH + 1_000)]  # the first batch was written, then rolled back
    assert stored() == (0, 0, 0)


# --- update_person -------------------------------------------------------------------------------


def test_an_edit_records_a_version_with_the_changed_fields_who_and_why(
    users: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("E1", **BASE)

    changed = update_person(
        person, {"legal_hold": "true", "conviction": "felony", "sex": "F"}, user=users["officer"], reason="court order"
    )

    assert changed == ["legal_hold", "conviction"]
    assert (person.legal_hold, person.conviction) == (True, "felony")
    version = person.versions.first()
    assert version is not None
    assert (version.changed_fields, version.changed_by, version.reason) == (changed, users["officer"], "court order")
    assert (version.record["legal_hold"], version.record["conviction"]) == ("true", "felony")


def test_an_edit_with_a_bad_value_changes_nothing(users: dict[str, User], make_person: Callable[..., Person]) -> None:
    person = make_person("E2", **BASE)
    before = stored(), Person.objects.get(pk=person.pk).updated_at

    with pytest.raises(RecordError) as refused:
        update_person(person, {"conviction": "felony", **BAD_CELL}, user=users["officer"], reason="typo")

    assert [(e.column, e.value) for e in refused.value.errors] == [("sex", "Q")]
    assert (stored(), Person.objects.get(pk=person.pk).updated_at) == before
    assert Person.objects.get(pk=person.pk).conviction == "none"


def test_an_edit_can_make_a_name_unknown(users: dict[str, User], make_person: Callable[..., Person]) -> None:
    person = make_person("E3")
    assert update_person(person, {"family_name": ""}, user=users["officer"], reason="alias") == ["family_name"]
    assert Person.objects.get(pk=person.pk).family_name == ""


def test_changing_nationalities_moves_the_person_in_the_case_list_filter(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person]
) -> None:
    officer = users["officer"]
    person = make_person("E4", nationalities="SV")
    open_case(person, "us-sv-2025", user=officer)

    update_person(person, {"nationalities": "VE;CO"}, user=officer, reason="passport found")

    def listed(code: str) -> list[str]:
        return [c.person.person_id for c in case_list(officer, CaseFilters(nationality=code))]

    assert (listed("SV"), listed("VE"), listed("CO")) == ([], ["E4"], ["E4"])
    assert sorted(person.nationality_rows.values_list("code", flat=True)) == ["CO", "VE"]


# --- the upload page -----------------------------------------------------------------------------


def upload(user: User, name: str, content: bytes) -> Any:
    client = Client()
    client.force_login(user)
    return client.post("/people/import/", {"file": SimpleUploadedFile(name, content)}, follow=True)


def test_uploading_a_good_file_imports_it_and_reports_the_counts(users: dict[str, User], tmp_path: Path) -> None:
    content = write(tmp_path / "people.jsonl", rows(2)).read_bytes()

    response = upload(users["officer"], "people.jsonl", content)

    assert response.redirect_chain == [("/people/import/", 302)]
    assert "people.jsonl: 2 created, 0 updated, 0 unchanged." in response.content.decode()
    assert Person.objects.count() == 2


def test_uploading_a_bad_file_lists_every_problem_and_imports_nothing(users: dict[str, User], tmp_path: Path) -> None:
    records = rows(3)
    records[1].update(BAD_CELL)
    records[2].update(nationalities="ve")

    response = upload(users["officer"], "people.csv", write_csv(tmp_path / "p.csv", records).read_bytes())

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "row 2, column sex, value 'Q': not one of M, F, X" in page
    assert "row 3, column nationalities, value 've': country code must be upper-case" in page
    assert stored() == (0, 0, 0)


def test_the_upload_page_counts_the_problems_it_does_not_list(users: dict[str, User], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", rows(1_100, **BAD_CELL))  # more than the core words per column

    response = upload(users["officer"], "people.csv", path.read_bytes())

    page = response.content.decode()
    assert response.status_code == 400 and "… and 900 more" in page
    assert "Nothing was imported: 1100 problems" in page


def test_uploading_an_unsupported_file_type_is_refused(users: dict[str, User]) -> None:
    response = upload(users["officer"], "people.xlsx", b"PK\x03\x04")
    assert response.status_code == 400
    assert "people.xlsx: unsupported file type; use .csv, .parquet, .jsonl" in response.content.decode()


def test_a_reviewer_may_not_import(users: dict[str, User], tmp_path: Path) -> None:
    response = upload(users["reviewer"], "people.csv", write(tmp_path / "p.csv", rows(1)).read_bytes())
    assert response.status_code == 403 and Person.objects.count() == 0


# --- the `accord import` command -----------------------------------------------------------------


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs `accord import` on its own SQLite database, whatever database the tests use."""
    data = tmp_path_factory.mktemp("cli-data")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(ACCORD_DATA_DIR=str(data), COLUMNS="250")
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True, cwd=ROOT)

    def accord(*args: str, stdin: str = "", token: str = "") -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "accord.cli", *args]
        extra = {"ACCORD_TOKEN": token} if token else {}
        return subprocess.run(command, env={**env, **extra}, input=stdin, capture_output=True, text=True)

    tokens = {"nobody": "acc_no-such-token"}
    for user, role in (("clerk", "case_officer"), ("watcher", "monitor")):
        made = accord("user", "create", user, "--role", role, "--password-stdin", stdin=f"{PASSWORD}\n")
        assert made.returncode == 0, made.stderr
        issued = accord("token", "issue", user, "--password-stdin", stdin=f"{PASSWORD}\n")
        assert issued.returncode == 0, issued.stderr
        tokens[user] = issued.stdout.strip()

    def run(path: Path, user: str = "clerk") -> subprocess.CompletedProcess[str]:
        return accord("import", str(path), token=tokens[user])

    run.database = data / "accord.sqlite3"  # type: ignore[attr-defined]
    return run


def count_people(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute("SELECT count(*) FROM people_person").fetchone()[0])


def test_cli_import_prints_counts_and_a_second_run_creates_nothing(cli: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "people.parquet", [{**r, "person_id": f"C{i}"} for i, r in enumerate(rows(3))])

    first, second = cli(path), cli(path)

    assert first.returncode == 0 and f"{path}: 3 created, 0 updated, 0 unchanged." in first.stdout
    assert second.returncode == 0 and f"{path}: 0 created, 0 updated, 3 unchanged." in second.stdout


def test_cli_import_of_a_bad_file_fails_naming_row_and_column_and_imports_nothing(cli: Any, tmp_path: Path) -> None:
    records = [{**r, "person_id": f"B{i}"} for i, r in enumerate(rows(3))]
    records[2]["sex"] = "[/b]"  # also text that a terminal formatter could mistake for markup
    before = count_people(cli.database)

    result = cli(write_csv(tmp_path / "people.csv", records))

    assert result.returncode != 0
    assert "nothing was imported" in result.stderr
    assert "row 3, column sex, value '[/b]': not one of M, F, X" in result.stderr
    assert count_people(cli.database) == before


def test_cli_import_is_refused_to_a_role_that_may_not_import(cli: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "people.parquet", [{**r, "person_id": f"W{i}"} for i, r in enumerate(rows(2))])
    before = count_people(cli.database)
    refused, unknown = cli(path, user="watcher"), cli(path, user="nobody")
    assert refused.returncode == 2 and "your role may not import people" in refused.stderr
    assert unknown.returncode == 2 and "the token is unknown or revoked" in unknown.stderr
    assert count_people(cli.database) == before


def test_family_names_are_found_by_prefix_without_accents(make_person: Any) -> None:
    from accord.people.models import Person
    from accord.people.selectors import matching

    make_person("N1", family_name="García López")
    make_person("N2", family_name="Garcés")
    make_person("N3", family_name="Gómez")
    found = lambda q: sorted(Person.objects.filter(matching(q)).values_list("person_id", flat=True))  # noqa: E731
    assert found("garcia") == ["N1"]
    assert found("GARC") == ["N1", "N2"]
    assert found("gar") == ["N1", "N2"]
    assert found("N3") == ["N3"]
    assert found("Gz") == []


def test_the_edit_page_saves_a_validated_change_with_its_reason(users: Any, make_person: Any) -> None:
    from django.test import Client

    from accord.people.models import Person

    make_person("E1", legal_hold="false")
    client = Client()
    client.force_login(users["officer"])
    form = client.get("/people/E1/edit/")
    assert form.status_code == 200 and 'name="legal_hold"' in form.content.decode()
    cells = {**CLEAN, "legal_hold": "true"}
    saved = client.post("/people/E1/edit/", {**cells, "reason": "stay of removal granted 2025-03-02"})
    assert saved.status_code == 302
    person = Person.objects.get(person_id="E1")
    assert person.legal_hold is True
    assert person.versions.first().reason == "stay of removal granted 2025-03-02"
    refused = client.post("/people/E1/edit/", {**cells, "status": "martian", "reason": "typo"})
    assert refused.status_code == 400 and "martian" in refused.content.decode()
    assert Person.objects.get(person_id="E1").status == "undocumented"
    no_reason = client.post("/people/E1/edit/", {**cells, "legal_hold": "false", "reason": ""})
    assert no_reason.status_code == 400 and Person.objects.get(person_id="E1").legal_hold is True
    reviewer = Client()
    reviewer.force_login(users["reviewer"])
    assert reviewer.get("/people/E1/edit/").status_code == 403


def test_the_import_template_is_v2_and_imports_as_it_is(users: dict[str, User], tmp_path: Path) -> None:
    client = Client()
    client.force_login(users["officer"])
    template = client.get("/people/import/template.csv")
    assert template.status_code == 200 and template["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(template.content.decode().splitlines()))
    assert (rows[0]["fear_found"], rows[0]["sentence_remaining_months"], rows[0]["legal_hold"]) == (
        "none",
        "0",
        "false",
    )
    assert (rows[1]["fear_found"], rows[1]["sentence_remaining_months"], rows[1]["legal_hold"]) == ("", "", "")
    response = upload(users["officer"], "people.csv", template.content)
    assert "2 created" in response.content.decode()
    known, unknown = Person.objects.order_by("person_id")
    assert (known.fear_found, known.sentence_remaining_months) == ([], 0)
    assert (unknown.fear_found, unknown.sentence_remaining_months) == (None, None)
