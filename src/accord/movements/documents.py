"""The movement's documents (issue #12 §6): the manifest as CSV and as a printable PDF, and a
handover receipt per person, with bilingual English/Spanish headings.

The documents are plain frozen dataclasses, built from what the reader may see (the selectors cut
the manifest by ``policy``) and rendered without further database reads. They carry the agreement
and clause of every person and never any protection or fear data: each line is built field by field
from a fixed list, and a validation problem that names screening rules is shown without them.
Operator parameters that the sources do not give are listed as assumptions on the PDF.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
import zoneinfo
from dataclasses import dataclass, field

from django.template.loader import render_to_string

from accord.accounts.models import User
from accord.core import movements as core
from accord.core.ledger import format_minor
from accord.core.screening import default_dataset
from accord.movements import policy
from accord.movements.models import ManifestEntry, Movement
from accord.movements.selectors import Manifest, manifest

# The CSV's header: one row per person, in this order, whatever the reader's role.
CSV_HEADER = (
    "movement_id",
    "agreement",
    "clause",
    "person_id",
    "name",
    "sex",
    "nationality",
    "placement",
    "facility",
    "status",
    "removed_on",
)

# Problems whose message names screening rules: the documents give the kind of problem, not the rules.
_RULE_NAMING = ("barred on", "review points on")


@dataclass(frozen=True)
class When:
    """A moment and the time zone it is read in (where the movement leaves or arrives)."""

    at: dt.datetime
    zone: str

    def local(self) -> str:
        here = self.at.astimezone(zoneinfo.ZoneInfo(self.zone))
        return f"{here:%Y-%m-%d %H:%M} {self.zone} (UTC{here:%z})"


@dataclass(frozen=True)
class Assumption:
    name: str
    value: str
    note: str


@dataclass(frozen=True)
class ManifestLine:
    person_ref: str  # the person id the reader may see
    name: str  # "" where the reader may not see names
    sex: str
    nationality: str
    agreement: str
    clause: str
    placement: str
    facility: str
    status: str  # the entry's status code
    status_label: str
    removed_on: str = ""  # ISO date a hold or a change took the person off
    do_not_receive: bool = False


@dataclass(frozen=True)
class ManifestDocument:
    movement_id: int
    agreement: str
    kind: str
    carrier: str
    flight_number: str
    origin: str
    destination_airport: str
    destination_facility: str
    planned_departure: When
    planned_arrival: When
    actual_departure: When | None
    actual_arrival: When | None
    payer: str
    payer_state: str
    seats: int
    escorts: int
    status: str
    lines: tuple[ManifestLine, ...] = ()
    transit_airports: str = ""  # IATA codes, comma-separated
    by_sex: tuple[tuple[str, int], ...] = ()
    by_nationality: tuple[tuple[str, int], ...] = ()
    problems: tuple[str, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    people_shown: bool = True  # False for finance and monitors: counts only
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def on_board(self) -> int:
        return sum(n for _, n in self.by_sex)

    @property
    def title(self) -> str:
        what = f"{self.carrier} {self.flight_number}".strip() or self.kind
        return f"{what} · {self.origin} → {self.destination_airport or self.destination_facility}"


@dataclass(frozen=True)
class HandoverReceipt:
    movement_id: int
    movement_title: str
    agreement: str
    clause: str
    person_ref: str
    name: str
    handed_over: bool
    at: When | None  # when handed over
    place: str
    official: str
    not_handed_over_reason: str = ""  # the reason's label
    note: str = ""
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


# --- building them from the database, as the reader may see it ----------------------------------


def assumptions(movement: Movement) -> tuple[Assumption, ...]:
    """The operator parameters the movement's checks used (data/movements.toml), each an assumption."""
    params = core.parameters()
    data = _notes()
    used = [
        Assumption("detainees_per_escort", str(params.detainees_per_escort), data.get("escort_ratio", "")),
        Assumption("fitness_window_days", str(params.fitness_window_days), data.get("fitness", "")),
    ]
    if movement.payer_state and movement.payer == params.default_payer and _payer_assumed(movement):
        used.append(Assumption("payer", params.default_payer, data.get("payer", "")))
    return tuple(used) + transit_fee_assumptions(movement)


def transit_fee_assumptions(movement: Movement) -> tuple[Assumption, ...]:
    """The per-passenger transit fees of the airports the movement transits, as in force on its
    departure day: their rate and list of nationalities are assumptions in the agreement data."""
    airports = set(movement.transit_list)
    day = movement.planned_departure.astimezone(zoneinfo.ZoneInfo(movement.departure_tz)).date()
    found: list[Assumption] = []
    for agreement in default_dataset().agreements.values():
        for term in agreement.fees:
            rate = term.rate_on(day) if airports & set(term.transit_airports) else None
            if rate is None or not (rate.assumption or term.nationalities_assumption):
                continue
            notes = " ".join(" ".join(n.split()) for n in (rate.note, term.note) if n)
            value = f"{format_minor(rate.amount_minor, term.currency)} × {'/'.join(term.transit_airports)}"
            found.append(Assumption(f"{agreement.id}.{term.id}", value, notes))
    return tuple(found)


