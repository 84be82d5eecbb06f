"""CSV cells a spreadsheet will not run: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return (after any number of ``'``) gets one ``'`` in front, which spreadsheets read
as "text" and show without it (OWASP, CSV injection). The escape is reversible, so files read
back by Accord (an audit export, a person file) hold exactly what was written: ``unescape`` drops
the one ``'`` that ``escape`` added, and leaves every other cell, ``'t Hooft`` included, alone.
"""

from __future__ import annotations

import re

import polars as pl

_RUNS = r"^'*[=+\-@\t\r]"  # what a spreadsheet would evaluate once its text quote is stripped
_ESCAPED = r"^'+[=+\-@\t\r]"
_RUNS_RE, _ESCAPED_RE = re.compile(_RUNS), re.compile(_ESCAPED)


def escape(text: str) -> str:
    return "'" + text if _RUNS_RE.match(text) else text


def unescape(text: str) -> str:
    return text[1:] if _ESCAPED_RE.match(text) else text


def escape_column(name: str) -> pl.Expr:
    col = pl.col(name)
    return pl.when(col.str.contains(_RUNS)).then(pl.lit("'") + col).otherwise(col).alias(name)


def unescape_column(name: str) -> pl.Expr:
    col = pl.col(name)
    return pl.when(col.str.contains(_ESCAPED)).then(col.str.slice(1)).otherwise(col).alias(name)
