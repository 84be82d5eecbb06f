"""The ledger's pages (issue #13 §5): who reads and who acts, closing from the page, corrections,
the statement as PDF (read back with pdftotext) and CSV, and the pages in Spanish."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accord.accounts.models import User
from accord.audit.models import AuditEvent
from accord.capacity.models import Reservation
from accord.ledger import services
from accord.ledger.models import Invoice, Line, Month, Transaction
from tests.web.test_ledger import Stays, stays

__all__ = ["stays"]  # the fixture: CECOT occupancy periods
pytestmark = pytest.mark.django_db

D = dt.date
MARCH = "2025-03"
CECOT_INVOICE = f"{MARCH}/us-sv-2025/US-SV/USD"
VE_INVOICE = f"{MARCH}/us-ve-2025/US-VE/USD"
# The fee's assumption note, as the agreement data gives it (us-sv-2025.toml).
NOTE = "55.00 USD a person-day is an illustrative order of magnitude"


def client(username: str, language: str = "") -> Client:
    """A logged-in client; ``language`` is what its browser asks for (Accept-Language)."""
    c = Client(**({"HTTP_ACCEPT_LANGUAGE": language} if language else {}))
    c.force_login(User.objects.get(username=username))
    return c


@pytest.fixture
def march(users: dict[str, User], stays: Stays) -> None:
    """March 2025: 31 + 1 CECOT person-days (US -> SV) accrued, and a transport charge to
    Venezuela's invoice (US -> VE) that the Salvadoran officer must not see."""
    stays((D(2025, 3, 1), None), (D(2025, 3, 10), D(2025, 3, 10)))
    services.accrue_month(MARCH, actor=users["finance"])
    services.charge_transport("MOVEMENT-7", "us-ve-2025", "US", 250_000, "USD", D(2025, 3, 20), payee="VE")


def close(c: Client, month: str = MARCH, confirm: bool = True) -> Any:
    data = {"month": month, **({"confirm": "yes"} if confirm else {})}
    return c.post("/ledger/close/", data, follow=True)


def text(response: Any) -> str:
    return response.content.decode()


def test_finance_reads_the_draft_invoice_its_lines_and_assumption_then_closes_the_month(
    users: dict[str, User], march: None
) -> None:
    finance = client("finance")
    home = text(finance.get("/ledger/"))
    assert MARCH in home and "open" in home and 'action="/ledger/accrue/"' in home

    month = text(finance.get(f"/ledger/{MARCH}/"))
    assert CECOT_INVOICE in month and VE_INVOICE in month and "draft" in month

    page = text(finance.get("/ledger/invoice/", {"number": CECOT_INVOICE}))
    assert "Draft: not issued until the month closes." in page
    assert "cecot-person-day" in page and "2025-02-03" in page  # the fee and the day its rate starts
    assert "55.00 USD" in page and ">32<" in page and "1,760.00 USD" in page  # rate, person-days, amount
    assert "assumption" in page and NOTE in page
    assert "P-LEDGER" not in page  # counts, never who

    done = close(finance)
    assert done.status_code == 200 and f"{MARCH} is closed; 2 invoice(s) issued." in text(done)
    assert Month.objects.get(month=MARCH).status == Month.Status.CLOSED
    invoice = Invoice.objects.get(number=CECOT_INVOICE)
    assert (invoice.total_minor, invoice.assumption) == (32 * 5500, True)
    issued = text(finance.get("/ledger/invoice/", {"number": CECOT_INVOICE}))
    assert "Draft" not in issued and "1,760.00 USD" in issued and "Post a correction" in issued
    assert "ledger.close" in AuditEvent.objects.values_list("action", flat=True)


def test_closing_from_the_page_is_idempotent_and_a_closed_month_refuses_changes(
    users: dict[str, User], march: None, stays: Stays
) -> None:
    finance = client("finance")
    close(finance)
    lines, invoices = Line.objects.count(), Invoice.objects.count()

    again = close(finance)
    assert f"{MARCH} was already closed: nothing changed." in text(again)
    assert (Line.objects.count(), Invoice.objects.count()) == (lines, invoices)

    stays((D(2025, 3, 20), None))  # a stay recorded late cannot change the closed month
    refused = finance.post("/ledger/accrue/", {"month": MARCH}, follow=True)
    assert f"Nothing was accrued: month {MARCH} is closed: it is not accrued again" in text(refused)
    assert Line.objects.count() == lines
    page = text(finance.get(f"/ledger/{MARCH}/"))
    assert "Closed on" in page and 'action="/ledger/close/"' not in page  # no close form on a closed month