def _notes() -> dict[str, str]:
    """Each section's note in data/movements.toml (what the assumption is and why)."""
    data = tomllib.loads(core.DATA.read_text(encoding="utf-8"))
    return {name: str(section.get("note", "")) for name, section in data.items() if isinstance(section, dict)}


def _payer_assumed(movement: Movement) -> bool:
    try:
        return default_dataset().transfer_agreement(movement.agreement_id).transport_paid_by is None
    except (KeyError, ValueError):
        return False


def manifest_document(movement: Movement, user: User, seen: Manifest | None = None) -> ManifestDocument:
    """The manifest document as ``user`` may see it (``seen``: the manifest already read)."""
    seen = seen or manifest(movement, user)
    lines = tuple(
        ManifestLine(
            person_ref=str(row["person_id"]),
            name=str(row["name"] or ""),
            sex=str(row["sex"] or ""),
            nationality=", ".join(row["nationalities"] or []),
            agreement=str(row["agreement"]),
            clause=str(row["clause"] or ""),
            placement=str(row["placement"] or ""),
            facility=str(row["facility"] or ""),
            status=str(row["status"]),
            status_label=str(row["status_label"]),
            removed_on=str(row["removed_on"] or ""),
            do_not_receive=bool(row["do_not_receive"]),
        )
        for row in seen.rows
    )
    problems = [p.message for p in seen.problems]
    for row in seen.rows:
        problems.extend(f"{row['person_id']}: {shown_problem(m)}" for m in row["checks"])
    return ManifestDocument(
        movement_id=movement.pk,
        agreement=movement.agreement_id,
        kind=str(movement.get_kind_display()),
        carrier=movement.carrier,
        flight_number=movement.flight_number,
        origin=movement.origin,
        destination_airport=movement.destination_airport,
        destination_facility=movement.destination_facility,
        transit_airports=", ".join(movement.transit_list),
        planned_departure=When(movement.planned_departure, movement.departure_tz),
        planned_arrival=When(movement.planned_arrival, movement.arrival_tz),
        actual_departure=When(movement.actual_departure, movement.departure_tz) if movement.actual_departure else None,
        actual_arrival=When(movement.actual_arrival, movement.arrival_tz) if movement.actual_arrival else None,
        payer=str(movement.get_payer_display()),
        payer_state=movement.payer_state,
        seats=movement.seats,
        escorts=movement.escorts,
        status=str(movement.get_status_display()),
        lines=lines,
        by_sex=tuple(seen.by_sex.items()),
        by_nationality=tuple(seen.by_nationality.items()),
        problems=tuple(problems),
        assumptions=assumptions(movement),
        people_shown=policy.sees_people(user),
    )


def shown_problem(message: str) -> str:
    """A validation problem as a document shows it: a message naming screening rules loses them."""
    if message.startswith(_RULE_NAMING) and ":" in message:
        return message.split(":", 1)[0] + " (see the case)"
    return message


def handover_receipt(entry: ManifestEntry, user: User) -> HandoverReceipt:
    """The receipt of one person's handover (or of their not being handed over)."""
    movement = entry.movement
    if not policy.may_see(user, movement) or not policy.sees_people(user):
        raise PermissionError(f"no manifest entry {entry.pk}")
    if entry.status not in (ManifestEntry.Status.HANDED_OVER, ManifestEntry.Status.NOT_HANDED_OVER):
        raise ValueError(f"entry {entry.pk} is {entry.get_status_display()}: no handover to give a receipt for")
    document = manifest_document(movement, user)
    line = next(x for x in document.lines if x.person_ref == entry.person.person_id)
    handed = entry.status == ManifestEntry.Status.HANDED_OVER
    return HandoverReceipt(
        movement_id=movement.pk,
        movement_title=document.title,
        agreement=line.agreement,
        clause=line.clause,
        person_ref=line.person_ref,
        name=line.name,
        handed_over=handed,
        at=When(entry.handed_over_at, movement.arrival_tz) if entry.handed_over_at else None,
        place=entry.handover_place,
        official=entry.receiving_official,
        not_handed_over_reason="" if handed else str(entry.get_not_handed_over_reason_display()),
        note="" if handed else entry.not_handed_over_note,
    )


# --- rendering ----------------------------------------------------------------------------------


def manifest_csv(document: ManifestDocument) -> str:
    """One row per person under ``CSV_HEADER`` (no rows for a reader who sees counts only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in document.lines:
        writer.writerow(
            (
                document.movement_id,
                line.agreement,
                line.clause,
                line.person_ref,
                line.name,
                line.sex,
                line.nationality,
                line.placement,
                line.facility,
                line.status,
                line.removed_on,
            )
        )
    return out.getvalue()


def manifest_html(document: ManifestDocument) -> str:
    return render_to_string("movements/manifest_pdf.html", {"doc": document})


def manifest_pdf(document: ManifestDocument) -> bytes:
    return _pdf(manifest_html(document))


def receipt_html(receipt: HandoverReceipt) -> str:
    return render_to_string("movements/receipt_pdf.html", {"r": receipt})


def receipt_pdf(receipt: HandoverReceipt) -> bytes:
    return _pdf(receipt_html(receipt))


def _pdf(html: str) -> bytes:
    import weasyprint  # loads Pango: only when a PDF is asked for

    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)
