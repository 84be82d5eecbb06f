"""Who an agreement's clauses cover, and the situation every other rule reads.

The derived columns (prefixed ``_``) that rules share: ``common_situation`` adds those that
depend only on the date (conviction rank, adulthood); ``situation`` those of one agreement (each
clause's match, the clause that applies, its route and placement).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from accord.core.dataset import Acceptance, Clause
from accord.core.rules.engine import BoundRule, Branch, Context, Person, Result, first_of
from accord.core.vocabulary import CONVICTION_RANK

# Match codes of a clause: the person is outside it, may fall under it (review), or falls under it.
NO_MATCH, MAYBE, MATCH = 0, 1, 2
# Enums compare as small integers: much cheaper than strings over millions of rows.
ROUTE = pl.Enum(["removal", "transfer"])
PLACEMENT = pl.Enum(["reception", "prison"])


def conviction_rank() -> pl.Expr:
    return pl.col("conviction").replace_strict(CONVICTION_RANK, default=None, return_dtype=pl.Int8)


def adulthood(ctx: Context) -> pl.Expr:
    """True from the day of the 18th birthday; a 29 February birthday counts from 1 March."""
    years = int(ctx.dataset.law_parameter("adult_age"))
    dob = pl.col("date_of_birth")
    born_md = dob.dt.month().cast(pl.Int32) * 100 + dob.dt.day().cast(pl.Int32)
    today_md = ctx.date.month * 100 + ctx.date.day
    age = ctx.date.year - dob.dt.year().cast(pl.Int32) - (pl.lit(today_md) < born_md).cast(pl.Int32)
    return age >= years


def _holds_any(column: str, codes: list[str]) -> pl.Expr:
    expr = pl.lit(False)
    for code in codes:
        expr = expr | pl.col(column).list.contains(code)
    return expr


def _graded(expr_true: pl.Expr, expr_maybe: pl.Expr | None = None) -> pl.Expr:
    """MATCH where true, MAYBE where the second condition or unknown, NO_MATCH where false."""
    cases = [(expr_true, pl.lit(MATCH))]
    if expr_maybe is not None:
        cases.append((expr_maybe, pl.lit(MAYBE)))
    cases.append((expr_true.is_null(), pl.lit(MAYBE)))
    return first_of(cases, pl.lit(NO_MATCH))


def acceptance_match(accepts: Acceptance) -> pl.Expr:
    """The person's match code for a clause: the weakest of its criteria."""
    criteria: list[pl.Expr] = []
    if accepts.nationalities is not None:
        criteria.append(_graded(_holds_any("nationalities", accepts.nationalities)))
    if accepts.exclude_nationalities:
        criteria.append(_graded(~_holds_any("nationalities", accepts.exclude_nationalities)))
    if accepts.statuses is not None:
        criteria.append(_graded(pl.col("status").is_in(accepts.statuses)))
    if accepts.exclude_statuses:
        criteria.append(_graded(~pl.col("status").is_in(accepts.exclude_statuses)))
    if accepts.min_conviction is not None:
        rank = pl.col("_conv")
        maybe = None
        if accepts.review_min_conviction is not None:
            maybe = rank >= CONVICTION_RANK[accepts.review_min_conviction]
        criteria.append(_graded(rank >= CONVICTION_RANK[accepts.min_conviction], maybe))
    if accepts.serving_sentence is not None:
        serving = pl.col("sentence_remaining_months") > 0  # unknown months: null, so a maybe
        criteria.append(_graded(serving if accepts.serving_sentence else ~serving))
    if not criteria:
        return pl.lit(MATCH, dtype=pl.Int8)
    return pl.min_horizontal(criteria).cast(pl.Int8)


def _by_clause(ctx: Context, value: Callable[[Clause], pl.Expr], default: pl.Expr) -> pl.Expr:
    """A per-person value taken from the applicable clause (``value`` maps a clause to an expr)."""
    cases = [(pl.col("_clause") == index, value(clause)) for index, clause in enumerate(ctx.agreement.clauses)]
    return first_of(cases, default)


def _placement(clause: Clause) -> pl.Expr:
    if clause.placement != "prison_if_convicted":
        return pl.lit(clause.placement, dtype=PLACEMENT)
    # Only a conviction at the clause's level sends to prison; a child, an unknown conviction, or a
    # person still serving (or maybe serving) a sentence in the sending state never: removal
    # before release is to reception, and imprisonment abroad mid-sentence is a transfer.
    convicted = pl.col("_conv") >= CONVICTION_RANK[clause.prison_min_conviction]
    served = pl.col("sentence_remaining_months") == 0
    prison = convicted.fill_null(False) & pl.col("_adult").fill_null(True) & served.fill_null(False)
    return pl.when(prison).then(pl.lit("prison", dtype=PLACEMENT)).otherwise(pl.lit("reception", dtype=PLACEMENT))


