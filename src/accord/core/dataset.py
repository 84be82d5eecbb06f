"""Agreements, country conditions and the law catalogue as versioned, dated data.

Every file under ``accord/data`` is validated at load; a broken file is refused with a
``DataFileError`` naming the file, the key and the reason. Rule *logic* lives in
``accord.core.rules``; everything a source states (dates, quotas, capacities, citations) lives here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StrictInt,
    ValidationError,
    model_validator,
)

from accord.core.vocabulary import CONVICTIONS, COUNTRY_CODES, STATUSES

ModelT = TypeVar("ModelT", bound=BaseModel)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class DataFileError(ValueError):
    """A data file that cannot be loaded: which file, which key, and why."""

    def __init__(self, path: Path | str, key: str, reason: str) -> None:
        self.path, self.key, self.reason = str(path), key, reason
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + reason)


def _country(code: str) -> str:
    if code not in COUNTRY_CODES:
        raise ValueError(f"unknown country code {code!r} (ISO 3166-1 alpha-2, upper case)")
    return code


def _conviction(level: str) -> str:
    if level not in CONVICTIONS:
        raise ValueError(f"unknown conviction level {level!r}; one of {', '.join(CONVICTIONS)}")
    return level


def _status(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    return status


Country = Annotated[str, AfterValidator(_country)]
Conviction = Annotated[str, AfterValidator(_conviction)]
Status = Annotated[str, AfterValidator(_status)]


class _Strict(BaseModel):
    # Unknown keys are typos until proven otherwise: refuse them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(_Strict):
    """A passage of a source document (under ``../shared/sources/``) quoted verbatim."""

    document: str
    quote: str
    note: str | None = None
    assumption: bool = False


class Period(_Strict):
    """An effective period; ``end`` is the last day in force, inclusive, or open when absent."""

    start: dt.date | None = None
    end: dt.date | None = None

    @model_validator(mode="after")
    def _terminated_has_an_end(self) -> Period:
        if getattr(self, "status", None) == "terminated" and self.end is None:
            raise ValueError("a terminated agreement or clause needs the end of its period (its last day in force)")
        return self

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def contains(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class Acceptance(_Strict):
    """Whom a clause accepts. Every criterion given must hold; absent criteria do not restrict."""

    nationalities: list[Country] | None = None
    exclude_nationalities: list[Country] = []
    statuses: list[Status] | None = None
    exclude_statuses: list[Status] = []
    min_conviction: Conviction | None = None
    # Convictions at or above this but below min_conviction are sent to review, not refused.
    review_min_conviction: Conviction | None = None
    serving_sentence: bool | None = None


class Clause(Period):
    id: str
    title: str
    kind: Literal["removal", "sentenced_transfer", "prison_rental"]
    status: Literal["in_force", "offered", "terminated"]
    accepts: Acceptance
    placement: Literal["reception", "prison", "prison_if_convicted"]
    prison_min_conviction: Conviction = "felony"
    facility: str | None = None
    monthly_quota: int | None = None
    states_agreed: bool = False
    citation: Citation
    more_citations: list[Citation] = []
    note: str | None = None

    @property
    def route(self) -> Literal["removal", "transfer"]:
        """Removals follow removal law; the other kinds move prisoners and follow ETS 112."""
        return "removal" if self.kind == "removal" else "transfer"

    def in_force_on(self, day: dt.date) -> bool:
        """A terminated clause was in force until its end; an offered one never was."""
        return self.status != "offered" and self.contains(day)


class ParameterValue(_Strict):
    start: dt.date
    value: float
    assumption: bool = False
    note: str | None = None
    citation: Citation | None = None

    @model_validator(mode="after")
    def _assumption_explained(self) -> ParameterValue:
        if self.assumption and not self.note:
            raise ValueError("an assumed value needs a note saying why and on what basis")
        return self


class Parameter(_Strict):
    """A dated parameter (OpenFisca style): the value in force is the latest ``start`` <= day."""

    unit: str
    description: str
    values: list[ParameterValue]

    def at(self, day: dt.date) -> ParameterValue | None:
        candidates = [v for v in self.values if v.start <= day]
        return max(candidates, key=lambda v: v.start) if candidates else None


class Facility(_Strict):
    id: str
    name: str
    kind: Literal["prison", "reception", "detention"]
    state: Country
    capacity: int
    citation: Citation


def _currency(code: str) -> str:
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise ValueError(f"currency {code!r} is not an ISO 4217 code (three capital letters)")
    return code


Currency = Annotated[str, AfterValidator(_currency)]


def _airport(code: str) -> str:
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise ValueError(f"airport {code!r} is not an IATA code (three capital letters)")
    return code


Airport = Annotated[str, AfterValidator(_airport)]


class FeeRate(_Strict):
    """One dated amount of a fee term, in integer minor units of the term's currency (cents for
    USD): never a float. In force from ``start`` until the next rate's start."""

    start: dt.date
    amount_minor: StrictInt
    # A place-year fee's number of contracted places from ``start`` (the amount is per place and year).
    places: StrictInt | None = None
    assumption: bool = False
    note: str | None = None
    citation: Citation | None = None

    @model_validator(mode="after")
    def _valid(self) -> FeeRate:
        if self.amount_minor < 0:
            raise ValueError(f"amount_minor {self.amount_minor} is negative")
        if self.places is not None and self.places < 0:
            raise ValueError(f"places {self.places} is negative")
        if self.assumption and not self.note:
            raise ValueError("an assumed amount needs a note saying why and on what basis")
        return self


