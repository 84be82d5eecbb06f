"""Rules that apply to every agreement: its terms, placement, conditions, places and transfers.

Citations and parameters (adult age, months left for a transfer) are in ``data/law/general.toml``.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from accord.core.dataset import Agreement, Clause
from accord.core.rules.clauses import MATCH, MAYBE, clause_id
from accord.core.rules.engine import Branch, Context, Person, Result, rule

BOTH = ("removal", "transfer")
clause = pl.col("_clause")
prison = pl.col("_placement") == "prison"


def _when_in_force(item: Agreement | Clause, ctx: Context) -> str:
    if item.status == "offered":
        return "was only offered, never accepted: it is not in force"
    return f"is in force from {item.start or 'the start'} to {item.end or 'no set end'}, not on {ctx.date}"


@rule("agreement/sending-state", routes=BOTH, needs=("sending_state",))
def sending_state(ctx: Context) -> Sequence[Branch] | str:
    sending = ctx.agreement.sending_state
    return [
        Branch(
            pl.col("sending_state") != sending,
            Result.BARRED,
            lambda p: f"Held by {p['sending_state']}; this agreement moves only people held by {sending}",
        ),
        Branch(pl.col("sending_state") == sending, Result.PASS, f"Held by {sending}, the sending state"),
    ]


@rule("agreement/in-force", routes=BOTH)
def in_force(ctx: Context) -> Sequence[Branch] | str:
    agreement = ctx.agreement
    if agreement.status == "offered" or not agreement.contains(ctx.date):
        return [Branch(pl.lit(True), Result.BARRED, f"The agreement {_when_in_force(agreement, ctx)}")]
    not_in_force = {
        i: f"covered only by clause {c.id}, which {_when_in_force(c, ctx)}" for i, c in enumerate(agreement.clauses)
    }
    return [
        Branch(clause.is_null(), Result.NOT_APPLICABLE, "No clause covers the person (see agreement/covered)"),
        Branch(
            pl.col("_clause_in_force"),
            Result.PASS,
            lambda p: f"The agreement and clause {clause_id(ctx, p)} are in force on {ctx.date}",
        ),
        Branch(~pl.col("_clause_in_force"), Result.BARRED, lambda p: "The person is " + not_in_force[p["_clause"]]),
    ]


@rule("agreement/covered", routes=BOTH)
def covered(ctx: Context) -> Sequence[Branch] | str:
    names = ", ".join(c.id for c in ctx.agreement.clauses)
    return [
        Branch(clause.is_null(), Result.BARRED, f"The person falls under none of the clauses ({names})"),
        Branch(
            ~pl.col("_clause_in_force"),
            Result.NOT_APPLICABLE,
            lambda p: (
                f"Only clause {clause_id(ctx, p)} covers the person and it is not in force (see agreement/in-force)"
            ),
        ),
        Branch(pl.col("_match") == MATCH, Result.PASS, lambda p: f"Covered by clause {clause_id(ctx, p)}"),
        Branch(
            pl.col("_match") == MAYBE,
            Result.REVIEW,
            lambda p: f"Clause {clause_id(ctx, p)} may cover the person: a requirement is unknown or only partly met",
        ),
    ]


@rule("law/unmodelled", routes=BOTH)
def unmodelled(ctx: Context) -> Sequence[Branch] | str:
    sending = ctx.agreement.sending_state
    if sending == "US":
        return "US law is modelled (us/* rules)"
    return [
        Branch(pl.lit(True), Result.REVIEW, f"The law of {sending} is not modelled: a lawyer must confirm the move")
    ]


@rule("law/own-national", routes=("removal",))
def own_national(ctx: Context) -> Sequence[Branch] | str:
    sending = ctx.agreement.sending_state
    if sending == "US":
        return "For removals from the US, us/citizen applies"
    return [
        Branch(
            pl.col("nationalities").list.contains(sending),
            Result.BARRED,
            f"A national of {sending}, the sending state: no state expels its own nationals",
        ),
        Branch(pl.lit(True), Result.PASS, f"Not a national of {sending}, the sending state"),
    ]


@rule("law/non-refoulement", routes=BOTH, needs=("fear_found", "protection_countries"))
def non_refoulement(ctx: Context) -> Sequence[Branch] | str:
    dest = ctx.destination
    found, protected = pl.col("fear_found"), pl.col("protection_countries")
    us_removal = (pl.col("_route") == "removal") & pl.lit(ctx.agreement.sending_state == "US")
    return [
        Branch(us_removal, Result.NOT_APPLICABLE, "For removals from the US, us/withholding and us/fear apply"),
        Branch(
            found.list.contains(dest) | protected.list.contains(dest),
            Result.BARRED,
            f"A credible fear of {dest} was found, or protection granted for it: no return there",
        ),
        Branch(
            found.is_not_null() & protected.is_not_null(),
            Result.PASS,
            f"No credible fear of {dest} found and no protection granted for it",
        ),
    ]


@rule("law/legal-hold", routes=BOTH, needs=("legal_hold",))
def any_legal_hold(ctx: Context) -> Sequence[Branch] | str:
    if ctx.agreement.sending_state == "US":
        return "For removals from the US, us/legal-hold applies"
    hold = pl.col("legal_hold")
    return [
        Branch(hold == True, Result.BARRED, "A court order or other legal hold is recorded: nobody is moved past it"),  # noqa: E712
        Branch(hold == False, Result.PASS, "No legal hold is recorded"),  # noqa: E712
    ]


@rule("placement/minor", routes=BOTH, needs=("date_of_birth",))
def minor(ctx: Context) -> Sequence[Branch] | str:
    adult, child = pl.col("_adult") == True, pl.col("_adult") == False  # noqa: E712
    with_alternative = {i for i, c in enumerate(ctx.agreement.clauses) if c.placement == "prison_if_convicted"}
    dest = ctx.destination
    own_country = pl.col("nationalities").list.contains(dest)
    return [
        Branch(clause.is_null(), Result.NOT_APPLICABLE, "No clause, so no placement"),
        Branch(prison & child, Result.BARRED, f"Under 18 on {ctx.date} and prison is the only placement"),
        Branch(
            child & ~own_country & (pl.col("_route") == "removal"),
            Result.REVIEW,
            f"Under 18 on {ctx.date} and removed to {dest}, not a country of theirs: a legal reviewer decides "
            "the child's best interests and safe return",
        ),
        Branch(
            ~prison & child & clause.is_in(list(with_alternative)),
            Result.PASS,
            f"Under 18 on {ctx.date}: placed in reception, never in prison",
        ),
        Branch(~prison & (own_country | adult), Result.NOT_APPLICABLE, "Not a prison placement"),
        Branch(adult, Result.PASS, f"18 or older on {ctx.date}"),
    ]


@rule("placement/legal-basis", routes=("removal",))
def legal_basis(ctx: Context) -> Sequence[Branch] | str:
    receiving = ctx.agreement.receiving_state
    return [
        Branch(clause.is_null() | ~prison, Result.NOT_APPLICABLE, "Not a prison placement"),
        Branch(
            prison,
            Result.REVIEW,
            f"A prison placement in {receiving} of a person not transferred as a sentenced person: the legal "
            f"reviewer records {receiving}'s own legal basis to detain (its conviction, charge or court order) with a reference",
        ),
    ]


@rule("placement/convicted-only", routes=BOTH, needs=("conviction",))
def convicted_only(ctx: Context) -> Sequence[Branch] | str:
    rank = pl.col("_conv")

    def allegation_note(p: Person) -> str:
        return " (gang membership by allegation does not count)" if p.get("gang_basis") == "allegation" else ""

    alternative = [i for i, c in enumerate(ctx.agreement.clauses) if c.placement == "prison_if_convicted"]
    return [
        Branch(
            clause.is_in(alternative) & ~prison & rank.is_null(),
            Result.REVIEW,
            "The placement (prison or reception) turns on the final conviction, which is unknown",
        ),
        Branch(clause.is_null() | ~prison, Result.NOT_APPLICABLE, "Not a prison placement"),
        Branch(
            rank == 0,
            Result.BARRED,
            lambda p: "Prison placement needs a final conviction; there is none" + allegation_note(p),
        ),
        Branch(rank > 0, Result.PASS, lambda p: f"Final conviction: {p['conviction']}" + allegation_note(p)),
    ]


@rule("country/conditions", routes=("removal",))
def conditions(ctx: Context) -> Sequence[Branch] | str:
    table = ctx.dataset.conditions_for(ctx.agreement.sending_state)
    entry = table.acceptance(ctx.destination, ctx.date) if table else None
    if entry is None or entry.acceptance == "normal":
        return [Branch(pl.lit(True), Result.PASS, f"No limitation on removals to {ctx.destination} on {ctx.date}")]
    why = f"Removals to {ctx.destination} are {entry.acceptance} ({entry.citation.document}: “{entry.citation.quote}”)"
    result = Result.BARRED if entry.acceptance == "suspended" else Result.REVIEW
    return [Branch(pl.lit(True), result, why)]


def _per_facility(ctx: Context, decide: dict[str, tuple[Result, str]], fallback: str) -> list[Branch]:
    """Branches for prison placements, one per facility the agreement's clauses place into."""
    branches = [Branch(clause.is_null() | ~prison, Result.NOT_APPLICABLE, fallback)]
    for i, c in enumerate(ctx.agreement.clauses):
        if c.facility in decide:
            result, why = decide[c.facility]
            branches.append(Branch(clause == i, result, why))
    return branches


