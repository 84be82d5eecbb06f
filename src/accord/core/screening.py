"""Screening: may these people be moved under this agreement on this date, and why?

``Screener.decisions`` (a population) and ``Screener.explain`` (one person) run the very same rule
expressions (``Screener.evaluate``); the first keeps each rule's result for millions of rows, the
second decodes each rule's branch into its reason for one person. No second implementation drifts.

**Decisions** (``DECISION_COLUMNS``): one row per person × agreement — ``person_id, agreement_id,
date, outcome, placement, rules``. ``outcome`` is the strongest rule result, ``placement`` is
empty when barred, and ``rules`` lists, ``;``-separated, every rule that did not pass (review or
barred) by its id. The rows say each rule by id only: its title and citation are said once, in
the **rule catalogue** (``CATALOGUE_COLUMNS``) that ``write_decisions`` writes beside the
decisions file (``catalogue_path``: ``decisions.csv`` → ``decisions.rules.csv``), one row per
agreement × rule screened — ``agreement_id, rule_id, title, citation, source, data_version,
rules_version``. A rule is looked up by ``(agreement_id, rule_id)`` (a citation may name its
agreement, and clause rules belong to one). Until issue #11 every row carried a ``citations``
column as well, the rules' sources ``" | "``-separated: 60% of a million-person file.

**Bulk screening from a file** (``screen_file``, or ``screen_population`` given the
``EncodedPeople`` of ``read_people_encoded``) evaluates the rules once per distinct combination of
the facts they read (``distinct_facts``), not once per person: a million generated people hold
about 160,000. The rules are the same expressions; the row-by-row path (a frame of people) is the
reference the tests hold the encoded path to.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from accord.core.dataset import Agreement, Dataset, load_dataset
from accord.core.records import EncodedPeople, read_people_encoded, write_frame, written_whole
from accord.core.rules import general, us  # noqa: F401  (registers the rules)
from accord.core.rules.clauses import (
    PLACEMENT,
    adulthood,
    clause_id,
    clause_rule,
    common_situation,
    conviction_rank,
    situation,
)
from accord.core.rules.engine import (
    OUTCOMES,
    BoundRule,
    Context,
    Result,
    RuleDef,
    Usage,
    bind,
    registered_rules,
)

DECISION_COLUMNS = ("person_id", "agreement_id", "date", "outcome", "placement", "rules")
DECISION_SCHEMA = {
    "person_id": pl.String,
    "agreement_id": pl.String,
    "date": pl.Date,
    "outcome": pl.String,
    "placement": pl.String,
    "rules": pl.String,
}
CATALOGUE_COLUMNS = ("agreement_id", "rule_id", "title", "citation", "source", "data_version", "rules_version")
CATALOGUE_TEXT = ("title", "citation", "source")  # the catalogue's words, made formula-safe in CSV
RULE_SEPARATOR = ";"
# Rows per batch the CSV writer formats, large as ``write_frame``'s (the default is 1,024).
_CSV_BATCH = 65_536
# How an explanation reads: the agreement's terms, the sending state's law, then the placement.
RULE_ORDER = ("agreement", "us", "law", "transfer", "placement", "country", "facility", "capacity", "quota")
VERDICT_COLUMNS = ("outcome", "placement", "rules")
_MASK_BITS = 58  # rules per failing-rule mask, an Int64 that also packs result and placement


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
        self._strongest = pl.max_horizontal([pl.col(r.id) % 4 for r in self.rules])
        self._outcome = self._strongest.replace_strict({int(k): v for k, v in OUTCOMES.items()}, return_dtype=pl.String)

    def reads(self) -> frozenset[str]:
        """The columns of a person record the rules read (through the situation or directly)."""
        expressions = [*self.common, *(e for stage in self._stages for e in stage), *self._codes]
        return frozenset(name for e in expressions for name in e.meta.root_names())

    def evaluate(self, people: pl.LazyFrame, *, with_common: bool = True) -> pl.LazyFrame:
        """The situation columns and one code column per rule (see ``BoundRule.expression``).

        ``with_common=False`` when ``people`` already holds the ``common`` columns for this date.
        """
        frame = people.with_columns(self.common) if with_common else people
        for stage in self._stages:
            frame = frame.with_columns(stage)
        return frame.with_columns(self._codes)

    def _evaluate_eagerly(self, person: pl.DataFrame) -> pl.DataFrame:
        """``evaluate`` and the outcome, stage by stage on a frame held in memory: the same
        expressions in the same stages. For one row, the lazy engine's planning of the whole
        chain costs more than the work (2.9 ms against 3.7–4.0 ms for us-sv-2025's 34 rules)."""
        frame = person.with_columns(self.common)
        for stage in self._stages:
            frame = frame.with_columns(stage)
        return frame.with_columns(self._codes).with_columns(self._outcome.alias("_outcome"))

    def decisions(self, people: pl.DataFrame, *, with_common: bool = True) -> pl.DataFrame:
        """One decision row per person, with the columns of ``DECISION_COLUMNS``."""
        index, table = self.verdicts(people, with_common=with_common)
        return pl.DataFrame({"person_id": people["person_id"]}).with_columns(
            pl.lit(self.ctx.agreement.id).alias("agreement_id"),
            pl.lit(self.ctx.date).alias("date"),
            *(table[c].gather(index) for c in VERDICT_COLUMNS),
        )

    def verdicts(self, people: pl.DataFrame, *, with_common: bool = True) -> tuple[pl.Series, pl.DataFrame]:
        """Each row's verdict as an index (UInt32) into a table of the distinct verdicts, whose
        columns are ``VERDICT_COLUMNS``: outcome, placement (none when barred) and the rules that
        did not pass. A population holds a few hundred distinct verdicts."""
        masks = _failing_masks(self.rules)
        keys = (
            self.evaluate(people.lazy(), with_common=with_common)
            .select(
                self._strongest.alias("_result"),
                pl.col("_placement").to_physical().cast(pl.Int64).fill_null(len(PLACEMENT.categories)),
                *masks,
            )
            .collect()
        )
        if len(masks) == 1:  # one integer a verdict: mask, result (0-3) and placement (0-2)
            packed = (pl.col(keys.columns[-1]) * 4 + pl.col("_result").cast(pl.Int64)) * 3 + pl.col("_placement")
            key = keys.select(packed.alias("_key"))["_key"]
            distinct = key.unique(maintain_order=True)
            index = key.replace_strict(distinct, pl.int_range(len(distinct), dtype=pl.UInt32, eager=True))
            rows = [(k // 3 % 4, k % 3, (k // 12,)) for k in distinct.to_list()]
        else:
            unique = keys.unique(maintain_order=True).with_row_index("_verdict")
            index = keys.join(unique, on=keys.columns, how="left", maintain_order="left")["_verdict"]
            rows = [(r[1], r[2], r[3:]) for r in unique.iter_rows()]
        placements = [*PLACEMENT.categories, None]
        table = pl.DataFrame(
            [
                (OUTCOMES[Result(result)], None if result == Result.BARRED else placements[p], _label(self.rules, m))
                for result, p, m in rows
            ],
            schema=dict.fromkeys(VERDICT_COLUMNS, pl.String),
            orient="row",
        )
        return index, table

    def explain(self, person: pl.DataFrame) -> Explanation:
        """Every rule's result, reason and citation for the one person in ``person``."""
        if person.height != 1:
            raise ValueError(f"explain takes exactly one person, got {person.height}")
        ctx = self.ctx
        row = self._evaluate_eagerly(person).row(0, named=True)
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


def _failing_masks(rules: Sequence[BoundRule]) -> list[pl.Expr]:
    """A bit per rule that did not pass (review or barred), ``_MASK_BITS`` rules a mask: few
    distinct values, cheap to label."""
    masks = []
    for start in range(0, max(len(rules), 1), _MASK_BITS):
        chunk = rules[start : start + _MASK_BITS]
        bits = [((pl.col(r.id) % 4) >= Result.REVIEW).cast(pl.Int64) * (1 << i) for i, r in enumerate(chunk)]
        masks.append((pl.sum_horizontal(bits) if bits else pl.lit(0, pl.Int64)).alias(f"_mask{start}"))
    return masks


def _label(rules: Sequence[BoundRule], masks: Sequence[int]) -> str:
    """The ids of the rules whose bits are set, in rule order."""
    failing = [rule for index, rule in enumerate(rules) if masks[index // _MASK_BITS] >> (index % _MASK_BITS) & 1]
    return RULE_SEPARATOR.join(r.id for r in failing)


def select_agreements(dataset: Dataset, agreement_ids: Iterable[str] | None) -> list[Agreement]:
    """The named agreements (unknown ids raise), or every transfer agreement when none are named."""
    ids = list(agreement_ids or [])
    if not ids:
        return dataset.transfer_agreements()
    return [dataset.transfer_agreement(i) for i in ids]


def screen_population(
    people: pl.DataFrame | EncodedPeople,
    date: dt.date,
    agreement_ids: Iterable[str] | None = None,
    *,
    dataset: Dataset | None = None,
    usage: Usage | None = None,
) -> pl.DataFrame:
    """One decision row per person × agreement, with the columns of ``DECISION_COLUMNS``.

    ``people`` is a normalized frame (evaluated row by row) or the ``EncodedPeople`` of
    ``read_people_encoded`` (evaluated once per distinct combination of facts); both give the
    same rows, agreement after agreement, people in their order.
    """
    screeners = _screeners(date, agreement_ids, dataset, usage)
    if isinstance(people, EncodedPeople):
        return _screen_encoded(people, screeners).decisions.collect()
    if not screeners:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    # The date's common columns are the same for every agreement: compute them once.
    prepared = people.with_columns(screeners[0].common)
    return pl.concat([s.decisions(prepared, with_common=False) for s in screeners], how="vertical")


def _screeners(
    date: dt.date, agreement_ids: Iterable[str] | None, dataset: Dataset | None, usage: Usage | None
) -> list[Screener]:
    dataset = dataset or default_dataset()
    return [Screener(Context(dataset, a, date, usage or Usage())) for a in select_agreements(dataset, agreement_ids)]


def distinct_facts(
    people: EncodedPeople, ctx: Context, read: Collection[str] | None = None
) -> tuple[pl.DataFrame, pl.Series]:
    """The distinct combinations of the facts the rules read (``read``: every column when None),
    one row each with the ``common`` columns of ``ctx``'s date, and each person's row among them
    (UInt32, in people's order).

    The rules read a date of birth only through adulthood on the date (``common_situation``), so
    a combination holds ``_adult``, not the date: the frame has no ``person_id``, no names, no
    ``date_of_birth`` and no column the rules do not read, and a rule that read one of them would
    fail here, loudly, not decide wrong.
    """
    codes, values = people.codes, people.values
    born = pl.DataFrame({"date_of_birth": values["date_of_birth"]})
    adult = born.select(adulthood(ctx).alias("_adult"))["_adult"]  # once per distinct date of birth
    keyed = [c for c in codes.columns if c != "date_of_birth" and (read is None or c in read)]
    # Each combination as one integer (mixed radix) where it fits 64 bits, over the codes present
    # only: a column of country codes may hold two of its 250.
    present = codes.select(pl.col(c).unique().implode() for c in keyed).row(0, named=True)
    digits: list[tuple[pl.Expr, int]] = []
    for c in keyed:
        used = pl.Series(present[c], dtype=pl.UInt32).sort()
        if len(used) < len(values[c]):
            dense = pl.zeros(len(values[c]), pl.UInt32, eager=True)
            dense.scatter(used, pl.int_range(len(used), dtype=pl.UInt32, eager=True))
            digits.append((pl.lit(dense).gather(pl.col(c)), len(used)))
        else:
            digits.append((pl.col(c), len(values[c])))
    digits.append((pl.lit(adult.cast(pl.UInt32).fill_null(2)).gather(pl.col("date_of_birth")), 3))
    parts: list[pl.Expr] = []
    part: pl.Expr | None = None
    size = 1
    for digit, base in digits:
        if part is not None and size * base >= 2**64:
            parts.append(part)
            part, size = None, 1
        term = digit.cast(pl.UInt64)
        part = term if part is None else part * base + term
        size *= base
    if part is not None:
        parts.append(part)
    # Each person's first fellow (the first row with the same facts) stands for the combination.
    numbered = codes.lazy().with_row_index("_row")
    first = numbered.select(pl.col("_row").min().over(*parts)).collect()["_row"]
    representatives = first.unique().sort()
    index = pl.zeros(people.height, pl.UInt32, eager=True)
    index.scatter(representatives, pl.int_range(len(representatives), dtype=pl.UInt32, eager=True))
    group = index.gather(first)
    chosen = codes.select(pl.all().gather(representatives))
    facts = pl.DataFrame(
        [*(values[c].gather(chosen[c]).alias(c) for c in keyed), adult.gather(chosen["date_of_birth"])],
        height=len(representatives),
    ).with_columns(conviction_rank().alias("_conv"))
    return facts, group


# Cells that a CSV writer must quote; decisions built from validated people hold none.
_NEEDS_QUOTES = r'[,"\r\n]'
# A CSV decision row as the writer of plain rows sees it: the person, then the rest of the row.
_ROW_REST = ",".join(DECISION_COLUMNS[1:])


@dataclass(frozen=True)
class _Screened:
    """The decisions of encoded people, lazy (a writer streams them without holding four
    million rows), and how many there are per agreement and outcome.

    ``plain_rows`` is there when no cell needs quoting in CSV: per row the person id and the rest
    of the row already joined (``_ROW_REST``), the same text for everyone who shares a verdict,
    joined once per verdict. The CSV writer's cost is mostly per cell: two cells a row write the
    same bytes in about two thirds of the time of six (``bench/RESULTS.md``)."""

    decisions: pl.LazyFrame
    counts: pl.DataFrame
    plain_rows: pl.LazyFrame | None


def _screen_encoded(people: EncodedPeople, screeners: Sequence[Screener]) -> _Screened:
    """``_Screened`` for encoded people: each person's verdict looked up through their
    combination of facts (``distinct_facts``)."""
    counts_schema = {"agreement_id": pl.String, "outcome": pl.String, "len": pl.UInt32}
    if not screeners:
        return _Screened(pl.LazyFrame(schema=DECISION_SCHEMA), pl.DataFrame(schema=counts_schema), None)
    read = frozenset().union(*(s.reads() for s in screeners))
    facts, group = distinct_facts(people, screeners[0].ctx, read)
    ids = people.ids.rechunk()
    plain = not ids.str.contains(_NEEDS_QUOTES).any()
    people_of = pl.DataFrame({"_fact": group}).group_by("_fact").len()  # how many people share each
    each = pl.LazyFrame({"person_id": ids, "_fact": group})
    blocks, rows, counts = [], [], []
    for screener in screeners:
        index, table = screener.verdicts(facts, with_common=False)
        agreement_id = screener.ctx.agreement.id
        plain = (
            plain
            and not any(table[c].str.contains(_NEEDS_QUOTES).any() for c in VERDICT_COLUMNS)
            and not re.search(_NEEDS_QUOTES, agreement_id)
        )
        # Each person's verdict, from the few hundred distinct ones, through their combination.
        verdict = pl.lit(index).gather(pl.col("_fact"))
        blocks.append(
            each.select(
                "person_id",
                pl.lit(agreement_id).alias("agreement_id"),
                pl.lit(screener.ctx.date).alias("date"),
                *(pl.lit(table[c]).gather(verdict).alias(c) for c in VERDICT_COLUMNS),
            )
        )
        rest = table.select(
            pl.concat_str(
                [
                    pl.lit(agreement_id),
                    pl.lit(screener.ctx.date.isoformat()),
                    *(pl.col(c).fill_null("") for c in VERDICT_COLUMNS),
                ],
                separator=",",
            )
        ).to_series()
        rows.append(each.select("person_id", pl.lit(rest).gather(verdict).alias(_ROW_REST)))
        tally = pl.DataFrame({"_verdict": index}).with_row_index("_fact").join(people_of, on="_fact")
        counts.append(
            tally.select(pl.lit(table["outcome"]).gather(pl.col("_verdict")).alias("outcome"), "len")
            .group_by("outcome", maintain_order=True)
            .agg(pl.col("len").sum().cast(pl.UInt32))
            .select(pl.lit(agreement_id).alias("agreement_id"), "outcome", "len")
        )
    return _Screened(
        pl.concat(blocks, how="vertical"), pl.concat(counts, how="vertical"), pl.concat(rows) if plain else None
    )


def catalogue_path(decisions_path: str | Path) -> Path:
    """Where the rule catalogue of a decisions file goes: ``decisions.csv`` → ``decisions.rules.csv``."""
    path = Path(decisions_path)
    return path.with_name(f"{path.stem}.rules{path.suffix}")


def rule_catalogue(
    date: dt.date, agreement_ids: Iterable[str] | None = None, *, dataset: Dataset | None = None
) -> pl.DataFrame:
    """One row per agreement × rule screened on ``date`` (``CATALOGUE_COLUMNS``): what a rule id
    in a decision row stands for — its title, its citation, the quoted source where there is one —
    and the data and rule versions that decided."""
    from accord.core.version import rules_version

    dataset = dataset or default_dataset()
    rows = []
    for agreement in select_agreements(dataset, agreement_ids):
        ctx = Context(dataset, agreement, date)
        for rule in bound_rules(ctx):
            rows.append((agreement.id, rule.id, rule.title, rule.citation, _quote(rule, ctx)))
    frame = pl.DataFrame(rows, schema=list(CATALOGUE_COLUMNS[:5]), orient="row")
    return frame.with_columns(
        pl.lit(dataset.version).alias("data_version"), pl.lit(rules_version()).alias("rules_version")
    ).cast(dict.fromkeys(CATALOGUE_COLUMNS, pl.String))


def write_decisions(decisions: pl.DataFrame, path: str | Path, *, dataset: Dataset | None = None) -> Path:
    """Write decisions (``DECISION_COLUMNS``, of one date) by the extension of ``path``, and their
    rule catalogue beside them in the same format (``catalogue_path``); returns its path.

    Both are written whole to temporary files, then put in place catalogue first: a decisions
    file never stands beside a catalogue that is not its own, nor a half-written one.
    """
    missing = [c for c in DECISION_COLUMNS if c not in decisions.columns]
    if missing:
        raise ValueError(f"not a decisions frame, missing columns: {', '.join(missing)}")
    days = decisions["date"].unique().drop_nulls()
    if days.len() > 1:
        raise ValueError("decisions of more than one date: write each date's decisions apart")
    agreement_ids = decisions["agreement_id"].unique(maintain_order=True).to_list()
    day = days[0] if days.len() else dt.date.today()
    return _write_decisions(decisions, path, dataset or default_dataset(), day, agreement_ids)


def _write_decisions(
    decisions: pl.DataFrame | pl.LazyFrame,
    path: str | Path,
    dataset: Dataset,
    day: dt.date,
    agreement_ids: Sequence[str],
    *,
    plain_rows: pl.LazyFrame | None = None,
) -> Path:
    """``write_decisions`` for decisions of ``day`` under ``agreement_ids``, streamed to the file.
    ``plain_rows``: the same rows as two cells that need no quoting (``_Screened``), which a CSV
    is written from, without the writer looking for separators and quotes in every cell."""
    target = Path(path)
    beside = catalogue_path(target)
    catalogue = rule_catalogue(day, agreement_ids, dataset=dataset) if agreement_ids else _empty_catalogue()
    frame = decisions.lazy().select(DECISION_COLUMNS)
    with written_whole(beside, target) as (catalogue_file, decisions_file):
        write_frame(catalogue, catalogue_file, free_text=CATALOGUE_TEXT)
        suffix = target.suffix.lower()
        if suffix == ".csv" and plain_rows is not None:
            # The header too: the names of two columns, the second named for the rest of the row.
            plain_rows.sink_csv(decisions_file, quote_style="never", batch_size=_CSV_BATCH)
        elif suffix == ".csv":
            # One date for every row: formatting it four million times costs more than the rules.
            frame = frame.with_columns(pl.lit(day.isoformat()).alias("date"))
            frame.sink_csv(decisions_file, quote_style="necessary", batch_size=_CSV_BATCH)
        elif suffix == ".parquet":
            frame.sink_parquet(decisions_file)
        else:
            frame.sink_ndjson(decisions_file)
    return beside


def _empty_catalogue() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(CATALOGUE_COLUMNS, pl.String))


@dataclass(frozen=True)
class ScreeningRun:
    """What ``screen_file`` did: the decisions written (rows), the catalogue beside them, how many
    decisions per agreement and outcome, and the seconds each phase took."""

    decisions: Path
    catalogue: Path
    rows: int
    counts: pl.DataFrame  # agreement_id, outcome, len
    people: int
    data_version: str
    seconds: dict[str, float]  # read, rules, write (the rules' decisions are computed as written)


def screen_file(
    people: str | Path,
    out: str | Path,
    date: dt.date,
    agreement_ids: Iterable[str] | None = None,
    *,
    dataset: Dataset | None = None,
    usage: Usage | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScreeningRun:
    """Bulk screening, file to file: read and validate the person file (all or nothing:
    ``RecordError``), screen everyone against the agreements (every transfer agreement when none
    are named) on ``date``, write the decisions to ``out`` and the rule catalogue beside them.
    ``progress`` is told each phase as it starts ("read", "screen", "write")."""
    dataset = dataset or default_dataset()
    screeners = _screeners(date, agreement_ids, dataset, usage)  # unknown agreements fail first
    tell = progress or (lambda _phase: None)
    started = time.perf_counter()
    tell("read")
    encoded = read_people_encoded(people)
    read = time.perf_counter()
    tell("screen")
    screened = _screen_encoded(encoded, screeners)
    ruled = time.perf_counter()
    tell("write")
    agreement_ids = [s.ctx.agreement.id for s in screeners]
    beside = _write_decisions(screened.decisions, out, dataset, date, agreement_ids, plain_rows=screened.plain_rows)
    done = time.perf_counter()
    return ScreeningRun(
        Path(out),
        beside,
        encoded.height * len(screeners),
        screened.counts,
        encoded.height,
        dataset.version,
        {"read": read - started, "rules": ruled - read, "write": done - ruled},
    )


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
        return {
            "person_id": self.person_id,
            "agreement_id": self.agreement_id,
            "date": self.date,
            "outcome": self.outcome,
            "placement": self.reported_placement,
            "rules": RULE_SEPARATOR.join(r.rule_id for r in self.failing),
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
