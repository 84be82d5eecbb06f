"""Project-wide guarantees: migrations, deployment checks, the pure core, hashing, WAL, CSP."""

from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db.utils import ConnectionHandler
from django.test import Client

from accord.accounts.models import User
from accord.web import settings as real_settings

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_are_checked_in(db: Any) -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits 1 on a missing migration


def test_the_production_settings_pass_the_deployment_checks(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set by conftest for tests
        "DJANGO_SETTINGS_MODULE": "accord.web.settings_production",
        "ACCORD_SECRET_KEY": secrets.token_urlsafe(64),
        "ACCORD_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_login_lockout_counts_the_address_the_proxy_saw(monkeypatch: Any, rf: Any) -> None:
    monkeypatch.setenv("ACCORD_SECRET_KEY", secrets.token_urlsafe(64))
    production = importlib.import_module("accord.web.settings_production")
    assert production.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    # A client may send any X-Forwarded-For; only the last entry, the proxy's own, is trusted.
    request = rf.get("/login/", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    assert production.client_address(request) == "203.0.113.9"
    assert production.client_address(rf.get("/login/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


def test_the_rules_core_imports_no_web_framework() -> None:
    code = (
        "import accord.core.screening, accord.core.records, accord.core.population, sys; "
        "assert not any(m.split('.')[0] in {'django', 'ninja'} for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_passwords_are_hashed_with_argon2(db: Any, settings: Any) -> None:
    settings.PASSWORD_HASHERS = real_settings.PASSWORD_HASHERS  # conftest swaps in MD5 for speed
    user = User.objects.create_user(username="hashed", password="correct horse battery staple 42")
    assert user.password.startswith("argon2")
    assert user.check_password("correct horse battery staple 42")


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only"
)
def test_sqlite_runs_in_wal_mode(tmp_path: Path, django_db_blocker: Any) -> None:
    # The test runner opens its own database; open a file with the real settings to see what they set.
    handler = ConnectionHandler({"default": {**real_settings.DATABASES["default"], "NAME": tmp_path / "wal.sqlite3"}})
    connection = handler["default"]
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        connection.close()


def test_pages_carry_a_content_security_policy_without_inline_code(db: Any) -> None:
    response = Client().get("/login/")
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    policy = {words[0]: words[1:] for words in (d.split() for d in header.split(";")) if words}
    assert "'unsafe-inline'" not in header
    assert policy["default-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and all(s.startswith("'nonce-") for s in policy["script-src"][1:])


def test_an_api_operation_that_lost_its_authentication_refuses_the_caller(rf: Any) -> None:
    """``caller`` refuses a request no authenticator vouched for, also under ``python -O``, where an
    assert would vanish and an anonymous request would reach the use case."""
    from ninja.errors import AuthenticationError

    from accord.api.common import caller

    with pytest.raises(AuthenticationError):
        caller(rf.get("/api/v1/cases"))
