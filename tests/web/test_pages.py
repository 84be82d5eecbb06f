"""Every page renders for the roles that may see it and is refused to the others."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def client_for(users: dict[str, Any], facilities: None) -> Any:
    def login(name: str) -> Client:
        client = Client()
        client.force_login(users[name])
        return client

    return login


def test_the_person_page_explains_every_agreement(client_for: Any, make_person: Any) -> None:
    make_person("A1", nationalities="VE", conviction="felony", fear_screened="SV")
    page = client_for("officer").get("/people/A1/")
    assert page.status_code == 200
    html = page.content.decode()
    for agreement in ("us-sv-2025", "us-ve-2025", "us-mx-chnv", "pa-co-2025"):
        assert agreement in html
    assert "8 U.S.C. §1101(a)(3)" in html
    assert "Open a case under us-ve-2025" in html


def test_opening_a_case_screens_and_stores_the_result(client_for: Any, make_person: Any) -> None:
    make_person("A2", nationalities="VE")
    client = client_for("officer")
    response = client.post("/cases/new/", {"person_id": "A2", "agreement_id": "us-ve-2025"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "eligible" in html and "us-ve-2025/own-nationals" in html
    listing = client.get("/cases/?agreement=us-ve-2025&nationality=VE").content.decode()
    assert "A2" in listing


@pytest.mark.parametrize(
    ("name", "path", "status"),
    [
        ("officer", "/people/", 200),
        ("officer", "/people/import/", 200),
        ("reviewer", "/people/import/", 403),
        ("salvador", "/people/", 403),
        ("salvador", "/statistics/", 403),
        ("monitor", "/people/", 403),
        ("monitor", "/cases/", 403),
        ("monitor", "/statistics/", 200),
        ("finance", "/facilities/", 200),
        ("salvador", "/cases/", 200),
        ("officer", "/agreements/us-sv-2025/", 200),
        ("officer", "/agreements/nope/", 404),
    ],
)
def test_pages_by_role(client_for: Any, name: str, path: str, status: int) -> None:
    assert client_for(name).get(path).status_code == status


def test_anonymous_users_are_sent_to_log_in(db: Any) -> None:
    response = Client().get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "path",
    ["/people/?q=%00", "/cases/?q=%00", "/cases/?nationality=%00", "/people/P%00/", "/people/?q=" + "x" * 5000],
)
def test_unusable_input_is_a_clear_400_not_a_crash(client_for: Any, path: str) -> None:
    response = client_for("officer").get(path)
    assert response.status_code == 400
    assert "NUL" in response.content.decode() or "longer than" in response.content.decode()


def test_a_page_number_far_beyond_the_end_is_an_empty_page(client_for: Any) -> None:
    response = client_for("officer").get("/cases/?page=99999999999999999999")
    assert response.status_code == 200 and "No cases match." in response.content.decode()


def test_lists_vary_on_htmx_and_history_restores_get_the_whole_page(client_for: Any) -> None:
    client = client_for("officer")
    fragment = client.get("/cases/", headers={"HX-Request": "true"})
    restore = client.get("/cases/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "HX-Request" in fragment["Vary"]
    assert "<h1>" not in fragment.content.decode()
    assert "<h1>Cases</h1>" in restore.content.decode()


def test_the_api_docs_load_their_own_scripts(client_for: Any) -> None:
    html = client_for("officer").get("/api/v1/docs").content.decode()
    assert "cdn.jsdelivr.net" not in html
