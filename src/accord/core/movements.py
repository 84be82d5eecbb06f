"""Whether a movement may depart: every problem, by person and for the movement (issue #12 §3).

Pure: the facts of the movement and of each manifest entry, and ONE bulk screening of the whole
manifest on the departure date (the decision rows of ``screening.screen_population``), in; a list
of problems out. The Django use cases gather the facts and refuse departure while any is found.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "movements.toml"

# Review points a held place already answers (a full facility, a used-up quota): not a problem.
ANSWERED_BY_PLACE = frozenset({"capacity", "quota"})


@dataclass(frozen=True)
class Parameters:
    """Operator defaults of ``data/movements.toml``, each an assumption the sources do not give."""

    detainees_per_escort: int
    fitness_window_days: int
    default_payer: str


@cache
def parameters(path: Path = DATA) -> Parameters:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    ratio, window = int(data["escort_ratio"]["detainees_per_escort"]), int(data["fitness"]["window_days"])
    if ratio < 1 or window < 0:
        raise ValueError(f"{path}: detainees_per_escort must be at least 1 and window_days not negative")
    return Parameters(ratio, window, str(data["payer"]["default"]))


@dataclass(frozen=True)
class MovementFacts:
    receiving_state: str
    departure: dt.date
    seats: int
    escorts: int


@dataclass(frozen=True)
class EntryFacts:
    """One person on the manifest, as the case and the entry record them."""

    person_id: str
    case_id: int
    case_receiving_state: str
    accepted: bool  # the case is accepted/scheduled (the destination state accepted it)
    clause_id: str
    placement: str
    place_held: bool  # a place is held at the destination facility (or the clause needs none)
    on_hold: bool
    record_changed: tuple[str, ...]  # fields of the minimum record that differ from the one sent
    acknowledged_reviews: frozenset[str]
    travel_document: str  # "" when none recorded; else "issued" or "accepted"
    travel_document_state: str  # who issued or accepted it
    fit_to_travel_on: dt.date | None


@dataclass(frozen=True)
class Decision:
    """One row of ``screen_population`` for the person on the departure date."""

    outcome: str
    placement: str | None
    rules: tuple[str, ...]


# Problems that mean the case itself no longer stands (decision 0005: what was accepted is what
# moves): departure refused on them returns the case to the sending state, off the manifest.
NO_LONGER_STANDS = frozenset({"not_eligible", "record_changed"})


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    person_id: str = ""  # empty: a problem of the movement
    case_id: int | None = None


def validate(
    movement: MovementFacts,
    entries: Sequence[EntryFacts],
    decisions: Mapping[str, Decision],
    params: Parameters | None = None,
) -> list[Problem]:
    """Every reason the movement may not depart: person by person, then the movement's own."""
    params = params or parameters()
    problems: list[Problem] = []
    for entry in entries:
        problems.extend(_person(movement, entry, decisions.get(entry.person_id), params))
    if len(entries) > movement.seats:
        problems.append(Problem("seats", f"{len(entries)} people on the manifest, {movement.seats} seats"))
    needed = math.ceil(len(entries) / params.detainees_per_escort)
    if len(entries) and movement.escorts < needed:
        problems.append(
            Problem(
                "escorts",
                f"{movement.escorts} escorts for {len(entries)} people: at least {needed} needed "
                f"({params.detainees_per_escort} people per escort, an operator assumption)",
            )
        )
    return problems


def _person(movement: MovementFacts, entry: EntryFacts, decision: Decision | None, params: Parameters) -> list[Problem]:
    found: list[tuple[str, str]] = []
    if entry.on_hold:
        found.append(("hold", "a legal hold stops this move"))
    if not entry.accepted or entry.case_receiving_state != movement.receiving_state:
        found.append(("not_accepted", f"not accepted by the destination state ({movement.receiving_state})"))
    if decision is None:
        found.append(("not_eligible", f"not screened on {movement.departure}"))
    elif decision.outcome == "barred":
        found.append(("not_eligible", f"barred on {movement.departure}: {', '.join(decision.rules)}"))
    elif open_reviews := [r for r in decision.rules if r not in entry.acknowledged_reviews | ANSWERED_BY_PLACE]:
        found.append(
            (
                "not_eligible",
                f"review points on {movement.departure} no legal reviewer answered: {', '.join(open_reviews)}",
            )
        )
    elif decision.placement and decision.placement != entry.placement:
        found.append(
            ("not_eligible", f"placement on {movement.departure} is {decision.placement}, not {entry.placement}")
        )
    if not entry.place_held:
        found.append(("no_place", "no place reserved at the destination facility"))
    if entry.record_changed:
        found.append(("record_changed", f"record changed since acceptance ({', '.join(entry.record_changed)})"))
    if not entry.travel_document:
        found.append(("travel_document", "no travel document issued or accepted by the receiving state"))
    elif entry.travel_document_state != movement.receiving_state:
        found.append(
            ("travel_document", f"travel document from {entry.travel_document_state}, not the receiving state")
        )
    window = dt.timedelta(days=params.fitness_window_days)
    if entry.fit_to_travel_on is None:
        found.append(("fitness", "no fit-to-travel finding recorded"))
    elif not (movement.departure - window <= entry.fit_to_travel_on <= movement.departure):
        found.append(
            (
                "fitness",
                f"fit to travel recorded on {entry.fit_to_travel_on}, more than {params.fitness_window_days} days before departure",
            )
        )
    return [Problem(code, message, entry.person_id, entry.case_id) for code, message in found]


def decisions_by_person(rows: Iterable[Mapping[str, object]], separator: str = ";") -> dict[str, Decision]:
    """The decision rows of ``screen_population`` (one agreement), keyed by person id."""
    out = {}
    for row in rows:
        rules = str(row.get("rules") or "")
        placement = row.get("placement")
        out[str(row["person_id"])] = Decision(
            str(row["outcome"]), str(placement) if placement else None, tuple(r for r in rules.split(separator) if r)
        )
    return out


def counts(values: Iterable[str]) -> dict[str, int]:
    """How many of each value, most first (the manifest's counts by sex and by nationality)."""
    tally: dict[str, int] = {}
    for value in values:
        tally[value or "unknown"] = tally.get(value or "unknown", 0) + 1
    return dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))
