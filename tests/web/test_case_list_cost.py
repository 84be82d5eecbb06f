"""The filtered case list (issue #11 §8): a page costs the same queries however many cases it
shows, for every role, and reads its rows in the order of the index that serves the filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import User
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
