"""The rule engine: one definition of each rule serves one person and a whole population.

A rule is a list of *branches* — (condition, result, reason) — tried in order; the first whose
condition is true decides. The conditions are Polars expressions, so the same rule runs over a
one-row frame (one person, explained) and over millions of rows (bulk screening). Each rule
yields one small integer per person: ``branch * 4 + result``. Bulk screening keeps only the
result; an explanation decodes the branch back into its reason.

Safety default: a branch is chosen only when its condition is *true*. Unknown facts make
conditions null, so no branch matches, and the rule falls through to a final ``REVIEW`` branch.
Nothing passes unless a branch affirmatively proves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from accord.core.dataset import Agreement, Dataset, RuleInfo


def first_of(cases: Sequence[tuple[pl.Expr, pl.Expr]], otherwise: pl.Expr) -> pl.Expr:
    """Polars' when/then chain over (condition, value) pairs: the first true condition decides."""
    if not cases:
        return otherwise
    (condition, value), *rest = cases
    chain: Then | ChainedThen = pl.when(condition).then(value)
    for condition, value in rest:
        chain = chain.when(condition).then(value)
    return chain.otherwise(otherwise)


class Result(IntEnum):
    """A rule's result, ordered so that the strongest (max) wins."""

    NOT_APPLICABLE = 0
    PASS = 1
    REVIEW = 2
    BARRED = 3

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


OUTCOMES = {
    Result.NOT_APPLICABLE: "eligible",
    Result.PASS: "eligible",
    Result.REVIEW: "review",
    Result.BARRED: "barred",
}

Person = Mapping[str, Any]
Reason = str | Callable[[Person], str]


@dataclass(frozen=True)
class Branch:
    when: pl.Expr
    result: Result
    reason: Reason

    def explain(self, person: Person) -> str:
        return self.reason(person) if callable(self.reason) else self.reason


@dataclass(frozen=True)
class FacilityUsage:
    """A facility's places in use, supplied by the case system (or a usage file for the CLI)."""

    occupied: int = 0
    reserved: int = 0
    suspended: bool = False
    # The places in service when the operator's record differs from the agreement's figure (a wing
    # closed after an inspection); None: the agreement's capacity.
    capacity: int | None = None


@dataclass(frozen=True)
class Usage:
    """What is already used: facility places by facility id, quotas by (agreement, clause, YYYY-MM)."""

    facilities: Mapping[str, FacilityUsage] = field(default_factory=dict)
    quota_used: Mapping[tuple[str, str, str], int] = field(default_factory=dict)

    def facility(self, facility_id: str) -> FacilityUsage:
        return self.facilities.get(facility_id, FacilityUsage())

    def key(self) -> tuple[object, ...]:
        """A hashable summary: equal keys mean equal usage."""
        return (tuple(sorted(self.facilities.items())), tuple(sorted(self.quota_used.items())))


@dataclass(frozen=True)
class Context:
    """One screening question: this agreement, on this date, with this data and usage."""

    dataset: Dataset
    agreement: Agreement
    date: dt.date
    usage: Usage = field(default_factory=Usage)

    @property
    def destination(self) -> str:
        return self.agreement.receiving_state


# A rule body: given the context, its branches; or a string saying why it does not apply at all.
RuleBody = Callable[[Context], "Sequence[Branch] | str"]


@dataclass(frozen=True)
class RuleDef:
    id: str
    body: RuleBody
    routes: frozenset[str]
    needs: tuple[str, ...]


@dataclass(frozen=True)
class BoundRule:
    """A rule made concrete for one context: its branches and its catalogue entry."""

    id: str
    title: str
    citation: str
    info: RuleInfo | None
    branches: tuple[Branch, ...]

    def expression(self) -> pl.Expr:
        cases = [(b.when, pl.lit(i * 4 + int(b.result), dtype=pl.UInt8)) for i, b in enumerate(self.branches)]
        return first_of(cases, pl.lit(None, dtype=pl.UInt8)).alias(self.id)

    def decode(self, code: int, person: Person) -> tuple[Result, str]:
        branch = self.branches[code // 4]
        return branch.result, branch.explain(person)


_REGISTRY: dict[str, RuleDef] = {}


def rule(
    rule_id: str, *, routes: Sequence[str] = ("removal",), needs: Sequence[str] = ()
) -> Callable[[RuleBody], RuleBody]:
    """Register a rule body under its catalogue id."""

    def register(body: RuleBody) -> RuleBody:
        if rule_id in _REGISTRY:
            raise ValueError(f"rule {rule_id} defined twice")
        _REGISTRY[rule_id] = RuleDef(rule_id, body, frozenset(routes), tuple(needs))
        return body

    return register


def registered_rules() -> dict[str, RuleDef]:
    return dict(_REGISTRY)


def bind(definition: RuleDef, ctx: Context) -> BoundRule:
    """Make a rule concrete for a context, adding the gates every rule shares."""
    info = ctx.dataset.rule_info(definition.id)
    body = definition.body(ctx)
    if not info.contains(ctx.date):
        body = f"not in force on {ctx.date} (in force from {info.start or 'the start'} to {info.end or 'no set end'})"
    if isinstance(body, str):
        branches: list[Branch] = [Branch(pl.lit(True), Result.NOT_APPLICABLE, body)]
    else:
        routes = sorted(definition.routes)
        gate = Branch(
            ~pl.col("_route").is_in(routes),
            Result.NOT_APPLICABLE,
            lambda p: f"applies to {' and '.join(routes)} only; this is a {p['_route']}",
        )
        unknown = ", ".join(definition.needs) or "a fact this rule needs"
        fallback = Branch(pl.lit(True), Result.REVIEW, f"needs information: {unknown} unknown")
        branches = [gate, *body, fallback]
    citation = info.citation.replace("{agreement}", ctx.agreement.id)
    return BoundRule(definition.id, info.title, citation, info, tuple(branches))
