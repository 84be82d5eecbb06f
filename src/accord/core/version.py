"""The version of the rule code a decision was made with: changes whenever the code changes.

A package version number moves only when someone remembers to bump it; a hash of the code that
decides cannot be forgotten. With the data version, it pins down exactly what produced a decision.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

CORE = Path(__file__).resolve().parent
# The code that turns a record, a date and the data into a decision.
DECIDING = ("rules/*.py", "screening.py", "dataset.py", "records.py", "vocabulary.py")


@cache
def rules_version() -> str:
    digest = hashlib.sha256()
    for pattern in DECIDING:
        for path in sorted(CORE.glob(pattern)):
            digest.update(path.relative_to(CORE).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{version('accord')}+{digest.hexdigest()[:12]}"