def test_closing_needs_the_confirmation_and_a_bad_month_is_named(users: dict[str, User], march: None) -> None:
    finance = client("finance")
    refused = close(finance, confirm=False)
    assert "was not closed: tick the confirmation" in text(refused)
    assert Month.objects.get(month=MARCH).status == Month.Status.OPEN and not Invoice.objects.exists()

    bad = finance.post("/ledger/accrue/", {"month": "2025-13"}, follow=True)
    assert "Month: &#x27;2025-13&#x27; is not a month (YYYY-MM)." in text(bad)
    assert Month.objects.count() == 1


def test_a_legal_reviewer_reads_money_but_cannot_accrue_close_or_correct(users: dict[str, User], march: None) -> None:
    reviewer = client("reviewer")
    assert CECOT_INVOICE in text(reviewer.get(f"/ledger/{MARCH}/"))
    month = text(reviewer.get(f"/ledger/{MARCH}/"))
    assert 'action="/ledger/close/"' not in month and 'action="/ledger/accrue/"' not in month
    assert reviewer.get("/ledger/invoice/", {"number": CECOT_INVOICE}).status_code == 200
    assert reviewer.get(f"/ledger/{MARCH}/reconciliation/").status_code == 200

    assert close(reviewer).status_code == 403
    assert reviewer.post("/ledger/accrue/", {"month": MARCH}).status_code == 403
    assert reviewer.get("/ledger/corrections/new/").status_code == 403
    assert Month.objects.get(month=MARCH).status == Month.Status.OPEN


def test_a_receiving_officer_sees_only_their_states_invoices(users: dict[str, User], march: None) -> None:
    salvador = client("salvador")
    month = text(salvador.get(f"/ledger/{MARCH}/"))
    assert CECOT_INVOICE in month and VE_INVOICE not in month
    assert salvador.get("/ledger/invoice/", {"number": CECOT_INVOICE}).status_code == 200
    # Another state's invoice is not revealed, issued or not.
    assert salvador.get("/ledger/invoice/", {"number": VE_INVOICE}).status_code == 404
    close(client("finance"))
    assert salvador.get("/ledger/invoice/", {"number": VE_INVOICE}).status_code == 404
    assert salvador.get("/ledger/invoice.pdf", {"number": VE_INVOICE}).status_code == 404
    rows = list(csv.DictReader(io.StringIO(salvador.get(f"/ledger/{MARCH}/statement.csv").content.decode())))
    assert {r["invoice"] for r in rows} == {CECOT_INVOICE}

    assert salvador.get(f"/ledger/{MARCH}/reconciliation/").status_code == 403  # covers every state
    assert salvador.post("/ledger/accrue/", {"month": "2025-04"}).status_code == 403
    assert not Month.objects.filter(month="2025-04").exists()


@pytest.mark.parametrize("username", ["monitor", "officer", "admin"])
def test_monitors_case_officers_and_admins_see_no_money(username: str, users: dict[str, User], march: None) -> None:
    c = client(username)
    for path in (
        "/ledger/",
        f"/ledger/{MARCH}/",
        f"/ledger/{MARCH}/statement.csv",
        f"/ledger/{MARCH}/statement.pdf",
        f"/ledger/{MARCH}/reconciliation/",
        f"/ledger/invoice/?number={CECOT_INVOICE}",
        f"/ledger/invoice.pdf?number={CECOT_INVOICE}",
    ):
        response = c.get(path)
        assert response.status_code == 403, path
        assert b"1,760.00" not in response.content
    assert close(c).status_code == 403
    assert 'href="/ledger/"' not in text(c.get("/"))  # no link in the menu or on the home page


