"""Accounts, transactions and postings (double entry), months, accrual lines and invoices.

Money is ``amount_minor`` (integer minor units, BigInteger) with an ISO ``currency``; a posting is
a debit when positive, a credit when negative; every transaction's postings sum to zero per
currency. The database enforces it (``ledger.triggers``): a transaction row is inserted after its
postings and refused unless they balance; postings, transactions, accrual lines, invoices and their
lines refuse UPDATE and DELETE; nothing is added to a closed month and a closed month never reopens.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Account(models.Model):
    class Kind(models.TextChoices):
        RECEIVABLE = "receivable"  # what a payer owes a payee
        INCOME = "income"  # a payee's fees and charges earned

    code = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Month(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    month = models.CharField(max_length=7, unique=True)  # YYYY-MM
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month} ({self.status})"


class Transaction(models.Model):
    class Kind(models.TextChoices):
        ACCRUAL = "accrual"  # person-days of occupancy
        RESERVED = "reserved_places"  # place-days held but not (yet) occupied, when the fee bills them
        PLACE_YEAR = "place_year"  # contracted places, per place and year, prorated by day
        TRANSPORT = "transport"
        TRANSIT = "transit"  # a per-passenger transit fee on a movement
        CORRECTION = "correction"

    # Chosen before the postings are written: the row is inserted last, and the database checks
    # then that its postings balance.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    month = models.ForeignKey(Month, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    description = models.CharField(max_length=300)
    # A movement's reference for a transport or transit charge; empty otherwise.
    reference = models.CharField(max_length=120, blank=True, default="")
    corrects = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"], condition=models.Q(kind="transport"), name="one_transport_charge_per_movement"
            ),
            models.UniqueConstraint(
                fields=["reference"], condition=models.Q(kind="transit"), name="one_transit_charge_per_movement"
            ),
        ]


class Posting(models.Model):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_minor = models.BigIntegerField()  # debit > 0, credit < 0
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [models.CheckConstraint(condition=~models.Q(amount_minor=0), name="posting_not_zero")]


class Line(models.Model):
    """What a transaction is for, traceable to person-days by facility or to a movement: one row
    per agreement, payer, facility and rate (accrual), per movement (transport), or per correction.
    Identities never appear: counts and movement references only."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="lines")
    month = models.ForeignKey(Month, on_delete=models.PROTECT, related_name="lines")
    agreement_id = models.CharField(max_length=64)
    fee_id = models.CharField(max_length=64, blank=True, default="")
    payer = models.CharField(max_length=2)
    payee = models.CharField(max_length=2)
    facility = models.CharField(max_length=64, blank=True, default="")
    currency = models.CharField(max_length=3)
    rate_start = models.DateField(null=True, blank=True)
    rate_minor = models.BigIntegerField(default=0)
    person_days = models.BigIntegerField(default=0)
    amount_minor = models.BigIntegerField()
    assumption = models.BooleanField()
    reference = models.CharField(max_length=120, blank=True, default="")
    # A transit fee's counts (never identities): passengers charged, and passengers aboard whose
    # nationality is unknown, so not assessed. Null for every other kind. (Nullable without a
    # default: SQLite adds the column in place, keeping the append-only triggers.)
    passengers = models.BigIntegerField(null=True, blank=True)
    not_assessed = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["month", "agreement_id", "payer"], name="ledger_line_month")]


class Invoice(models.Model):
    """Monthly, per agreement, payer, payee and currency; issued when the month closes."""

    number = models.CharField(max_length=80, unique=True)
    month = models.ForeignKey(Month, on_delete=models.PROTECT, related_name="invoices")
    agreement_id = models.CharField(max_length=64)
    payer = models.CharField(max_length=2)
    payee = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    assumption = models.BooleanField()
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month__month", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agreement_id", "payer", "payee", "currency"], name="one_invoice_per_month_and_payer"
            )
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=16, choices=Transaction.Kind.choices)
    fee_id = models.CharField(max_length=64, blank=True, default="")
    facility = models.CharField(max_length=64, blank=True, default="")
    rate_start = models.DateField(null=True, blank=True)
    rate_minor = models.BigIntegerField(default=0)
    person_days = models.BigIntegerField(default=0)
    amount_minor = models.BigIntegerField()
    assumption = models.BooleanField()
    reference = models.CharField(max_length=120, blank=True, default="")
    corrects = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    passengers = models.BigIntegerField(null=True, blank=True)  # a transit fee's, as on its Line
    not_assessed = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class TransitAssessment(models.Model):
    """What a per-passenger transit fee found on one movement at departure, charged or not: how
    many passengers aboard were charged and how many were not assessed (nationality unknown). It
    is what reconciliation checks the transit lines against, and how a movement whose passengers
    were all of unknown nationality is still named (it posts no transaction). Counts only."""

    month = models.ForeignKey(Month, on_delete=models.PROTECT, related_name="transit_assessments")
    reference = models.CharField(max_length=120)  # the movement
    day = models.DateField()  # of departure, where it left from
    agreement_id = models.CharField(max_length=64)
    fee_id = models.CharField(max_length=64)
    payer = models.CharField(max_length=2)
    payee = models.CharField(max_length=2)
    airport = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    rate_start = models.DateField()
    rate_minor = models.BigIntegerField()
    passengers = models.BigIntegerField()
    not_assessed = models.BigIntegerField()
    assumption = models.BooleanField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference", "agreement_id", "fee_id"], name="one_assessment_per_movement_fee"
            )
        ]