@rule("country/onward-return", routes=("removal",), needs=("fear_found", "protection_countries"))
def onward_return(ctx: Context) -> Sequence[Branch] | str:
    receiving = ctx.agreement.receiving_state
    records = ctx.dataset.onward_returns(receiving, ctx.date)
    if not records:
        return [Branch(pl.lit(True), Result.PASS, f"No onward returns by {receiving} are recorded on {ctx.date}")]
    found, protected = pl.col("fear_found"), pl.col("protection_countries")
    branches = [
        Branch(
            pl.col("nationalities").list.contains(receiving),
            Result.NOT_APPLICABLE,
            f"{receiving} is one of the person's nationalities: not a third-country removal",
        )
    ]
    for record in records:
        for country in record.returns_to:
            branches.append(
                Branch(
                    found.list.contains(country) | protected.list.contains(country),
                    Result.REVIEW,
                    f"{receiving} is recorded as returning people onward to {country} ({record.reference}), and the "
                    f"person has a credible fear or protection for {country}: a legal reviewer decides",
                )
            )
    onward = ", ".join(c for record in records for c in record.returns_to)
    branches.append(
        Branch(
            found.is_not_null() & protected.is_not_null(),
            Result.PASS,
            f"No credible fear or protection for {onward}, where {receiving} is recorded as returning people",
        )
    )
    return branches


