"""The ``accord`` command line: thin commands over the use cases, one module per part of the domain.
Importing this package registers every command on ``app``, in the order ``--help`` lists them."""

from __future__ import annotations

# isort: off
from accord.cli import screening, people, cases, holds, ledger, movements, accounts, audit, demo
from accord.cli.common import app

# isort: on

__all__ = ["accounts", "app", "audit", "cases", "demo", "holds", "ledger", "movements", "people", "screening"]
