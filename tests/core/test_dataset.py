"""The agreement, conditions and law files: valid, cited verbatim, and refused clearly when broken."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from accord.core.dataset import DATA_DIR, DataFileError, all_citations, load_dataset
from accord.core.rules.engine import registered_rules
from accord.core.screening import default_dataset

REPO = Path(__file__).resolve().parents[2]
# The source documents the quotes come from. They live beside the repository, not in it; a checkout
# elsewhere (CI's clean clone) is pointed at them with ACCORD_SOURCES (.ci/run does).
CONFIGURED_SOURCES = os.environ.get("ACCORD_SOURCES", "").strip()
SOURCES = Path(CONFIGURED_SOURCES) if CONFIGURED_SOURCES else REPO.parent / "shared" / "sources"


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_seed_data_loads() -> None:
    data = default_dataset()
    assert {"us-sv-2025", "us-ve-2025", "us-mx-chnv", "pa-co-2025"} <= data.agreements.keys()
    assert data.agreement("us-sv-2025").facility("cecot").capacity == 40_000
    assert data.agreement("us-mx-chnv").clause("quota").monthly_quota == 30_000
    assert data.agreement("us-ve-2025").transport_paid_by == "VE"
    assert data.agreement("pa-co-2025").transport_paid_by == "US"
    assert data.agreement("us-sv-2025").clause("us-prisoners").status == "offered"


def test_every_quote_is_verbatim_in_its_source() -> None:
    if not SOURCES.is_dir():
        # A folder someone named, or CI, must be there: only an absent default may skip.
        if CONFIGURED_SOURCES:
            pytest.fail(f"ACCORD_SOURCES={CONFIGURED_SOURCES}: no such folder of source documents")
        if os.environ.get("CI"):
            pytest.fail(f"sources folder {SOURCES} missing in CI (set ACCORD_SOURCES)")
        pytest.skip(f"quotes not checked: no sources folder at {SOURCES} (set ACCORD_SOURCES to check them)")
    texts = {p.name: _normalise(p.read_text(encoding="utf-8")) for p in SOURCES.glob("*.txt")}
    assert texts, f"sources folder {SOURCES} holds no .txt documents"
    citations = all_citations(default_dataset())
    assert len(citations) >= 15
    for where, citation in citations:
        assert citation.document in texts, f"{where}: no source document {citation.document}"
        assert _normalise(citation.quote) in texts[citation.document], f"{where}: quote not found verbatim"


def test_the_unpublished_fee_is_an_assumption_not_a_fact() -> None:
    [fee] = [f for f in default_dataset().agreement("us-sv-2025").fees if f.id == "cecot-person-day"]
    assert (fee.kind, fee.facility, fee.payer, fee.currency) == ("person_day", "cecot", "US", "USD")
    assert all(rate.assumption and rate.note and isinstance(rate.amount_minor, int) for rate in fee.rates)
    assert fee.bill_reserved_places_assumption and fee.note


def test_every_coded_rule_is_in_the_catalogue_and_back() -> None:
    catalogue = {info.id for rs in default_dataset().rulesets.values() for info in rs.rules}
    assert set(registered_rules()) == catalogue


def test_every_catalogue_rule_has_a_citation_and_explanation() -> None:
    for ruleset in default_dataset().rulesets.values():
        for info in ruleset.rules:
            assert info.citation.strip() and info.explanation.strip() and info.title.strip(), info.id


def test_the_version_changes_with_the_data(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    before = load_dataset(copy).version
    path = copy / "agreements" / "us-ve-2025.toml"
    path.write_text(path.read_text() + "\n# a comment changes the bytes\n")
    assert load_dataset(copy).version != before


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def _break(data: Path, name: str, old: str, new: str) -> None:
    path = data / name
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("name", "old", "new", "key", "reason"),
    [
        ("agreements/us-sv-2025.toml", 'status = "offered"', 'status = "maybe"', "clauses.2.status", "in_force"),
        (
            "agreements/us-sv-2025.toml",
            'receiving_state = "SV"',
            'receiving_state = "ZZ"',
            "receiving_state",
            "unknown country code 'ZZ'",
        ),
        ("agreements/us-sv-2025.toml", "capacity = 40000", 'capacity = "many"', "facilities.0.capacity", "integer"),
        ("agreements/us-mx-chnv.toml", "end = 2025-01-20", "end = 2022-01-20", "", "before start"),
        (
            "agreements/us-sv-2025.toml",
            'felony"\nfacility = "cecot"',
            'felony"\nfacility = "nowhere"',
            "",
            "needs a facility",
        ),
        (
            "agreements/us-sv-2025.toml",
            'kind = "person_day"\nfacility = "cecot"',
            'kind = "person_day"\nfacility = "x"',
            "",
            "not listed under [[facilities]]",
        ),
        ("agreements/us-sv-2025.toml", "assumption = true\nnote", "assumption = true\nnotes", "notes", "Extra inputs"),
        ("agreements/us-ve-2025.toml", 'id = "us-ve-2025"', 'id = "us-ve-2026"', "id", "must equal the file name"),
        ("agreements/us-ve-2025.toml", 'id = "own-nationals"', "id = [own", "", "not valid TOML"),
        ("law/us.toml", "enabled = true", "enabled = false", "policies.third-country-notice", "disabled_reason"),
        ("law/us.toml", 'policy = "third-country-notice"', 'policy = "nothing"', "", "names policy 'nothing'"),
        (
            "conditions/us-removal-conditions.toml",
            'acceptance = "limited"',
            'acceptance = "slow"',
            "entries.0.acceptance",
            "normal",
        ),
    ],
)
def test_a_broken_file_is_refused_naming_file_key_and_reason(
    data_copy: Path, name: str, old: str, new: str, key: str, reason: str
) -> None:
    _break(data_copy, name, old, new)
    with pytest.raises(DataFileError) as caught:
        load_dataset(data_copy)
    err = caught.value
    assert err.path.endswith(name)
    assert key in err.key
    assert reason in err.reason


def test_the_fee_assumption_needs_a_note(data_copy: Path) -> None:
    path = data_copy / "agreements" / "us-sv-2025.toml"
    text = path.read_text()
    start = text.index('note = """The sources report a fee')
    end = text.index('"""', start + 10) + 3
    path.write_text(text[:start] + text[end:])
    with pytest.raises(DataFileError, match="an assumed amount needs a note"):
        load_dataset(data_copy)


def test_a_disabled_policy_with_reason_and_citation_switches_the_rule_off(data_copy: Path) -> None:
    _break(
        data_copy,
        "law/us.toml",
        "enabled = true",
        'enabled = false\ndisabled_reason = "test"\ndisabled_citation = "Trump v. D.V.D., 606 U.S. ___ (2025)"',
    )
    data = load_dataset(data_copy)
    assert not data.policy("third-country-notice").enabled
