from django.urls import path

from accord.ledger import views

urlpatterns = [
    path("", views.ledger_home, name="ledger"),
    path("accrue/", views.accrue, name="ledger_accrue"),
    path("close/", views.close, name="ledger_close"),
    path("invoice/", views.invoice_detail, name="ledger_invoice"),
    path("invoice.pdf", views.invoice_pdf, name="ledger_invoice_pdf"),
    path("corrections/new/", views.correction_new, name="ledger_correction"),
    path("<str:month>/", views.ledger_month, name="ledger_month"),
    path("<str:month>/statement.csv", views.statement_csv, name="ledger_statement_csv"),
    path("<str:month>/statement.pdf", views.statement_pdf, name="ledger_statement_pdf"),
    path("<str:month>/reconciliation/", views.reconciliation, name="ledger_reconciliation"),
]
