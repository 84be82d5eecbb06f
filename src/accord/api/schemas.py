"""API shapes. Protection and fear fields appear only for roles that may see them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from accord.core.workflow import VIA_MOVEMENT, VIA_MOVEMENT_ONLY, CaseStep


def _no_nul(value: str) -> str:
    """PostgreSQL cannot store or compare text holding NUL: refuse it as bad input, not a 500."""
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain a NUL character")
    return value


# Text from a caller that reaches a database query: no NUL, and bounded (SQLite refuses LIKE
# patterns over 50,000 bytes; no id or name in Accord is longer than 200 characters).
Text = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_no_nul)]
Reason = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_no_nul)]
# An amount or count a caller posts to the ledger: a guard of the 64-bit columns, not a rule of
# any agreement. 10^15 minor units is over ten thousand times a full CECOT's year at the demo's
# assumed rate (8.0 x 10^10), and the sum of 9,000 such postings still fits a signed 64-bit integer.
LedgerInteger = Annotated[int, Field(ge=-(10**15), le=10**15)]


class ErrorOut(Schema):
    message: str
    field: str | None = None


class StoppingRuleOut(Schema):
    rule_id: str
    result: str
    reason: str
    citation: str


class RefusalOut(ErrorOut):
    """A refused step: nothing changed; ``rules`` are the rules that stopped it."""

    rules: list[StoppingRuleOut] = []


class PersonOut(Schema):
    person_id: str
    family_name: str
    given_names: str
    date_of_birth: dt.date | None
    sex: str | None
    nationalities: list[str]
    sending_state: str
    status: str | None
    removal_order: str | None
    legal_hold: bool | None
    conviction: str | None
    pending_charges: bool | None
    sentence_remaining_months: int | None
    gang: str | None
    gang_basis: str | None
    transfer_consent: bool | None


class PersonWithProtectionOut(PersonOut):
    """Country lists: [] is none, null unknown (format v2)."""

    protection: str | None
    protection_countries: list[str] | None
    fear_screened: list[str] | None
    fear_found: list[str] | None


class RuleResultOut(Schema):
    rule_id: str
    title: str
    result: str
    reason: str
    citation: str
    quote: str | None


class ScreeningOut(Schema):
    person_id: str
    agreement_id: str
    date: dt.date
    outcome: str
    placement: str | None
    clause_id: str | None
    data_version: str
    results: list[RuleResultOut]


class ScreenIn(Schema):
    """A person record in interchange-format cells, screened without being stored."""

    record: dict[str, Any]
    agreement_id: Text | None = None  # empty or absent: every transfer agreement
    date: dt.date | None = None


class FacilityOut(Schema):
    code: str
    name: str
    state: str
    kind: str
    capacity: int
    agreement_id: str
    suspended: bool
    held: int
    occupied: int
    free: int
    waiting: int


class ClauseOut(Schema):
    id: str
    title: str
    kind: str
    status: str
    start: dt.date | None
    end: dt.date | None
    placement: str
    monthly_quota: int | None
    source_document: str
    source_quote: str


class AgreementOut(Schema):
    id: str
    title: str
    kind: str
    sending_state: str
    receiving_state: str
    status: str
    start: dt.date | None
    end: dt.date | None
    transport_paid_by: str | None
    clauses: list[ClauseOut]


class CaseIn(Schema):
    person_id: Id
    agreement_id: Id


class CaseOut(Schema):
    """A case. For a receiving-state officer: the record their state was sent, ``state``
    ``returned`` for every state on the sending side, and no outcome, rules or screening date."""

    id: int
    person_id: str
    person_name: str
    nationalities: list[str]
    agreement_id: str
    receiving_state: str
    state: str
    outcome: str | None
    placement: str
    clause_id: str
    failing_rules: list[str]
    screened_on: dt.date | None
    data_version: str
    rules_version: str
    created_at: dt.datetime


class StepOut(Schema):
    step: str
    label: str
    needs_reason: bool
    help: str


class ReservationOut(Schema):
    facility: str | None
    status: str
    quota_month: str
    waitlist_position: int | None


class CaseDetailOut(CaseOut):
    explanation: list[RuleResultOut]
    legal_basis: dict[str, str] | None
    next_steps: list[StepOut]
    reservation: ReservationOut | None
    referral: dict[str, Any] | None
    scheduled_for: dt.date | None
    state_reason: str


def _not_via_movement(value: object) -> object:
    """A step only a movement takes is refused saying so, not as an unknown name."""
    if isinstance(value, str) and value in VIA_MOVEMENT:
        raise PydanticCustomError("via_movement", VIA_MOVEMENT_ONLY.format(step=value))
    return value


class StepIn(Schema):
    model_config = ConfigDict(extra="forbid")  # an option no step takes (a move date, say) is named, not ignored

    step: Annotated[CaseStep, BeforeValidator(_not_via_movement)] = Field(
        description="The step to take; GET the case's steps for those you may take now. Scheduling, departure "
        "and handover are taken with a movement (/api/v1/movements), never on one case."
    )
    reason: Reason = ""
    basis_kind: Text = Field(
        "",
        description='For "approve" of a prison placement abroad: the receiving state\'s legal basis to detain '
        "(conviction, charge or court_order).",
    )
    basis_reference: Text = Field("", description="The reference of that conviction, charge or order.")


class EventOut(Schema):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str


class ChainCheckOut(Schema):
    ok: bool
    events_checked: int
    head: str
    anchor: str = Field(description="SEQ:HASH of the last event verified: keep it outside Accord to check later")
    anchors_checked: int
    first_broken: int | None
    reason: str


class HoldOut(Schema):
    id: int
    person_id: str
    kind: str
    reference: str
    document_name: str
    document_sha256: str
    filed_by: str
    filed_at: dt.datetime
    active: bool
    lifted_by: str | None
    lifted_at: dt.datetime | None
    lift_reason: str


class HoldIn(Schema):
    kind: Text
    reference: Text
    note: Text = ""


class LiftIn(Schema):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(_no_nul)]


class CountOut(Schema):
    agreement_id: str
    state: str
    outcome: str
    count: int
