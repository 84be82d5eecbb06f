"""Issue #13's "done when", in a real browser (Debian's Chromium) against a live server: finance
accrues a month of CECOT fees, reads its invoice, the lines and their person-days, downloads the
PDF, closes the month, and posts a correction that lands in the next month. Screenshots go to the
test's tmp dir for a human to look at."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accord.ledger.models import Invoice, Month, Transaction
from tests.web import test_browser
from tests.web.test_browser import Browser
from tests.web.test_ledger import Stays, stays

__all__ = ["stays"]  # the fixture: CECOT occupancy periods
browse = test_browser.browse
browser_type_launch_args = test_browser.browser_type_launch_args
browser_context_args = test_browser.browser_context_args

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

D = dt.date
CECOT_INVOICE = "2025-03/us-sv-2025/US-SV/USD"


def shoot(browse: Browser, shots: Path, name: str) -> Path:
    path = shots / f"{name}.png"
    browse.page.screenshot(path=path, full_page=True)
    return path


def test_finance_reads_the_cecot_invoice_downloads_the_pdf_closes_the_month_and_corrects_it(
    browse: Browser, stays: Stays, tmp_path: Path
) -> None:
    stays((D(2025, 3, 1), None), (D(2025, 3, 10), D(2025, 3, 10)))  # 31 + 1 person-days in CECOT
    page = browse.page
    browse.log_in("finance")

    # The ledger from the menu; accrue March.
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Ledger").click()
    browse.checked()
    page.get_by_label("Accrue a month (YYYY-MM)").fill("2025-03")
    with page.expect_navigation():
        page.get_by_role("button", name="Accrue", exact=True).click()
    browse.checked()
    expect(page.locator(".message.success")).to_contain_text("2025-03 accrued: 32 person-days")

    # The month's CECOT invoice (a draft while the month is open), its lines and their person-days.
    with page.expect_navigation():
        page.get_by_role("link", name=CECOT_INVOICE).click()
    browse.checked()
    expect(page.locator("h1")).to_have_text(f"Invoice {CECOT_INVOICE}")
    expect(page.get_by_role("note")).to_contain_text("Draft: not issued until the month closes.")
    line = page.locator("table.ledger-lines tbody tr")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("cecot")
    expect(line.locator("td").nth(5)).to_have_text("32")
    expect(line.locator("td").nth(6)).to_contain_text("1,760.00 USD")
    expect(line.locator(".badge.assumption")).to_have_text("assumption")
    expect(page.locator(".assumptions")).to_contain_text("illustrative order of magnitude")
    shoot(browse, tmp_path, "1-draft-invoice")

    # The PDF, downloaded as a user would, read back. Rendering it can take seconds on a busy
    # machine: the wait is for the download, not a measure of speed.
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("link", name="Download the PDF").click(timeout=60_000)
    pdf = tmp_path / "invoice.pdf"
    download.value.save_as(pdf)
    words = " ".join(
        subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    assert f"Invoice / Factura {CECOT_INVOICE}" in words
    assert "55.00 USD 32 1,760.00 USD Assumption / Supuesto" in words

    # Close the month: the confirmation is required, then the invoice is issued.
    with page.expect_navigation():
        page.get_by_role("link", name="Month 2025-03").click()
    page.get_by_label("I have read the invoices: close 2025-03 for good").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Close 2025-03").click()
    browse.checked()
    expect(page.locator(".message.success")).to_have_text("2025-03 is closed; 1 invoice(s) issued.")
    expect(page.locator("h1 .state")).to_have_text("closed")
    expect(page.get_by_role("button", name="Close 2025-03")).to_have_count(0)
    shoot(browse, tmp_path, "2-closed-month")
    assert Month.objects.get(month="2025-03").status == Month.Status.CLOSED

    # A credit note of the closed invoice lands in the next open month, with its reference.
    with page.expect_navigation():
        page.get_by_role("link", name=CECOT_INVOICE).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Post a correction").click()
    browse.checked()
    page.get_by_label("Amount in the invoice's currency").fill("-55.00")
    page.get_by_label("Person-days corrected").fill("-1")
    page.get_by_label("Facility (code)").fill("cecot")
    page.get_by_label("Reason").fill("release recorded late")
    with page.expect_navigation():
        page.get_by_role("button", name="Post the correction").click()
    browse.checked()
    expect(page.locator(".message.success")).to_have_text(f"Correction of {CECOT_INVOICE} posted into 2025-04.")
    with page.expect_navigation():
        page.get_by_role("link", name="2025-04/us-sv-2025/US-SV/USD").click()
    browse.checked()
    credit = page.locator("table.ledger-lines tbody tr", has_text="correction")
    expect(credit).to_contain_text(f"corrects {CECOT_INVOICE}")
    expect(credit).to_contain_text("-55.00 USD")
    shoot(browse, tmp_path, "3-correction-next-month")

    march = Invoice.objects.get(number=CECOT_INVOICE)
    assert march.total_minor == 32 * 5500  # the closed month's invoice is untouched
    assert Transaction.objects.get(kind=Transaction.Kind.CORRECTION).corrects == march