class FeeTerm(_Strict):
    """What one party pays another under an agreement: per person-day of occupancy in a facility,
    per place and year for a number of contracted places in a facility (prorated by day), or per passenger of a listed nationality on a movement transiting one of ``transit_airports``
    (a transit fee). Read by ``core.ledger``."""

    id: str
    kind: Literal["person_day", "place_year", "per_passenger"]
    facility: str | None = None
    payer: Country
    payee: Country
    currency: Currency
    nationalities: list[Country] = []
    nationalities_assumption: bool = False
    # Where a per-passenger fee is charged: a movement whose transit airports include one of these.
    transit_airports: list[Airport] = []
    # Whether places held but not (yet) occupied are billed, per place-day at the person-day rate
    # (``core.ledger.accrue_held``); unknown in every source so far.
    bill_reserved_places: bool = False
    bill_reserved_places_assumption: bool = True
    note: str | None = None
    rates: list[FeeRate]

    @model_validator(mode="after")
    def _consistent(self) -> FeeTerm:
        if not self.rates:
            raise ValueError(f"fee {self.id}: needs at least one rate")
        starts = [r.start for r in self.rates]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError(f"fee {self.id}: rates must be in increasing order of start, one per day")
        if self.kind in ("person_day", "place_year") and not self.facility:
            raise ValueError(f"fee {self.id}: a {self.kind.replace('_', '-')} fee names its facility")
        if self.kind == "place_year" and any(r.places is None for r in self.rates):
            raise ValueError(f"fee {self.id}: every rate of a place-year fee gives its number of places")
        if self.kind != "place_year" and any(r.places is not None for r in self.rates):
            raise ValueError(f"fee {self.id}: only a place-year fee's rates give places")
        if self.kind == "per_passenger" and not self.nationalities:
            raise ValueError(f"fee {self.id}: a per-passenger fee lists the nationalities it applies to")
        if self.kind == "per_passenger" and not self.transit_airports:
            raise ValueError(f"fee {self.id}: a per-passenger fee names the transit_airports where it is charged")
        if self.kind != "per_passenger" and (self.transit_airports or self.nationalities):
            raise ValueError(f"fee {self.id}: only a per-passenger fee has nationalities and transit_airports")
        if self.bill_reserved_places and self.kind != "person_day":
            raise ValueError(f"fee {self.id}: only a person-day fee bills reserved-but-empty places")
        return self

    def rate_on(self, day: dt.date) -> FeeRate | None:
        candidates = [r for r in self.rates if r.start <= day]
        return candidates[-1] if candidates else None


class Agreement(Period):
    id: str
    title: str
    kind: Literal["transfer", "non_transfer"]
    sending_state: Country
    receiving_state: Country
    status: Literal["in_force", "offered", "terminated"]
    transport_paid_by: Country | None = None
    summary: str
    start_citation: Citation
    facilities: list[Facility] = []
    parameters: dict[str, Parameter] = {}
    fees: list[FeeTerm] = []
    clauses: list[Clause] = []

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        _unique("clauses", [c.id for c in self.clauses])
        _unique("facilities", [f.id for f in self.facilities])
        _unique("fees", [f.id for f in self.fees])
        facility_ids = {f.id for f in self.facilities}
        for i, fee in enumerate(self.fees):
            if fee.facility is not None and fee.facility not in facility_ids:
                raise ValueError(f"fees[{i}] ({fee.id}): facility {fee.facility!r} is not listed under [[facilities]]")
        for i, clause in enumerate(self.clauses):
            if clause.placement != "reception" and clause.facility not in facility_ids:
                raise ValueError(
                    f"clauses[{i}] ({clause.id}): placement {clause.placement!r} needs a facility "
                    f"listed under [[facilities]], got {clause.facility!r}"
                )
        if self.kind == "transfer" and not self.clauses:
            raise ValueError("a transfer agreement needs at least one clause")
        return self

    def clause(self, clause_id: str) -> Clause:
        return next(c for c in self.clauses if c.id == clause_id)

    def facility(self, facility_id: str) -> Facility:
        return next(f for f in self.facilities if f.id == facility_id)


