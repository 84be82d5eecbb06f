"""The ledger over real HTTP: finance accrues, closes and corrects; reading follows the policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.accounts.models import User
from accord.ledger.models import Month
from tests.web.test_api import Api, api, error  # noqa: F401  (the fixture)
from tests.web.test_ledger import Stays, stays  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_finance_closes_reads_and_corrects_over_http(api: Api, users: dict[str, User], stays: Stays) -> None:  # noqa: F811
    stays((dt.date(2025, 3, 1), None))
    finance, officer, salvador, monitor = api("finance"), api("officer"), api("salvador"), api("monitor")
    error(officer.post("/ledger/months/2025-03/close"), 403)
    assert not Month.objects.exists()
    error(finance.post("/ledger/months/2025-13/accrue"), 422, "month")
    accrued = finance.post("/ledger/months/2025-03/accrue")
    assert accrued.status_code == 200 and accrued.json()["person_days"] == 31
    closed = finance.post("/ledger/months/2025-03/close")
    assert closed.status_code == 200
    [invoice] = closed.json()
    assert invoice["total_minor"] == 170500 and invoice["assumption"] is True
    assert finance.post("/ledger/months/2025-03/close").json() == [invoice]  # idempotent
    error(finance.post("/ledger/months/2025-03/accrue"), 400, "month")
    detail = salvador.get("/ledger/invoice", params={"number": invoice["number"]}).json()
    assert [(li["facility"], li["person_days"], li["amount_minor"]) for li in detail["lines"]] == [
        ("cecot", 31, 170500)
    ]
    assert monitor.get("/ledger/invoices").status_code == 403
    error(salvador.get("/ledger/reconciliation", params={"month": "2025-03"}), 403)
    assert api("reviewer").get("/ledger/reconciliation", params={"month": "2025-03"}).json() == []
    csv = api("reviewer").get("/ledger/statement.csv", params={"month": "2025-03"})
    assert csv.headers["content-type"].startswith("text/csv") and ",cecot," in csv.text
    bad: dict[str, Any] = {"invoice": invoice["number"], "amount_minor": -5500, "reason": ""}
    error(finance.post("/ledger/corrections", json=bad), 400, "invoice")
    # Bad input is a 422 naming its field, never a 500 from the database.
    for field, value in (
        ("invoice", "INV\x00"),
        ("reason", "late\x00"),
        ("amount_minor", 2**63),
        ("person_days", -(2**70)),
    ):
        error(finance.post("/ledger/corrections", json={**bad, "reason": "late", field: value}), 422, field)
    done = finance.post("/ledger/corrections", json={**bad, "reason": "release recorded late", "person_days": -1})
    assert done.status_code == 201 and done.json()["month"] == "2025-04"
    error(api("reviewer").post("/ledger/corrections", json=bad), 403)
