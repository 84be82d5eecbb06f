"""Screening: may these people be moved under this agreement on this date, and why?

``Screener.decisions`` (a population) and ``Screener.explain`` (one person) run the very same rule
expressions (``Screener.evaluate``); the first keeps each rule's result for millions of rows, the
second decodes each rule's branch into its reason for one person. No second implementation drifts.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from accord.core.dataset import Agreement, Dataset, load_dataset
from accord.core.rules import general, us  # noqa: F401  (registers the rules)
from accord.core.rules.clauses import clause_id, clause_rule, common_situation, situation
from accord.core.rules.engine import OUTCOMES, BoundRule, Context, Result, RuleDef, Usage, bind, registered_rules

DECISION_COLUMNS = ("person_id", "agreement_id", "date", "outcome", "placement", "rules", "citations")
DECISION_SCHEMA = {
    "person_id": pl.String,
    "agreement_id": pl.String,
    "date": pl.Date,
    "outcome": pl.String,
    "placement": pl.String,
    "rules": pl.String,
    "citations": pl.String,
}
CITATION_SEPARATOR = " | "
# How an explanation reads: the agreement's terms, the sending state's law, then the placement.
RULE_ORDER = ("agreement", "us", "law", "transfer", "placement", "country", "facility", "capacity", "quota")


@cache
def default_dataset() -> Dataset:
    return load_dataset()


def bound_rules(ctx: Context) -> list[BoundRule]:
    """Every rule for the context: the agreement's clauses first, then the catalogue's rules."""
    return [_bind_rule(ctx, index) for index in range(len(ctx.agreement.clauses) + len(_definitions()))]


def _definitions() -> list[RuleDef]:
    return sorted(registered_rules().values(), key=lambda d: RULE_ORDER.index(d.id.split("/")[0]))


def _bind_rule(ctx: Context, index: int) -> BoundRule:
    """The ``index``-th rule of ``bound_rules``."""
    clauses = len(ctx.agreement.clauses)
    return clause_rule(ctx, index) if index < clauses else bind(_definitions()[index - clauses], ctx)


class _WatchedUsage(Usage):
    """Usage that notes whether a rule body read it: a rule that never reads it is bound the same
    way whatever the usage."""

    read: list[str]

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("__") and name != "read":
            object.__getattribute__(self, "read").append(name)
        return super().__getattribute__(name)


@dataclass(frozen=True)
class _Question:
    """A screening question without its usage (agreement, date, data): the rules bound once and
    their expressions, with the positions of the rules that read the usage left to each Screener."""

    dataset: Dataset
    rules: tuple[BoundRule, ...]
    codes: tuple[pl.Expr, ...]
    reads_usage: tuple[int, ...]
    common: list[pl.Expr]
    stages: list[list[pl.Expr]]


_QUESTIONS_LOCK = threading.Lock()
_QUESTIONS: OrderedDict[tuple[object, ...], _Question] = OrderedDict()
_QUESTIONS_KEPT = 64


def _question(ctx: Context) -> _Question:
    """The usage-free part of the Screener for ``ctx``, kept per (data, agreement, date). Which
    rules read the usage is found by binding each against a usage that notes being read: a rule
    body is a function of its context, so one that did not read it binds alike for any usage."""
    key = (id(ctx.dataset), ctx.dataset.version, ctx.agreement.id, ctx.date)
    with _QUESTIONS_LOCK:
        found = _QUESTIONS.get(key)
        if found is not None and found.dataset is ctx.dataset:
            _QUESTIONS.move_to_end(key)
            return found
    rules, reads = [], []
    for index in range(len(ctx.agreement.clauses) + len(_definitions())):
        watched = _WatchedUsage()
        object.__setattr__(watched, "read", [])
        rules.append(_bind_rule(Context(ctx.dataset, ctx.agreement, ctx.date, watched), index))
        if watched.read:
            reads.append(index)
    built = _Question(
        dataset=ctx.dataset,
        rules=tuple(rules),
        codes=tuple(r.expression() for r in rules),
        reads_usage=tuple(reads),
        common=common_situation(ctx),
        stages=situation(ctx),
    )
    with _QUESTIONS_LOCK:
        _QUESTIONS[key] = built
        while len(_QUESTIONS) > _QUESTIONS_KEPT:
            _QUESTIONS.popitem(last=False)
    return built


class Screener:
    """The rules of one screening question (agreement, date, data, usage), built once.

    ``decisions`` and ``explain`` evaluate the same expressions; build one Screener and reuse it
    for many people (the case system screens person after person against the same question).
    """

    def __init__(self, ctx: Context, *, reuse: bool = True) -> None:
        """``reuse=False`` binds every rule afresh: the reference the tests hold reuse to."""
        self.ctx = ctx
        if not reuse:
            self.rules = bound_rules(ctx)
            self.common = common_situation(ctx)
            self._stages = situation(ctx)
            self._codes = [r.expression() for r in self.rules]
        else:
            # What does not read the usage is the same for every usage: bound once per agreement,
            # date and data (``_question``); only the rules that read it are bound for this usage.
            question = _question(ctx)
            self.rules = list(question.rules)
            self._codes = list(question.codes)
            for index in question.reads_usage:
                self.rules[index] = _bind_rule(ctx, index)
                self._codes[index] = self.rules[index].expression()
            self.common = question.common
            self._stages = question.stages
        self._outcome = _outcome(self.rules)

    def evaluate(self, people: pl.LazyFrame, *, with_common: bool = True) -> pl.LazyFrame:
        """The situation columns and one code column per rule (see ``BoundRule.expression``).

        ``with_common=False`` when ``people`` already holds the ``common`` columns for this date.
        """
        frame = people.with_columns(self.common) if with_common else people
        for stage in self._stages:
            frame = frame.with_columns(stage)
        return frame.with_columns(self._codes)

    def decisions(self, people: pl.DataFrame, *, with_common: bool = True) -> pl.DataFrame:
        """One decision row per person, with the columns of ``DECISION_COLUMNS``."""
        frame = (
            self.evaluate(people.lazy(), with_common=with_common)
            .select(
                "person_id",
                self._outcome.alias("outcome"),
                pl.col("_placement").cast(pl.String).alias("placement"),
                _failing_mask(self.rules).alias("_mask"),
            )
            .collect()
        )
        labels = {m: _labels(self.rules, m) for m in frame["_mask"].unique().to_list()}
        return frame.select(
            "person_id",
            pl.lit(self.ctx.agreement.id).alias("agreement_id"),
            pl.lit(self.ctx.date).alias("date"),
            "outcome",
            pl.when(pl.col("outcome") != "barred").then(pl.col("placement")).alias("placement"),
            pl.col("_mask")
            .replace_strict({m: lab[0] for m, lab in labels.items()}, return_dtype=pl.String)
            .alias("rules"),
            pl.col("_mask")
            .replace_strict({m: lab[1] for m, lab in labels.items()}, return_dtype=pl.String)
            .alias("citations"),
        )

    def explain(self, person: pl.DataFrame) -> Explanation:
        """Every rule's result, reason and citation for the one person in ``person``."""
        if person.height != 1:
            raise ValueError(f"explain takes exactly one person, got {person.height}")
        ctx = self.ctx
        row = self.evaluate(person.lazy()).with_columns(self._outcome.alias("_outcome")).collect().row(0, named=True)
        results = []
        for rule in self.rules:
            result, reason = rule.decode(row[rule.id], row)
            results.append(RuleResult(rule.id, rule.title, result, reason, rule.citation, _quote(rule, ctx)))
        return Explanation(
            person_id=row["person_id"],
            agreement_id=ctx.agreement.id,
            agreement_title=ctx.agreement.title,
            date=ctx.date,
            outcome=row["_outcome"],
            placement=row["_placement"],
            clause_id=clause_id(ctx, row),
            results=tuple(results),
            data_version=ctx.dataset.version,
        )


