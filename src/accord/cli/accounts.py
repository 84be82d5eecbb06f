"""``accord token issue`` and ``accord user create``: tokens and account maintenance."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import (
    app,
    console,
    django_setup,
    errors,
    fail,
)

token_app = typer.Typer(help="Your API tokens (for the API and these commands).", no_args_is_help=True)
user_app = typer.Typer(help="Maintenance of accounts, acting as nobody (recorded as such).", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")


def _password(stdin: bool, confirm: bool) -> str:
    import sys

    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm, err=True))  # stdout: the token


@token_app.command("issue")
def token_issue(
    username: Annotated[str, typer.Argument(help="Your username.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for (shown in your token list).")] = "cli",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read your password from standard input instead of a prompt.")
    ] = False,
) -> None:
    """Issue yourself a token, proving who you are with your password; it is printed once."""
    django_setup()
    from accord.accounts.models import User
    from accord.accounts.services import AccountError, issue_token

    password = _password(password_stdin, confirm=False)
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not user.check_password(password):
        raise fail("wrong username or password", 2)
    try:
        _row, token = issue_token(user, name, reason="issued with `accord token issue`")
    except AccountError as err:
        raise fail(str(err), 2) from None
    console.print(token, highlight=False, soft_wrap=True)
    errors.print("Keep it like a password: export ACCORD_TOKEN=<token> for the commands.", highlight=False)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="The new account's username.")],
    role: Annotated[
        str, typer.Option("--role", help="case_officer, legal_reviewer, receiving_officer, finance, monitor or admin.")
    ],
    state: Annotated[str, typer.Option("--state", help="For a receiving officer: the ISO code of their state.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")
    ] = False,
) -> None:
    """Create an account (the first administrator, say): maintenance, recorded as `accord user create`."""
    django_setup()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from accord.accounts.models import User
    from accord.accounts.services import create_user, set_password
    from accord.audit.services import maintenance

    password = _password(password_stdin, confirm=True)
    try:
        validate_password(password, User(username=username))
        with maintenance("accord user create"), transaction.atomic():
            user = create_user(username, role, state, by=None, reason="created on the command line")
            set_password(user, password, by=None, reason="set on the command line")
    except ValidationError as err:
        raise fail("; ".join(err.messages), 2) from None
    console.print(f"User {escape(username)} created ({role}{', ' + state if state else ''}).", highlight=False)
