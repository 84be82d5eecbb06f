"""Places and quotas already used, read from a TOML file for command-line screening.

The case system supplies usage from its database; a file serves the CLI and what-if analysis::

    [facilities.cecot]
    occupied = 39990
    reserved = 5
    suspended = false

    [[quotas]]
    agreement = "us-mx-chnv"
    clause = "quota"
    month = "2025-01"
    used = 30000
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.core.dataset import DataFileError
from accord.core.rules.engine import FacilityUsage, Usage


class _FacilityEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occupied: int = Field(0, ge=0)
    reserved: int = Field(0, ge=0)
    suspended: bool = False


class _QuotaEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agreement: str
    clause: str
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    used: int = Field(ge=0)


class _UsageFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facilities: dict[str, _FacilityEntry] = {}
    quotas: list[_QuotaEntry] = []


def load_usage(path: Path) -> Usage:
    """Read a usage file; a bad one is refused naming the file, the key and the reason."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        parsed = _UsageFile.model_validate(raw)
    except OSError as err:
        raise DataFileError(path, "", f"cannot read: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise DataFileError(path, "", f"not valid TOML: {err}") from None
    except ValidationError as err:
        first = err.errors()[0]
        raise DataFileError(path, ".".join(map(str, first["loc"])), first["msg"]) from None
    return Usage(
        facilities={k: FacilityUsage(v.occupied, v.reserved, v.suspended) for k, v in parsed.facilities.items()},
        quota_used={(q.agreement, q.clause, q.month): q.used for q in parsed.quotas},
    )