def _outcome(rules: Sequence[BoundRule]) -> pl.Expr:
    strongest = pl.max_horizontal([pl.col(r.id) % 4 for r in rules])
    return strongest.replace_strict({int(k): v for k, v in OUTCOMES.items()}, return_dtype=pl.String)


def _failing_mask(rules: Sequence[BoundRule]) -> pl.Expr:
    """A bit per rule that did not pass (review or barred): few distinct values, cheap to label."""
    bits = [((pl.col(r.id) % 4) >= Result.REVIEW).cast(pl.Int64) * (1 << i) for i, r in enumerate(rules)]
    return pl.sum_horizontal(bits)


def _labels(rules: Sequence[BoundRule], mask: int) -> tuple[str, str]:
    failing = [r for i, r in enumerate(rules) if mask >> i & 1]
    return ";".join(r.id for r in failing), CITATION_SEPARATOR.join(r.citation for r in failing)


def select_agreements(dataset: Dataset, agreement_ids: Iterable[str] | None) -> list[Agreement]:
    """The named agreements (unknown ids raise), or every transfer agreement when none are named."""
    ids = list(agreement_ids or [])
    if not ids:
        return dataset.transfer_agreements()
    return [dataset.transfer_agreement(i) for i in ids]


def screen_population(
    people: pl.DataFrame,
    date: dt.date,
    agreement_ids: Iterable[str] | None = None,
    *,
    dataset: Dataset | None = None,
    usage: Usage | None = None,
) -> pl.DataFrame:
    """One decision row per person × agreement, with the columns of ``DECISION_COLUMNS``."""
    dataset = dataset or default_dataset()
    screeners = [
        Screener(Context(dataset, a, date, usage or Usage())) for a in select_agreements(dataset, agreement_ids)
    ]
    if not screeners:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    # The date's common columns are the same for every agreement: compute them once.
    prepared = people.with_columns(screeners[0].common)
    return pl.concat([s.decisions(prepared, with_common=False) for s in screeners], how="vertical")