@rule("facility/suspended", routes=BOTH)
def facility_suspended(ctx: Context) -> Sequence[Branch] | str:
    decide = {}
    for facility in ctx.agreement.facilities:
        if ctx.usage.facility(facility.id).suspended:
            decide[facility.id] = (Result.BARRED, f"{facility.name} is suspended after a failed inspection")
        else:
            decide[facility.id] = (Result.PASS, f"{facility.name} is not suspended")
    return _per_facility(ctx, decide, "Not a prison placement")


@rule("capacity", routes=BOTH)
def capacity(ctx: Context) -> Sequence[Branch] | str:
    decide = {}
    for facility in ctx.agreement.facilities:
        use = ctx.usage.facility(facility.id)
        places = facility.capacity if use.capacity is None else use.capacity
        free = places - use.occupied - use.reserved
        counts = f"capacity {places:,}, occupied {use.occupied:,}, reserved {use.reserved:,}"
        if free > 0:
            decide[facility.id] = (Result.PASS, f"{facility.name}: {free:,} places free ({counts})")
        else:
            decide[facility.id] = (Result.REVIEW, f"{facility.name} is full ({counts}): waitlist")
    return _per_facility(ctx, decide, "Not a prison placement")


@rule("quota", routes=BOTH)
def quota(ctx: Context) -> Sequence[Branch] | str:
    month = ctx.date.strftime("%Y-%m")
    branches = [Branch(clause.is_null(), Result.NOT_APPLICABLE, "No clause, so no quota")]
    for i, c in enumerate(ctx.agreement.clauses):
        if c.monthly_quota is None:
            continue
        used = ctx.usage.quota_used.get((ctx.agreement.id, c.id, month), 0)
        counts = f"{used:,} of {c.monthly_quota:,} used in {month}"
        if used < c.monthly_quota:
            branches.append(Branch(clause == i, Result.PASS, f"Clause {c.id} quota: {counts}"))
        else:
            branches.append(Branch(clause == i, Result.REVIEW, f"Clause {c.id} quota exhausted: {counts}; waitlist"))
    branches.append(Branch(pl.lit(True), Result.NOT_APPLICABLE, "The covering clause sets no quota"))
    return branches


