"""The audit chain: each event's hash covers its own stored fields and the previous event's hash,
so changing one byte of any event, deleting one or reordering two breaks the chain at a place
``verify`` names. Pure: the database app stores events; this module computes and checks them,
also for an exported file an outside auditor holds without our database."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.core.spreadsheet import unescape

GENESIS = "0" * 64
# Stored columns, in the order rows are read and exported; the hash covers all but itself.
COLUMNS = ("seq", "at", "actor", "actor_role", "action", "object_type", "object_id", "body", "prev_hash", "hash")


def canonical(value: Any) -> str:
    """JSON text that is the same for equal values: sorted keys, no spaces, dates as ISO text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


SEPARATOR = "\x1f"  # ASCII unit separator: no stored field may hold it (``check_fields``), so joining is unambiguous


def event_hash(fields: Sequence[Any]) -> str:
    """SHA-256 of the event's fields (every column but ``hash``, ``prev_hash`` last), joined by
    the unit separator. Cheap on purpose: verifying a million events must take seconds."""
    return hashlib.sha256(SEPARATOR.join(map(str, fields)).encode()).hexdigest()


def check_fields(fields: Sequence[Any]) -> None:
    """Refuse a field holding the separator (canonical JSON escapes it; identifiers never hold it)."""
    for value in fields:
        if SEPARATOR in str(value):
            raise ValueError(f"an audit field may not contain the unit separator (U+001F): {str(value)[:80]!r}")


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head: str
    first_broken: int | None = None
    reason: str = ""

    @property
    def anchor(self) -> str:
        """``SEQ:HASH`` of the last event: what an auditor writes down to check later that nothing
        up to here was cut off or rewritten (``accord audit verify --anchor``); empty for an
        empty log."""
        return f"{self.checked}:{self.head}" if self.checked else ""

    def __str__(self) -> str:
        if self.ok:
            return f"{self.checked:,} events verified; chain intact; head {self.head}"
        verified = f"{self.checked:,} event{'' if self.checked == 1 else 's'} before it verified"
        return f"chain broken at event {self.first_broken}: {self.reason} ({verified})"


def verify(
    rows: Iterable[Sequence[Any]], head: tuple[int, str] | None = None, anchors: Mapping[int, str] | None = None
) -> Verification:
    """Check rows (COLUMNS order, ascending seq). ``head`` is the (seq, hash) the store says it
    ended with: comparing it detects events deleted from the end. ``anchors`` are {seq: hash}
    an auditor recorded earlier, outside the store: they detect what ``head`` cannot, a tail cut
    off or a chain rewritten by someone who also rewrote the head row."""
    expected_seq, previous, checked = 1, GENESIS, 0
    sha256, join, anchors = hashlib.sha256, SEPARATOR.join, anchors or {}
    for row in rows:
        seq, prev_hash, stored = int(row[0]), row[8], row[9]
        if seq != expected_seq:
            what = "is missing" if seq > expected_seq else "appears out of order"
            return Verification(False, checked, previous, expected_seq, f"event {expected_seq} {what} (found {seq})")
        if prev_hash != previous:
            return Verification(False, checked, previous, seq, "its link to the previous event is broken")
        if sha256(join([str(seq), *row[1:9]]).encode()).hexdigest() != stored:  # event_hash, inlined
            return Verification(False, checked, previous, seq, "its hash does not match its contents")
        if anchors and seq in anchors and anchors[seq] != stored:
            return Verification(False, checked, previous, seq, "its hash is not the one recorded in the anchor")
        previous, expected_seq, checked = stored, seq + 1, checked + 1
    if head is not None and (head[0] != checked or (checked and head[1] != previous)):
        return Verification(
            False, checked, previous, checked + 1, f"the log ends at event {checked} but its head says {head[0]}"
        )
    if beyond := [seq for seq in anchors if seq > checked]:
        return Verification(
            False,
            checked,
            previous,
            checked + 1,
            f"the log ends at event {checked} but an anchor records event {min(beyond)}",
        )
    return Verification(True, checked, previous)


def parse_anchors(texts: Iterable[str]) -> dict[int, str]:
    """Anchors as typed by a person (blank entries ignored) → {seq: hash}; two different hashes
    for one event are refused rather than one silently winning."""
    anchors: dict[int, str] = {}
    for text in texts:
        if not text.strip():
            continue
        seq, digest = parse_anchor(text)
        if anchors.setdefault(seq, digest) != digest:
            raise ValueError(f"anchor {text.strip()!r}: event {seq} is given two different hashes")
    return anchors


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` (as ``Verification.anchor`` prints it) → (seq, hash)."""
    seq, _, digest = text.strip().lower().partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"anchor {text!r}: expected SEQ:HASH, an event number and its 64-character hex hash")
    return int(seq), digest


def verify_export(path: Path, anchors: Mapping[int, str] | None = None) -> Verification:
    """Verify an export written by ``accord audit export`` (.jsonl or .csv)."""
    return verify(_read_export(path), anchors=anchors)


def _read_export(path: Path) -> Iterator[list[Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix == ".csv":
            reader = csv.reader(handle)
            if next(reader, None) != list(COLUMNS):
                raise ValueError(f"{path}: the header is not {','.join(COLUMNS)}")
            yield from ([int(r[0]), *map(unescape, r[1:])] for r in reader)
        else:
            for number, line in enumerate(handle, start=1):
                try:
                    item = json.loads(line)
                    yield [item[c] for c in COLUMNS]
                except (json.JSONDecodeError, KeyError, TypeError) as err:
                    raise ValueError(f"{path}, line {number}: not an audit event ({err})") from None
