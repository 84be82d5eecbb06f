"""The rules version follows the deciding code itself, not a number someone must remember to bump."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accord.core import version


def test_the_rules_version_changes_when_a_rule_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "core"
    shutil.copytree(version.CORE, copy)
    monkeypatch.setattr(version, "CORE", copy)
    version.rules_version.cache_clear()
    before = version.rules_version()
    rule = copy / "rules" / "us.py"
    rule.write_text(
        rule.read_text().replace("A US citizen or national is never removed", "A US citizen is not removed")
    )
    version.rules_version.cache_clear()
    after = version.rules_version()
    version.rules_version.cache_clear()
    assert before != after and before.split("+")[0] == after.split("+")[0]