def test_the_menu_links_the_ledger_for_the_roles_that_read_money(users: dict[str, User]) -> None:
    for name in ("finance", "reviewer", "salvador"):
        assert 'href="/ledger/"' in text(client(name).get("/")), name


def test_a_correction_from_the_form_lands_in_the_next_open_month(users: dict[str, User], march: None) -> None:
    finance = client("finance")
    close(finance)
    form = text(finance.get("/ledger/corrections/new/", {"invoice": CECOT_INVOICE}))
    assert f'<option value="{CECOT_INVOICE}" selected>' in form

    done = finance.post(
        "/ledger/corrections/new/",
        {"invoice": CECOT_INVOICE, "amount": "-55.00", "person_days": "-1", "facility": "cecot", "reason": "late"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/ledger/2025-04/"
    assert f"Correction of {CECOT_INVOICE} posted into 2025-04." in text(done)
    tx = Transaction.objects.get(kind=Transaction.Kind.CORRECTION)
    assert (tx.month.month, tx.corrects.number if tx.corrects else None) == ("2025-04", CECOT_INVOICE)
    [line] = tx.lines.all()
    assert (line.amount_minor, line.person_days, line.reference) == (-5500, -1, CECOT_INVOICE)
    april = text(finance.get("/ledger/invoice/", {"number": "2025-04/us-sv-2025/US-SV/USD"}))
    assert f"corrects {CECOT_INVOICE}" in april and "-55.00 USD" in april
    assert Invoice.objects.get(number=CECOT_INVOICE).total_minor == 32 * 5500  # untouched
    corrected = text(finance.get("/ledger/invoice/", {"number": CECOT_INVOICE}))
    assert 'href="/ledger/2025-04/"' in corrected  # "corrected in 2025-04"


@pytest.mark.parametrize(
    ("amount", "person_days", "reason", "message"),
    [
        ("abc", "0", "why", "Amount: &#x27;abc&#x27; is not an amount such as 55.00 or -110.00."),
        ("1.234", "0", "why", "Amount: &#x27;1.234&#x27; is not an amount"),
        ("-55.00", "one", "why", "Person-days: &#x27;one&#x27; is not a whole number."),
        ("0", "0", "why", "a correction of 0 changes nothing"),
        ("-55.00", "0", " ", "a correction needs a reason"),
    ],
)
def test_a_bad_correction_is_named_on_the_form_and_posts_nothing(
    amount: str, person_days: str, reason: str, message: str, users: dict[str, User], march: None
) -> None:
    finance = client("finance")
    close(finance)
    data = {"invoice": CECOT_INVOICE, "amount": amount, "person_days": person_days, "reason": reason}
    response = finance.post("/ledger/corrections/new/", data)
    assert response.status_code == 400
    assert "Nothing was posted" in text(response) and message in text(response)
    assert not Transaction.objects.filter(kind=Transaction.Kind.CORRECTION).exists()


def test_a_correction_of_an_unknown_invoice_is_refused(users: dict[str, User], march: None) -> None:
    response = client("finance").post(
        "/ledger/corrections/new/", {"invoice": "2025-03/nope", "amount": "1.00", "reason": "x"}
    )
    assert response.status_code == 400 and "no invoice 2025-03/nope" in text(response)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(content)
    return subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_the_invoice_pdf_has_bilingual_headings_figures_and_its_assumption(
    users: dict[str, User], march: None, tmp_path: Path
) -> None:
    finance = client("finance")
    draft = finance.get("/ledger/invoice.pdf", {"number": CECOT_INVOICE})
    assert draft["Content-Type"] == "application/pdf"
    assert "Draft: not issued until the month closes / Borrador" in " ".join(pdf_text(draft.content, tmp_path).split())

    close(finance)
    response = finance.get("/ledger/invoice.pdf", {"number": CECOT_INVOICE})
    assert 'filename="invoice-2025-03_us-sv-2025_US-SV_USD.pdf"' in response["Content-Disposition"]
    words = " ".join(pdf_text(response.content, tmp_path).split())
    for heading in (
        "Statement / Estado de cuenta",
        f"Invoice / Factura {CECOT_INVOICE}",
        "Person-days / Días-persona 32",  # the invoice's facts
        "Rate from / Tarifa vigente desde",  # the lines' headings
        "Amount / Importe",
        "Assumptions: figures the sources do not give / Supuestos: cifras que las fuentes no dan",
        "Page / Página 1 / 1",
    ):
        assert heading in words, heading
    assert "Borrador" not in words  # issued now
    # The line: facility, fee, rate from, rate, person-days, amount, assumption flag.
    assert "cecot cecot-person-day 2025-02-03 55.00 USD 32 1,760.00 USD Assumption / Supuesto" in words
    assert "Assumption / Supuesto" in words and NOTE in words
    assert "P-LEDGER" not in words


def test_the_month_statement_pdf_holds_only_what_the_reader_may_see(
    users: dict[str, User], march: None, tmp_path: Path
) -> None:
    close(client("finance"))
    words = " ".join(pdf_text(client("salvador").get(f"/ledger/{MARCH}/statement.pdf").content, tmp_path).split())
    assert CECOT_INVOICE in words and VE_INVOICE not in words and "2,500.00" not in words


def test_the_statement_csv_has_its_header_and_figures(users: dict[str, User], march: None) -> None:
    finance = client("finance")
    close(finance)
    response = finance.get(f"/ledger/{MARCH}/statement.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="statement-2025-03.csv"' in response["Content-Disposition"]
    reader = csv.reader(io.StringIO(response.content.decode()))
    header = next(reader)
    assert header[:3] == ["invoice", "month", "agreement"] and "person_days" in header and "assumption" in header
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    cecot = next(r for r in rows if r["invoice"] == CECOT_INVOICE)
    assert (cecot["facility"], cecot["rate_from"], cecot["rate_minor"], cecot["person_days"]) == (
        "cecot",
        "2025-02-03",
        "5500",
        "32",
    )
    assert (cecot["amount_minor"], cecot["amount"], cecot["assumption"]) == ("176000", "1,760.00 USD", "assumption")
    transport = next(r for r in rows if r["invoice"] == VE_INVOICE)
    assert (transport["kind"], transport["reference"], transport["amount_minor"]) == (
        "transport",
        "MOVEMENT-7",
        "250000",
    )


def test_the_reconciliation_agrees_then_names_a_late_difference(
    users: dict[str, User], march: None, stays: Stays
) -> None:
    finance = client("finance")
    close(finance)
    page = text(finance.get(f"/ledger/{MARCH}/reconciliation/"))
    assert "No difference: invoiced = accrued = person-days × rate." in page
    assert "<td>55.00 USD</td>" in page and "1,760.00 USD" in page  # the rate, and days x rate

    [late] = stays((D(2025, 3, 30), None))  # recorded after the month closed: 2 person-days more
    page = text(finance.get(f"/ledger/{MARCH}/reconciliation/"))
    assert "differences" in page and "us-sv-2025/cecot-person-day/cecot/2025-03" in page
    assert ">34<" in page and "1,870.00 USD" in page  # the occupancy now says 34 days
    Reservation.objects.filter(pk=late.pk).delete()


def test_the_pages_read_in_spanish(users: dict[str, User], march: None) -> None:
    salvador = client("salvador", "es-SV")
    month = text(salvador.get(f"/ledger/{MARCH}/"))
    invoice = text(salvador.get("/ledger/invoice/", {"number": CECOT_INVOICE}))
    home = text(salvador.get("/ledger/"))
    assert "Mes 2025-03" in month and "Facturas" in month and "borrador" in month
    assert "Estado de cuenta (PDF)" in month
    assert "Borrador: no se emite hasta el cierre del mes." in invoice and "Supuestos usados" in invoice
    assert "tarifas por día-persona" in invoice and "supuesto" in invoice
    assert "Solo las facturas de SV (como pagador o beneficiario)." in home


def test_a_refusal_reads_in_spanish(users: dict[str, User], march: None) -> None:
    finance = client("finance", "es")
    close(finance)
    refused = text(finance.post("/ledger/accrue/", {"month": MARCH}, follow=True))
    assert "No se devengó nada: el mes 2025-03 está cerrado: no se devenga de nuevo" in refused
