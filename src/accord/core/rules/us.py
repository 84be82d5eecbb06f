"""United States removal law (DESIGN.md §3), applied when the sending state is the US.

Citations and effective dates are in ``data/law/us.toml``; this module holds only the logic.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from accord.core.rules.engine import Branch, Context, Person, Result, rule

status = pl.col("status")
protection = pl.col("protection")


def _us_only(ctx: Context) -> str | None:
    sending = ctx.agreement.sending_state
    return None if sending == "US" else f"US law applies to removals from the US; this agreement removes from {sending}"


def _dest_in(column: str, ctx: Context) -> pl.Expr:
    return pl.col(column).list.contains(ctx.destination)


def _listed(p: Person, column: str) -> str:
    return ";".join(p.get(column) or []) or "none"


@rule("us/citizen", routes=("removal",), needs=("status",))
def citizen(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    is_citizen = (status == "citizen") | pl.col("nationalities").list.contains("US")
    return [
        Branch(
            is_citizen.fill_null(False),
            Result.BARRED,
            lambda p: (
                f"A US citizen is never removed (status {p['status'] or 'unknown'}, nationalities {_listed(p, 'nationalities')})"
            ),
        ),
        Branch(status.is_not_null(), Result.PASS, lambda p: f"Not a US citizen: status {p['status']}"),
    ]


@rule("us/asylee-refugee", routes=("removal",), needs=("status", "protection"))
def asylee_refugee(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    protected = status.is_in(["asylee", "refugee"]) | (protection == "asylum_granted")
    return [
        Branch(
            protected.fill_null(False),
            Result.BARRED,
            lambda p: (
                f"Asylum or refugee status protects from removal (status {p['status'] or 'unknown'}, protection {p['protection'] or 'unknown'})"
            ),
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


@rule("us/serving-sentence", routes=("removal",), needs=("conviction",))
def serving_sentence(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    months = pl.col("sentence_remaining_months")
    serving = months > 0
    return [
        Branch(months.is_null() | (months == 0), Result.PASS, "Not serving a sentence of imprisonment"),
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
        Branch(order == "pending", Result.REVIEW, "The removal order is pending, not final"),
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


@rule("us/withholding", routes=("removal",), needs=("protection",))
def withholding(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    dest = ctx.destination
    granted = protection.is_in(["withholding_granted", "cat_granted"])
    countries_missing = pl.col("protection_countries").list.len() == 0
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
            granted & countries_missing,
            Result.REVIEW,
            lambda p: f"Protection {p['protection']} is granted but its countries are not recorded",
        ),
        Branch(
            protection.is_not_null(),
            Result.PASS,
            lambda p: (
                f"No withholding or CAT protection for {dest} (protection countries: {_listed(p, 'protection_countries')})"
            ),
        ),
    ]


@rule("us/fear", routes=("removal",))
def fear(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    dest = ctx.destination
    return [
        Branch(_dest_in("fear_found", ctx), Result.BARRED, f"A credible fear of {dest} was found: no return there"),
        Branch(
            pl.col("fear_found").is_not_null(),
            Result.PASS,
            lambda p: f"No credible fear of {dest} found (fear found for: {_listed(p, 'fear_found')})",
        ),
    ]


@rule("us/third-country-notice", routes=("removal",))
def third_country_notice(ctx: Context) -> Sequence[Branch] | str:
    if reason := _us_only(ctx):
        return reason
    policy = ctx.dataset.policy("third-country-notice")
    if not policy.enabled:
        return f"Policy switched off: {policy.disabled_reason} ({policy.disabled_citation})"
    dest = ctx.destination
    return [
        Branch(
            pl.col("nationalities").list.contains(dest),
            Result.NOT_APPLICABLE,
            f"{dest} is one of the person's nationalities: not a third country",
        ),
        Branch(_dest_in("fear_screened", ctx), Result.PASS, f"Notified and screened for fear of {dest}"),
        Branch(
            pl.col("fear_screened").is_not_null(),
            Result.REVIEW,
            f"{dest} is a third country for this person, who has not been notified and screened for fear of it",
        ),
    ]
