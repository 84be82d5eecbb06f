"""United States removal law (DESIGN.md §3), applied when the sending state is the US.

Citations, effective dates and the court orders that bind a rule are in ``data/law/us.toml``;
this module holds only the logic. Every rule passes only on known facts: an unknown one falls
through to review.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from accord.core.rules.engine import Branch, Context, Person, Result, rule
from accord.core.vocabulary import US_NATIONAL_STATUSES, US_NATIONALITY_CODES

status = pl.col("status")
protection = pl.col("protection")
months = pl.col("sentence_remaining_months")
prison = pl.col("_placement") == "prison"


def _us_only(ctx: Context) -> str | None:
    sending = ctx.agreement.sending_state
    return None if sending == "US" else f"US law applies to removals from the US; this agreement removes from {sending}"


def _dest_in(column: str, ctx: Context) -> pl.Expr:
    return pl.col(column).list.contains(ctx.destination)


def _listed(p: Person, column: str) -> str:
    values = p.get(column)
    return "unknown" if values is None else ";".join(values) or "none"


def us_nationality() -> pl.Expr:
    """Holds US nationality by a nationality code: the US or one of its territories."""
    return pl.col("nationalities").list.eval(pl.element().is_in(US_NATIONALITY_CODES)).list.any()


@rule("us/citizen", routes=("removal",), needs=("status",))
def citizen(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    by_code, by_status = us_nationality(), status.is_in(US_NATIONAL_STATUSES)

    def why(p: Person) -> str:
        codes = [c for c in p["nationalities"] if c in US_NATIONALITY_CODES]
        if codes:
            territory = [c for c in codes if c != "US"]
            how = f"nationality {';'.join(codes)}" + (" (a US territory: US nationality)" if territory else "")
        else:  # the status alone: a record that names no US nationality contradicts itself
            how = f"status {p['status']} with no US nationality recorded (the record should be corrected)"
        return f"A US citizen or national is never removed: {how}"

    return [
        Branch((by_code | by_status).fill_null(False), Result.BARRED, why),
        Branch(status.is_not_null(), Result.PASS, lambda p: f"Not a US citizen or national: status {p['status']}"),
    ]


@rule("us/asylee-refugee", routes=("removal",), needs=("status", "protection"))
def asylee_refugee(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    return [
        Branch(
            ((status == "asylee") | (protection == "asylum_granted")).fill_null(False),
            Result.BARRED,
            lambda p: (
                f"Asylum protects from removal until it is terminated (status {p['status'] or 'unknown'}, "
                f"protection {p['protection'] or 'unknown'})"
            ),
        ),
        Branch(
            status == "refugee",
            Result.REVIEW,
            "A refugee is removed only after removal proceedings (Matter of D-K-): a legal reviewer decides",
        ),
        Branch(
            status.is_not_null() & protection.is_not_null(),
            Result.PASS,
            lambda p: f"Neither asylee nor refugee (status {p['status']}, protection {p['protection']})",
        ),
    ]


@rule("us/tps", routes=("removal",), needs=("status",))
def temporary_protected(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    return [
        Branch(
            status == "temporary_protected", Result.BARRED, "Temporary Protected Status: not removable while it lasts"
        ),
        Branch(status.is_not_null(), Result.PASS, lambda p: f"No Temporary Protected Status (status {p['status']})"),
    ]


DEFERRED = {
    "deferred_action": "Deferred action (DACA or other) is in force",
    "u_visa": "U nonimmigrant status (a victim of crime) is in force",
    "t_visa": "T nonimmigrant status (a victim of trafficking) is in force",
}


@rule("us/deferred", routes=("removal",), needs=("status",))
def deferred(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    return [
        Branch(
            status.is_in(list(DEFERRED)),
            Result.BARRED,
            lambda p: f"{DEFERRED[p['status']]}: not removed while it lasts",
        ),
        Branch(
            status == "sij",
            Result.REVIEW,
            "Special immigrant juvenile classification: a legal reviewer decides (the path to permanent residence)",
        ),
        Branch(
            status.is_not_null(),
            Result.PASS,
            lambda p: f"No deferred action, U, T or SIJ status (status {p['status']})",
        ),
    ]


@rule("us/serving-sentence", routes=("removal",), needs=("sentence_remaining_months", "conviction"))
def serving_sentence(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    serving = months > 0
    return [
        Branch(months == 0, Result.PASS, "Not serving a sentence of imprisonment"),
        Branch(
            serving & prison,
            Result.BARRED,
            lambda p: (
                f"Serving a US sentence ({p['sentence_remaining_months']} months left): removal before release is to "
                "reception only; imprisonment abroad mid-sentence is a transfer of the sentenced person, with consent"
            ),
        ),
        Branch(
            serving & (pl.col("conviction") == "violent_felony"),
            Result.BARRED,
            lambda p: (
                f"Serving a sentence ({p['sentence_remaining_months']} months left) for a violent felony: removal only after release"
            ),
        ),
        Branch(
            serving & pl.col("conviction").is_not_null(),
            Result.REVIEW,
            lambda p: (
                f"Serving a sentence ({p['sentence_remaining_months']} months left): removal before release needs an early-removal decision for a nonviolent offence"
            ),
        ),
    ]


@rule("us/final-order", routes=("removal",), needs=("removal_order",))
def final_order(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    order = pl.col("removal_order")
    return [
        Branch(order == "none", Result.BARRED, "No order of removal: the person may not be removed"),
        Branch(
            order == "pending",
            Result.BARRED,
            "The removal order is not final (under appeal or within the appeal period): it is not executed",
        ),
        Branch(order == "final", Result.PASS, "A final order of removal exists"),
    ]


@rule("us/legal-hold", routes=("removal", "transfer"), needs=("legal_hold",))
def legal_hold(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    hold = pl.col("legal_hold")
    return [
        Branch(hold == True, Result.BARRED, "A stay of removal, court order or pending habeas petition is recorded"),  # noqa: E712
        Branch(hold == False, Result.PASS, "No stay, court order or habeas petition is recorded"),  # noqa: E712
    ]


@rule("us/protection-pending", routes=("removal",), needs=("protection",))
def protection_pending(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    return [
        Branch(protection == "pending", Result.REVIEW, "A protection claim is pending and must be decided first"),
        Branch(
            protection.is_not_null(),
            Result.PASS,
            lambda p: f"No pending protection claim (protection {p['protection']})",
        ),
    ]


@rule("us/withholding", routes=("removal",), needs=("protection", "protection_countries"))
def withholding(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    dest = ctx.destination
    granted = protection.is_in(["withholding_granted", "cat_granted"])
    countries = pl.col("protection_countries")
    return [
        # Listed first and unconditional on the record: no conviction lifts CAT protection.
        Branch(
            _dest_in("protection_countries", ctx),
            Result.BARRED,
            lambda p: (
                f"Withholding or CAT protection was granted for {dest} ({p['protection'] or 'protection unknown'}); a criminal record never clears it"
            ),
        ),
        Branch(
            granted & (countries.is_null() | (countries.list.len() == 0)),
            Result.REVIEW,
            lambda p: f"Protection {p['protection']} is granted but its countries are not recorded",
        ),
        Branch(
            protection.is_not_null() & (~granted | countries.is_not_null()),
            Result.PASS,
            lambda p: (
                f"No withholding or CAT protection for {dest} (protection {p['protection']}, countries: {_listed(p, 'protection_countries')})"
            ),
        ),
    ]


@rule("us/fear", routes=("removal",), needs=("fear_found",))
def fear(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    dest = ctx.destination
    return [
        Branch(
            _dest_in("fear_found", ctx),
            Result.BARRED,
            f"A credible fear of {dest} was found: no removal there until the protection claim is decided",
        ),
        Branch(
            pl.col("fear_found").is_not_null(),
            Result.PASS,
            lambda p: f"No credible fear of {dest} found (fear found for: {_listed(p, 'fear_found')})",
        ),
    ]


@rule("us/third-country-notice", routes=("removal",), needs=("fear_screened",))
def third_country_notice(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    dest = ctx.destination
    orders = ctx.dataset.court_orders_for("us/third-country-notice", ctx.date)
    policy = ctx.dataset.policy("third-country-notice")
    if not orders and not policy.enabled:
        return f"Policy switched off: {policy.disabled_reason} ({policy.disabled_citation})"
    unnoticed = f"{dest} is a third country for this person, who has not been notified and screened for fear of it"
    if orders:  # a court order in force binds whatever the policy says
        order = orders[0]
        result = Result.BARRED
        unnoticed += f": barred while {order.citation} requires {order.requires} (in force {order.start} to {order.end or 'no set end'})"
    else:
        result = Result.REVIEW
        unnoticed += " (Accord policy since the injunction was stayed)"
    return [
        Branch(
            pl.col("nationalities").list.contains(dest),
            Result.NOT_APPLICABLE,
            f"{dest} is one of the person's nationalities: not a third country",
        ),
        Branch(_dest_in("fear_screened", ctx), Result.PASS, f"Notified and screened for fear of {dest}"),
        Branch(pl.col("fear_screened").is_not_null(), result, unnoticed),
    ]