class Condition(Period):
    destination: Country
    acceptance: Literal["normal", "limited", "suspended"]
    citation: Citation
    note: str | None = None


class Conditions(_Strict):
    id: str
    sending_state: Country
    entries: list[Condition]

    def acceptance(self, destination: str, day: dt.date) -> Condition | None:
        """The condition in force for a destination on a day (the strictest if several)."""
        matches = [e for e in self.entries if e.destination == destination and e.contains(day)]
        order = {"suspended": 0, "limited": 1, "normal": 2}
        return min(matches, key=lambda e: order[e.acceptance]) if matches else None


class RuleInfo(Period):
    """What the catalogue says of one rule: its title, citation and plain-words explanation."""

    id: str
    title: str
    citation: str
    explanation: str
    source: Citation | None = None
    policy: str | None = None


class Policy(_Strict):
    """A compliance policy that may be switched off only in data, with a reason and a citation."""

    enabled: bool = True
    note: str | None = None
    disabled_reason: str | None = None
    disabled_citation: str | None = None

    @model_validator(mode="after")
    def _disabling_is_justified(self) -> Policy:
        if not self.enabled and not (self.disabled_reason and self.disabled_citation):
            raise ValueError("a disabled policy needs disabled_reason and disabled_citation")
        return self


class CourtOrder(Period):
    """A court's order that changes what a rule decides while it is in force (dated data: a new
    order, a stay or a vacatur is a new entry or a new ``end``, never a change of code)."""

    id: str
    court: str
    docket: str
    rule: str  # the rule the order binds
    requires: str  # what it requires, in words shown in the rule's reason
    citation: str
    note: str | None = None

    @model_validator(mode="after")
    def _has_a_start(self) -> CourtOrder:
        if self.start is None:
            raise ValueError("a court order needs the date it took effect (start)")
        return self


class OnwardReturn(Period):
    """A receiving state recorded as sending people on to another country (a chain refoulement
    risk, CAT Committee General Comment No. 4 (2017) ¶12), with the report it rests on."""

    receiving_state: Country
    returns_to: list[Country]
    reference: str  # publisher (or record) and date: a fact reported after the seed sources
    note: str | None = None


class LawParameter(_Strict):
    value: float
    unit: str
    citation: str


class Ruleset(_Strict):
    id: str
    title: str
    jurisdiction: str
    rules: list[RuleInfo]
    parameters: dict[str, LawParameter] = {}
    policies: dict[str, Policy] = {}
    court_orders: list[CourtOrder] = []
    onward_returns: list[OnwardReturn] = []

    @model_validator(mode="after")
    def _policies_exist(self) -> Ruleset:
        _unique("rules", [r.id for r in self.rules])
        _unique("court_orders", [o.id for o in self.court_orders])
        for rule in self.rules:
            if rule.policy and rule.policy not in self.policies:
                raise ValueError(f"rule {rule.id} names policy {rule.policy!r}, not defined")
        for order in self.court_orders:
            if order.rule not in {r.id for r in self.rules}:
                raise ValueError(f"court order {order.id} binds rule {order.rule!r}, not in this ruleset")
        return self


