"""The audit chain as pure code: a changed byte in any field, a deleted event, two events swapped
or a cut-off tail is found, and the first broken event is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.core.audit import (
    COLUMNS,
    GENESIS,
    canonical,
    check_fields,
    event_hash,
    parse_anchor,
    parse_anchors,
    verify,
    verify_export,
)


def chain(n: int) -> list[list[object]]:
    rows: list[list[object]] = []
    previous = GENESIS
    for seq in range(1, n + 1):
        body = canonical({"before": {"state": "screened"}, "after": {"state": "legal_review"}, "reason": f"é {seq}"})
        fields: list[object] = [seq, f"2026-11-25T07:00:{seq:02d}.000000+00:00", "officer", "case_officer"]
        fields += ["case.submit", "case", str(seq), body, previous]
        previous = event_hash(fields)
        rows.append([*fields, previous])
    return rows


def test_an_untouched_chain_verifies_and_reports_its_head() -> None:
    rows = chain(5)
    result = verify(rows, head=(5, str(rows[-1][9])))
    assert result.ok and result.checked == 5 and result.head == rows[-1][9]
    assert "5 events verified; chain intact" in str(result)


@pytest.mark.parametrize("column", range(9))
def test_one_changed_byte_in_any_field_is_found_at_that_event(column: int) -> None:
    rows = chain(6)
    value = str(rows[3][column])
    rows[3][column] = (value[:-1] + ("0" if value[-1] != "0" else "1")) if column else 99
    result = verify(rows)
    assert not result.ok and result.first_broken == 4 and result.checked == 3


def test_a_deleted_event_is_named() -> None:
    rows = chain(6)
    del rows[2]
    result = verify(rows)
    assert (result.ok, result.first_broken) == (False, 3)
    assert "event 3 is missing" in result.reason


def test_two_swapped_events_are_found() -> None:
    rows = chain(6)
    rows[1], rows[4] = rows[4], rows[1]
    result = verify(rows)
    assert (result.ok, result.first_broken) == (False, 2)


def test_swapping_contents_but_keeping_sequence_numbers_is_found() -> None:
    rows = chain(6)
    rows[1][1:], rows[2][1:] = rows[2][1:], rows[1][1:]
    result = verify(rows)
    assert (result.ok, result.first_broken) == (False, 2)


def test_events_cut_from_the_end_are_found_against_the_head() -> None:
    rows = chain(6)
    result = verify(rows[:4], head=(6, str(rows[-1][9])))
    assert not result.ok and result.first_broken == 5 and "head says 6" in result.reason


def test_an_anchor_finds_a_tail_cut_off_together_with_the_head() -> None:
    """Cutting the last events and rewriting the head to match passes a plain verify; the anchor
    an auditor kept from an earlier verify does not."""
    rows = chain(6)
    earlier = verify(rows)
    cut = rows[:4]
    assert verify(cut, head=(4, str(cut[-1][9]))).ok  # what the head alone cannot see
    result = verify(cut, head=(4, str(cut[-1][9])), anchors=dict([parse_anchor(earlier.anchor)]))
    assert (result.ok, result.first_broken) == (False, 5)
    assert "an anchor records event 6" in result.reason


def test_an_anchor_finds_a_chain_rewritten_from_the_start() -> None:
    """Someone with the keys recomputes every hash after changing event 2: the chain is intact
    again, but event 4 no longer has the hash the auditor wrote down."""
    rows = chain(6)
    anchors = {4: str(rows[3][9])}
    forged: list[list[object]] = []
    previous = GENESIS
    for row in rows:
        fields = [*row[:8], previous]
        if row[0] == 2:
            fields[2] = "mallory"
        previous = event_hash(fields)
        forged.append([*fields, previous])
    assert verify(forged).ok
    result = verify(forged, anchors=anchors)
    assert (result.ok, result.first_broken) == (False, 4)
    assert "not the one recorded in the anchor" in result.reason
    assert verify(rows, anchors=anchors).ok


@pytest.mark.parametrize("text", ["", "4", "4:", "0:" + "a" * 64, "x:" + "a" * 64, "4:" + "g" * 64, "4:" + "a" * 63])
def test_a_malformed_anchor_is_refused_with_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="expected SEQ:HASH"):
        parse_anchor(text)


def test_an_anchor_is_read_as_typed_or_pasted() -> None:
    assert parse_anchors(["", f"  4:{'AB' * 32}\r", f"4:{'ab' * 32}"]) == {4: "ab" * 32}
    with pytest.raises(ValueError, match="two different hashes"):
        parse_anchors([f"4:{'ab' * 32}", f"4:{'cd' * 32}"])
    assert verify([]).anchor == ""


def test_a_field_holding_the_separator_is_refused() -> None:
    with pytest.raises(ValueError, match="unit separator"):
        check_fields(["1", "a\x1fb"])


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_an_export_verifies_offline_and_a_tampered_one_does_not(tmp_path: Path, suffix: str) -> None:
    import csv

    rows = chain(4)
    path = tmp_path / f"audit{suffix}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        if suffix == ".csv":
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        else:
            handle.writelines(
                json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False) + "\n" for row in rows
            )
    assert verify_export(path).ok
    path.write_text(path.read_text(encoding="utf-8").replace("é 3", "e 3"), encoding="utf-8")
    result = verify_export(path)
    assert (result.ok, result.first_broken) == (False, 3)