def common_situation(ctx: Context) -> list[pl.Expr]:
    """Derived columns that depend on the date but not on the agreement (computed once per date).

    Bulk screening from a file computes them per distinct value instead (``_adult`` once per date
    of birth, so the rules never read ``date_of_birth`` itself: ``screening.distinct_facts``)."""
    return [conviction_rank().alias("_conv"), adulthood(ctx).alias("_adult")]


def situation(ctx: Context) -> list[list[pl.Expr]]:
    """The agreement's derived columns, in the stages they depend on each other."""
    clauses = ctx.agreement.clauses
    matches = [acceptance_match(c.accepts).alias(f"_m{i}") for i, c in enumerate(clauses)]
    # In force and matching beats not in force; a full match beats a maybe; then data order.
    scores = [
        pl.when(pl.col(f"_m{i}") > NO_MATCH).then(pl.col(f"_m{i}") + 2 * int(c.in_force_on(ctx.date))).otherwise(0)
        for i, c in enumerate(clauses)
    ]
    best = pl.max_horizontal(scores)
    chosen = first_of(
        [((score == best) & (best > 0), pl.lit(i, dtype=pl.Int8)) for i, score in enumerate(scores)],
        pl.lit(None, dtype=pl.Int8),
    )
    default_route = pl.lit(clauses[0].route if clauses else "removal", dtype=ROUTE)
    return [
        matches,
        [chosen.alias("_clause")],
        [
            _by_clause(ctx, lambda c: pl.lit(c.route, dtype=ROUTE), default_route).alias("_route"),
            _by_clause(ctx, _placement, pl.lit(None, dtype=PLACEMENT)).alias("_placement"),
            _by_clause(ctx, lambda c: pl.lit(c.in_force_on(ctx.date)), pl.lit(False)).alias("_clause_in_force"),
            _by_clause(ctx, lambda c: pl.col(f"_m{clauses.index(c)}"), pl.lit(NO_MATCH, dtype=pl.Int8)).alias("_match"),
        ],
    ]


def clause_id(ctx: Context, person: Person) -> str | None:
    """The id of the clause that applies to an evaluated person, if any."""
    index = person["_clause"]
    return None if index is None else ctx.agreement.clauses[index].id


def describe_acceptance(accepts: Acceptance) -> str:
    """The clause's requirements in words (facts are shown beside, never re-decided here)."""
    parts: list[str] = []
    if accepts.nationalities is not None:
        parts.append("a nationality of " + " or ".join(accepts.nationalities))
    if accepts.exclude_nationalities:
        parts.append("no nationality of " + " or ".join(accepts.exclude_nationalities))
    if accepts.statuses is not None:
        parts.append("status " + " or ".join(accepts.statuses))
    if accepts.exclude_statuses:
        parts.append("status not " + " or ".join(accepts.exclude_statuses))
    if accepts.min_conviction is not None:
        text = f"a final conviction of {accepts.min_conviction} or more"
        if accepts.review_min_conviction:
            text += f" ({accepts.review_min_conviction} goes to review)"
        parts.append(text)
    if accepts.serving_sentence is not None:
        parts.append("serving a sentence" if accepts.serving_sentence else "not serving a sentence")
    return "; ".join(parts) or "anyone"


def person_facts(person: Person) -> str:
    nationalities = ";".join(person.get("nationalities") or []) or "none"
    sentence = person.get("sentence_remaining_months")
    serving = "unknown" if sentence is None else "none" if sentence == 0 else f"{sentence} months left"
    return (
        f"nationalities {nationalities}, status {person.get('status') or 'unknown'}, "
        f"conviction {person.get('conviction') or 'unknown'}, sentence {serving}"
    )


def clause_branches(ctx: Context, index: int) -> list[Branch]:
    clause = ctx.agreement.clauses[index]
    match = pl.col(f"_m{index}")
    needs = describe_acceptance(clause.accepts)

    def said(verdict: str) -> Callable[[Person], str]:
        return lambda p: f"{verdict}. Requires {needs}; the person has {person_facts(p)}"

    return [
        Branch(match == MATCH, Result.PASS, said("Falls under this clause")),
        Branch(
            match == MAYBE,
            Result.REVIEW,
            said("May fall under this clause: a requirement is unknown or only partly met"),
        ),
        Branch(match == NO_MATCH, Result.NOT_APPLICABLE, said("Outside this clause")),
    ]


def clause_rule(ctx: Context, index: int) -> BoundRule:
    """The rule of one agreement clause: does the person fall under it?"""
    clause = ctx.agreement.clauses[index]
    citation = f"{ctx.agreement.id} clause {clause.id} ({clause.citation.document})"
    # Like every rule, a clause that cannot be decided is reviewed, never passed.
    fallback = Branch(pl.lit(True), Result.REVIEW, "could not be decided: review")
    branches = (*clause_branches(ctx, index), fallback)
    return BoundRule(f"{ctx.agreement.id}/{clause.id}", clause.title, citation, None, branches)
