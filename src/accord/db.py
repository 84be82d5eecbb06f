"""Statements a request runs every time, compiled once.

Django builds and compiles a queryset anew on every call: for the lookups every workflow step
makes (the case, the locks, the usage) that took more time than the database spent answering
them (0.5–0.9 ms against 0.05–0.25 ms a lookup, #11 §8). ``first`` and ``rows`` compile
the queryset ``build`` returns once per database connection (so per thread: nothing compiled is
shared between threads) with placeholder values, and run that SQL again with the values given,
turning the rows into models or values with Django's own converters. The SQL is the ORM's, so
it follows the models; only values passed as arguments may vary between calls, and each must
reach the SQL as exactly one parameter (checked when compiling).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)

# Stand-ins for the values while compiling: integers inside a 32-bit column's range (Django turns
# an out-of-range integer lookup into an empty query) and strings no caller passes.
_INTEGER_PLACEHOLDER = -1_000_000_000
_TEXT_PLACEHOLDER = "\x00accord-parameter-"
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class _Compiled:
    compiler: Any  # django.db.models.sql.compiler.SQLCompiler, after as_sql()
    sql: str
    params: tuple[object, ...]
    slots: tuple[int, ...]  # where each argument goes in ``params``
    locks: bool  # SELECT … FOR UPDATE: only inside a transaction, as the ORM enforces
    converters: dict[int, Any]  # by column: the field's and the backend's conversions of a value read


def first(build: Callable[..., QuerySet[M]], *values: int | str) -> M | None:
    """The first model of ``build(*values)`` (give it a single row: ``.filter(pk=…)[:1]``), with its
    ``select_related`` models, or None."""
    compiled = _compiled(build, values)
    found = _run(compiled, values)
    if not found:
        return None
    klass_info, select = compiled.compiler.klass_info, compiled.compiler.select
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    obj: M = klass_info["model"].from_db(
        DEFAULT_DB_ALIAS, [f[0].target.attname for f in select[start:end]], found[0][start:end]
    )
    for populator in get_related_populators(klass_info, select, DEFAULT_DB_ALIAS):  # type: ignore[call-arg]  # Django 5.2's signature (the stubs are 6.0's)
        populator.populate(found[0], obj)
    return obj


def rows(build: Callable[..., QuerySet[Any]], *values: int | str) -> list[tuple[Any, ...]]:
    """The rows of ``build(*values)``, a ``values_list`` queryset, as its values."""
    return [tuple(row) for row in _run(_compiled(build, values), values)]


def _compiled(build: Callable[..., QuerySet[Any]], values: Sequence[object]) -> _Compiled:
    # Kept on this thread's connection (not on ``django.db.connection``, a proxy every thread
    # shares), by the code that builds the queryset, the values it closes over (what else the
    # queryset depends on, such as a set of codes) and the number of values: a builder that
    # closes over a variable is never answered with the statement compiled for another value of it.
    kept: dict[Hashable, _Compiled] = connections[DEFAULT_DB_ALIAS].__dict__.setdefault("accord_compiled", {})
    closed_over = tuple(cell.cell_contents for cell in build.__closure__ or ())
    key = (build.__code__, closed_over, len(values))
    try:
        found = kept.get(key)
    except TypeError:
        raise TypeError(
            f"a compiled statement's builder may close over hashable values only: {closed_over!r}"
        ) from None
    if found is None:
        found = kept[key] = _compile(build, values)
    return found


def _compile(build: Callable[..., QuerySet[Any]], values: Sequence[object]) -> _Compiled:
    placeholders = [
        _INTEGER_PLACEHOLDER - i if isinstance(v, int) else f"{_TEXT_PLACEHOLDER}{i}" for i, v in enumerate(values)
    ]
    queryset = build(*placeholders)
    compiler = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # the ORM's own answer to, say, ``code__in=[]``: no rows, whatever the values
        return _Compiled(compiler, "", (), (), locks=False, converters={})
    slots = []
    for placeholder in placeholders:
        found = [i for i, p in enumerate(params) if p == placeholder]
        if len(found) != 1:
            raise ValueError(f"a value must reach the SQL as one parameter, found {len(found)}: {sql}")
        slots.append(found[0])
    locks = bool(queryset.query.select_for_update) and connection.features.has_select_for_update
    selected = [s[0] for s in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(selected):
        raise ValueError(f"composite fields are not supported: {sql}")
    converters = compiler.get_converters(selected)  # what results_iter would find on every call
    return _Compiled(compiler, sql, tuple(params), tuple(slots), locks, converters)


def _run(compiled: _Compiled, values: Sequence[object]) -> list[list[Any]]:
    if not compiled.sql or any(isinstance(v, int) and not _INT64[0] <= v <= _INT64[1] for v in values):
        return []  # no row holds an integer no column can (the ORM answers such a lookup alike)
    if compiled.locks and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    params: list[Any] = list(compiled.params)
    for slot, value in zip(compiled.slots, values, strict=True):
        params[slot] = value
    compiler = compiled.compiler
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        fetched = cursor.fetchall()
    if compiler.has_extra_select:  # ordering columns the select does not hold
        fetched = [row[: compiler.col_count] for row in fetched]
    if not compiled.converters:
        return [list(row) for row in fetched]
    return list(compiler.apply_converters(fetched, compiled.converters))