@rule("transfer/nationality", routes=("transfer",))
def transfer_nationality(ctx: Context) -> Sequence[Branch] | str:
    dest = ctx.destination
    held = pl.col("nationalities").list.contains(dest)
    return [
        Branch(held, Result.PASS, f"The prisoner is a national of {dest}, the receiving state"),
        Branch(
            ~held,
            Result.BARRED,
            lambda p: f"The prisoner is not a national of {dest} (nationalities {';'.join(p['nationalities'])})",
        ),
    ]


@rule("transfer/final-judgment", routes=("transfer",), needs=("conviction", "pending_charges"))
def transfer_final_judgment(ctx: Context) -> Sequence[Branch] | str:
    rank, pending = pl.col("_conv"), pl.col("pending_charges")
    return [
        Branch(rank == 0, Result.BARRED, "No final conviction to transfer"),
        Branch(pending == True, Result.BARRED, "A charge or appeal is pending: the judgment is not final"),  # noqa: E712
        Branch((rank > 0) & (pending == False), Result.PASS, "The judgment is final with nothing pending"),  # noqa: E712
    ]


@rule("transfer/remaining", routes=("transfer",))
def transfer_remaining(ctx: Context) -> Sequence[Branch] | str:
    minimum = int(ctx.dataset.law_parameter("transfer_min_remaining_months"))
    months = pl.col("sentence_remaining_months")
    return [
        Branch(months == 0, Result.BARRED, "Not serving a sentence"),
        Branch(
            months < minimum,
            Result.BARRED,
            lambda p: f"{p['sentence_remaining_months']} months left: fewer than the {minimum} required",
        ),
        Branch(
            months >= minimum,
            Result.PASS,
            lambda p: f"{p['sentence_remaining_months']} months left (at least {minimum})",
        ),
    ]


@rule("transfer/consent", routes=("transfer",), needs=("transfer_consent",))
def transfer_consent(ctx: Context) -> Sequence[Branch] | str:
    consent = pl.col("transfer_consent")
    return [
        Branch(consent == True, Result.PASS, "The prisoner consents to the transfer"),  # noqa: E712
        Branch(consent == False, Result.BARRED, "The prisoner does not consent to the transfer"),  # noqa: E712
    ]


@rule("transfer/states-agree", routes=("transfer",))
def transfer_states_agree(ctx: Context) -> Sequence[Branch] | str:
    agreed = [i for i, c in enumerate(ctx.agreement.clauses) if c.states_agreed]
    return [
        Branch(clause.is_in(agreed), Result.PASS, "Both states' agreement to the transfer is recorded"),
        Branch(pl.lit(True), Result.REVIEW, "Both states' agreement to the transfer is not recorded"),
    ]