def _unique(what: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate id {item!r} in {what}")
        seen.add(item)


@dataclass(frozen=True)
class Dataset:
    """Everything the rules read, with a version that changes when any file changes."""

    agreements: dict[str, Agreement]
    conditions: dict[str, Conditions]
    rulesets: dict[str, Ruleset]
    version: str
    files: tuple[Path, ...] = field(repr=False)

    def agreement(self, agreement_id: str) -> Agreement:
        try:
            return self.agreements[agreement_id]
        except KeyError:
            known = ", ".join(sorted(self.agreements))
            raise UnknownAgreementError(f"unknown agreement {agreement_id!r}; known: {known}") from None

    def transfer_agreement(self, agreement_id: str) -> Agreement:
        """An agreement that moves people in custody; others cannot be screened."""
        agreement = self.agreement(agreement_id)
        if agreement.kind != "transfer":
            raise ValueError(f"agreement {agreement_id!r} is not a transfer of people in custody: nothing to screen")
        return agreement

    def transfer_agreements(self) -> list[Agreement]:
        return [a for a in self.agreements.values() if a.kind == "transfer"]

    def rule_info(self, rule_id: str) -> RuleInfo:
        for ruleset in self.rulesets.values():
            for info in ruleset.rules:
                if info.id == rule_id:
                    return info
        raise KeyError(rule_id)

    def law_parameter(self, name: str) -> float:
        for ruleset in self.rulesets.values():
            if name in ruleset.parameters:
                return ruleset.parameters[name].value
        raise KeyError(name)

    def policy(self, name: str) -> Policy:
        for ruleset in self.rulesets.values():
            if name in ruleset.policies:
                return ruleset.policies[name]
        raise KeyError(name)

    def court_orders_for(self, rule_id: str, day: dt.date) -> list[CourtOrder]:
        """The court orders binding a rule on a day."""
        return [o for r in self.rulesets.values() for o in r.court_orders if o.rule == rule_id and o.contains(day)]

    def onward_returns(self, receiving_state: str, day: dt.date) -> list[OnwardReturn]:
        """What is recorded of the receiving state sending people on, in force on a day."""
        return [
            o
            for r in self.rulesets.values()
            for o in r.onward_returns
            if o.receiving_state == receiving_state and o.contains(day)
        ]

    def conditions_for(self, sending_state: str) -> Conditions | None:
        return next((c for c in self.conditions.values() if c.sending_state == sending_state), None)


class UnknownAgreementError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise DataFileError(path, "", f"not valid TOML: {err}") from None


def _parse(model: type[ModelT], path: Path) -> ModelT:
    try:
        return model.model_validate(_read_toml(path))
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(file)"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise DataFileError(path, key, first["msg"] + more) from None


def load_dataset(data_dir: Path = DATA_DIR, extra_agreements: Iterable[Path] = ()) -> Dataset:
    """Load and validate every data file; the version is a hash of their bytes.

    ``extra_agreements`` adds agreement files from elsewhere (test fixtures, drafts under study).
    """
    extra = tuple(sorted(extra_agreements))
    files = sorted(data_dir.glob("*/*.toml")) + list(extra)
    agreements: dict[str, Agreement] = {}
    conditions: dict[str, Conditions] = {}
    rulesets: dict[str, Ruleset] = {}
    for path in files:
        folder = "agreements" if path in extra else path.parent.name
        item: Agreement | Conditions | Ruleset
        if folder == "agreements":
            item = agreement = _parse(Agreement, path)
            if agreement.id in agreements:
                raise DataFileError(path, "id", f"agreement {agreement.id!r} is defined twice")
            agreements[agreement.id] = agreement
        elif folder == "conditions":
            item = condition = _parse(Conditions, path)
            conditions[condition.id] = condition
        elif folder == "law":
            item = ruleset = _parse(Ruleset, path)
            rulesets[ruleset.id] = ruleset
        else:
            raise DataFileError(path, "", f"unexpected folder {folder!r}")
        if item.id != path.stem:
            raise DataFileError(path, "id", f"id {item.id!r} must equal the file name {path.stem!r}")
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.parent.name}/{path.name}".encode() + b"\0" + path.read_bytes())
    return Dataset(agreements, conditions, rulesets, digest.hexdigest()[:16], tuple(files))


def all_citations(dataset: Dataset) -> list[tuple[str, Citation]]:
    """Every quoted passage with where it is cited, for checking quotes against their sources."""
    found: list[tuple[str, Citation]] = []
    for agreement in dataset.agreements.values():
        found.append((f"{agreement.id}.start_citation", agreement.start_citation))
        for facility in agreement.facilities:
            found.append((f"{agreement.id}.facilities.{facility.id}", facility.citation))
        for name, parameter in agreement.parameters.items():
            for value in parameter.values:
                if value.citation:
                    found.append((f"{agreement.id}.parameters.{name}", value.citation))
        for fee in agreement.fees:
            for rate in fee.rates:
                if rate.citation:
                    found.append((f"{agreement.id}.fees.{fee.id}", rate.citation))
        for clause in agreement.clauses:
            for citation in [clause.citation, *clause.more_citations]:
                found.append((f"{agreement.id}/{clause.id}", citation))
    for cond in dataset.conditions.values():
        for entry in cond.entries:
            found.append((f"{cond.id}.{entry.destination}", entry.citation))
    for ruleset in dataset.rulesets.values():
        for info in ruleset.rules:
            if info.source:
                found.append((info.id, info.source))
    return found
