"""Schemathesis over the whole API, as each role, over real HTTP: requests generated from the
OpenAPI document (valid ones, and invalid ones built to break it) against a live server holding
people, cases in several states and a hold. No answer may be a 5xx, and every error is the JSON
``{message, field}`` shape.

``ACCORD_FUZZ_EXAMPLES`` sets the examples per operation, role and mode (CI: 8; a deep run: 200).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from accord.accounts.models import Role, User
from accord.cases.services import open_case
from accord.cases.steps import take_step
from accord.people.models import Person
from tests.web.conftest import ROLES, options_for

pytestmark = pytest.mark.django_db(transaction=True)  # live_server needs committed data

EXAMPLES = int(os.environ.get("ACCORD_FUZZ_EXAMPLES", "8"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture
def world(users: dict[str, User], facilities: None, make_person: Callable[..., Person]) -> None:
    """People, a case at each of several stages, and a hold: ids the generator can hit."""
    officer, reviewer, salvador = users["officer"], users["reviewer"], users["salvador"]
    walks = {
        "P1": (),
        "P2": ("submit",),
        "P3": ("submit", "approve", "refer"),
        "P4": ("submit", "approve", "refer", "accept"),
    }
    actor = {"submit": officer, "approve": reviewer, "refer": officer, "accept": salvador}
    for person_id, steps in walks.items():
        case = open_case(make_person(person_id, nationalities="VE", conviction="felony"), "us-sv-2025", user=officer)
        for step in steps:
            take_step(case.pk, step, user=actor[step], reason="fuzz world", **options_for(step))
    User.objects.create_user(username="caracas", role=Role.RECEIVING_OFFICER, receiving_state="VE")


@pytest.mark.parametrize("role", [name for name, _, _ in ROLES])
def test_no_request_of_any_role_gets_a_server_error(
    live_server: Any, world: None, tokens: dict[str, str], role: str
) -> None:
    document = httpx.get(f"{live_server.url}/api/v1/openapi.json", timeout=60).json()
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            check_operation(operation, mode, live_server.url, headers, failures)
    assert not failures, "\n".join(failures[:20])


def check_operation(operation: Any, mode: GenerationMode, base: str, headers: dict[str, str], out: list[str]) -> None:
    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base, headers=headers, timeout=60)
        what = f"{mode.value} {operation.label} -> {response.status_code}"
        if response.status_code >= 500:
            out.append(f"{what}: {case.as_curl_command()}")
        elif response.status_code >= 400 and _in_the_api(response) and not _json_error(response):
            out.append(f"{what} is not a JSON error: {response.text[:80]!r} ({case.as_curl_command()})")

    run()


def _in_the_api(response: Any) -> bool:
    """Whether the request reached the API: a generated path such as ``../../x`` is normalized by
    the HTTP client to a page outside it, which answers as a page does."""
    return urlsplit(response.request.url).path.startswith("/api/")


def _json_error(response: Any) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("message"), str) and "field" in body
