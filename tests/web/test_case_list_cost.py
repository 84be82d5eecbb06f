"""The filtered case list (issue #11 §8): a page costs the same queries however many cases it
shows, for every role, and reads its rows in the order of the index that serves the filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pydantic import TypeAdapter

from accord.accounts.models import User
from accord.api.api import api
from accord.api.cases import _case_out
from accord.api.schemas import CaseOut
from accord.cases.selectors import CaseFilters, case_list, work_queue
from accord.cases.services import open_case
from accord.people.models import Person
from tests.web.test_step_cost import FELON, ROLE_OF, post_step

pytestmark = pytest.mark.django_db


def _list(client: Client, token: str, **params: str) -> tuple[list[dict[str, Any]], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/cases", params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


def test_a_case_list_page_costs_the_same_queries_for_one_case_as_for_many(
    users: dict[str, User], tokens: dict[str, str], facilities: None, make_person: Callable[..., Person]
) -> None:
    client = Client()
    counts: dict[str, list[int]] = {"officer": [], "salvador": []}
    for who in counts:
        _list(client, tokens[who])  # the token's first use is written down once a minute
    for n, pid in enumerate(("L1", "L2", "L3")):
        case_id = open_case(make_person(pid, **FELON), "us-sv-2025", user=users["officer"]).pk
        for step in ("submit", "approve", "refer"):
            post_step(client, tokens[ROLE_OF[step]], case_id, step)
        for who in counts:
            rows, queries = _list(client, tokens[who], nationality="VE", agreement_id="us-sv-2025")
            assert len(rows) == n + 1
            counts[who].append(queries)
    # A receiving officer's rows are the records sent: read with the page, not once per case.
    assert all(len(set(c)) == 1 for c in counts.values()), counts
    rows, _ = _list(client, tokens["salvador"])
    assert [r["person_id"] for r in rows] == ["L3", "L2", "L1"]  # newest first
    assert all(r["outcome"] is None and r["failing_rules"] == [] for r in rows)


def test_every_roles_list_and_queue_are_the_declared_schema_byte_for_byte(
    users: dict[str, User], tokens: dict[str, str], facilities: None, make_person: Callable[..., Person]
) -> None:
    """The list and the queue are rendered as ``_case_out`` builds their lines, not validated
    again (#11 §8): each role's page is exactly what validating those lines as ``CaseOut`` and
    rendering them gives, and still what the role may see (a receiving officer: no outcome)."""
    client = Client()
    for n, pid in enumerate(("V1", "V2", "V3", "V4")):
        case_id = open_case(make_person(pid, **FELON), "us-sv-2025", user=users["officer"]).pk
        for step in ("submit", "approve", "refer", "accept")[: n + 1]:
            post_step(client, tokens[ROLE_OF[step]], case_id, step)
    open_case(make_person("V5", nationalities="GT"), "us-sv-2025", user=users["officer"])  # barred, never sent
    lines = TypeAdapter(list[CaseOut])
    for who in ("officer", "reviewer", "salvador", "monitor", "admin"):
        for path, selected in (
            ("/api/v1/cases", lambda u: case_list(u, CaseFilters())),
            ("/api/v1/queue", work_queue),
        ):
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {tokens[who]}")
            if response.status_code == 403:  # a role that may not see cases
                continue
            assert response.status_code == 200, (who, path, response.content)
            validated = lines.validate_python([_case_out(c, users[who]) for c in selected(users[who])[:50]])
            expected = api.renderer.render(None, lines.dump_python(validated), response_status=200)  # type: ignore[arg-type]
            assert response.content.decode() == expected, (who, path)
            assert response["Content-Type"] == "application/json; charset=utf-8"
    sent = client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {tokens['salvador']}").json()
    assert sorted(r["person_id"] for r in sent) == ["V3", "V4"] and all(r["outcome"] is None for r in sent)