@dataclass(frozen=True)
class RuleResult:
    rule_id: str
    title: str
    result: Result
    reason: str
    citation: str
    quote: str | None


@dataclass(frozen=True)
class Explanation:
    """One person against one agreement on one date: the outcome and every rule's result."""

    person_id: str
    agreement_id: str
    agreement_title: str
    date: dt.date
    outcome: str
    placement: str | None
    clause_id: str | None
    results: tuple[RuleResult, ...]
    data_version: str

    @property
    def failing(self) -> list[RuleResult]:
        return [r for r in self.results if r.result >= Result.REVIEW]

    @property
    def reported_placement(self) -> str | None:
        """The placement as decisions report it: none for a barred move."""
        return self.placement if self.outcome != "barred" else None

    def decision_row(self) -> dict[str, object]:
        """The same row ``screen_population`` writes for this person and agreement."""
        failing = self.failing
        return {
            "person_id": self.person_id,
            "agreement_id": self.agreement_id,
            "date": self.date,
            "outcome": self.outcome,
            "placement": self.reported_placement,
            "rules": ";".join(r.rule_id for r in failing),
            "citations": CITATION_SEPARATOR.join(r.citation for r in failing),
        }


def _quote(rule: BoundRule, ctx: Context) -> str | None:
    if rule.info is not None:
        return f"{rule.info.source.document}: “{rule.info.source.quote}”" if rule.info.source else None
    clause = ctx.agreement.clause(rule.id.split("/", 1)[1])
    return f"{clause.citation.document}: “{clause.citation.quote}”"


def explain(
    person: pl.DataFrame,
    agreement_id: str,
    date: dt.date,
    *,
    dataset: Dataset | None = None,
    usage: Usage | None = None,
) -> Explanation:
    """Explain the screening of the one person in ``person`` (a one-row normalized frame)."""
    dataset = dataset or default_dataset()
    return screener_for(Context(dataset, dataset.transfer_agreement(agreement_id), date, usage or Usage())).explain(
        person
    )


_SCREENERS_LOCK = threading.Lock()
_SCREENERS: OrderedDict[tuple[object, ...], Screener] = OrderedDict()
_SCREENERS_KEPT = 64


def screener_for(ctx: Context) -> Screener:
    """A Screener for the question, reused while the data, the date and the usage are the same:
    building the rules costs more than screening one person with them."""
    key = (id(ctx.dataset), ctx.dataset.version, ctx.agreement.id, ctx.date, ctx.usage.key())
    with _SCREENERS_LOCK:
        found = _SCREENERS.get(key)
        if found is not None and found.ctx.dataset is ctx.dataset:
            _SCREENERS.move_to_end(key)
            return found
    built = Screener(ctx)
    with _SCREENERS_LOCK:
        _SCREENERS[key] = built
        while len(_SCREENERS) > _SCREENERS_KEPT:
            _SCREENERS.popitem(last=False)
    return built
