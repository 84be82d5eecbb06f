"""The ledger's statement as a printable PDF (issue #13 §4): one or more invoices with their lines,
person-days, rates and assumptions, under bilingual English/Spanish headings whatever the reader's
language. The CSV is ``selectors.statement_csv``.

The headings are messages of this app's catalog: the English text and its Spanish from
``locale/es`` side by side, read from the catalog directly so the document is bilingual in any
active language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils.translation import gettext_noop, trans_real

from accord.ledger.selectors import InvoiceView

# Every heading of the PDF, in English; shown as "English / Español".
HEADINGS = {
    "statement": gettext_noop("Statement"),
    "invoice": gettext_noop("Invoice"),
    "draft": gettext_noop("Draft: not issued until the month closes"),
    "month": gettext_noop("Month"),
    "agreement": gettext_noop("Agreement"),
    "payer": gettext_noop("Payer"),
    "payee": gettext_noop("Payee"),
    "currency": gettext_noop("Currency"),
    "total": gettext_noop("Total"),
    "person_days": gettext_noop("Person-days"),
    "lines": gettext_noop("Lines"),
    "kind": gettext_noop("Kind"),
    "facility": gettext_noop("Facility"),
    "fee": gettext_noop("Fee"),
    "rate_from": gettext_noop("Rate from"),
    "rate": gettext_noop("Rate"),
    "amount": gettext_noop("Amount"),
    "reference": gettext_noop("Reference"),
    "assumption": gettext_noop("Assumption"),
    "assumptions": gettext_noop("Assumptions: figures the sources do not give"),
    "corrects": gettext_noop("Corrects invoice"),
    "no_invoice": gettext_noop("No invoice."),
    "identities": gettext_noop("Counts and movement references only: no person is named."),
    "generated": gettext_noop("Generated"),
    "page": gettext_noop("Page"),
    "accrual": gettext_noop("person-day fees"),
    "transport": gettext_noop("transport"),
    "correction": gettext_noop("correction"),
    "transit": gettext_noop("transit fee"),
    "reserved_places": gettext_noop("reserved places"),
    "place_year": gettext_noop("contracted places"),
    "passengers": gettext_noop("passengers"),
    "place_days": gettext_noop("Place-days (reserved or contracted places)"),
    "not_assessed": gettext_noop(
        "Passengers not assessed (nationality not recorded): neither charged nor taken as exempt"
    ),
}


def bilingual(message: str) -> str:
    """'Invoice' -> 'Invoice / Factura' (the English alone when the catalog has no Spanish for it)."""
    spanish = str(trans_real.translation("es").gettext(message))
    return message if spanish == message else f"{message} / {spanish}"


@dataclass(frozen=True)
class Statement:
    title: str  # what the statement covers: an invoice number or a month
    invoices: tuple[InvoiceView, ...]
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def statement_html(statement: Statement) -> str:
    headings = {key: bilingual(message) for key, message in HEADINGS.items()}
    return render_to_string("ledger/statement_pdf.html", {"s": statement, "h": headings})


def statement_pdf(statement: Statement) -> bytes:
    import weasyprint  # loads Pango: only when a PDF is asked for

    pdf = weasyprint.HTML(string=statement_html(statement)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
