"""The statement of account (zestawienie rozrachunków): debits and credits in a period.

Invoices and advance instalments are debits, payments are credits; a corrective
invoice that gives money back is a credit too. Positive balances are what the
customer owes. For a range ending today that starts before the first document, the
closing balance equals `balance_for(membership).amount_due`: both count the same
documents through the same gate.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from .models import AdvanceInstalment, Allocation, Invoice, Payment
from .models.invoices import ZERO
from .services import round_money


@dataclass(frozen=True)
class StatementRow:
    """One booked item; `debit` and `credit` are never negative, one of them is zero."""

    date: date
    document: str
    description: str | Promise
    debit: Decimal
    credit: Decimal
    balance: Decimal
    invoice_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Statement:
    start: date
    end: date
    opening_balance: Decimal
    rows: list[StatementRow]
    closing_balance: Decimal
    total_debit: Decimal
    total_credit: Decimal


@dataclass(frozen=True)
class _Entry:
    date: date
    amount: Decimal  # positive: a debit; negative: a credit
    order: tuple
    document: str
    description: str | Promise
    invoice_id: uuid.UUID | None = None


def statement_for(membership, start: date, end: date) -> Statement:
    """Every debit and credit of the membership's customer from `start` to `end`, inclusive.

    The opening balance sums what was booked before `start`; each row carries the
    balance after it. A fixed number of queries, whatever the length of the history.
    """
    entries = [
        *_invoice_entries(membership, end),
        *_instalment_entries(membership, end),
        *_payment_entries(membership, end),
    ]
    opening = sum((entry.amount for entry in entries if entry.date < start), ZERO)
    in_range = sorted(
        (entry for entry in entries if entry.date >= start),
        # Debits before credits on the same day, then by document.
        key=lambda entry: (entry.date, entry.amount < 0, entry.order),
    )
    rows, balance = [], opening
    for entry in in_range:
        balance += entry.amount
        rows.append(
            StatementRow(
                date=entry.date,
                document=entry.document,
                description=entry.description,
                debit=max(entry.amount, ZERO),
                credit=max(-entry.amount, ZERO),
                balance=balance,
                invoice_id=entry.invoice_id,
            )
        )
    total_debit = sum((row.debit for row in rows), ZERO)
    total_credit = sum((row.credit for row in rows), ZERO)
    return Statement(
        start=start,
        end=end,
        opening_balance=opening,
        rows=rows,
        closing_balance=opening + total_debit - total_credit,
        total_debit=total_debit,
        total_credit=total_credit,
    )


def _invoice_entries(membership, end: date) -> list[_Entry]:
    """Invoices that ask for money (no pro-formas), booked on their issue date."""
    invoices = (
        Invoice.objects.for_membership(membership)
        .payable()
        .filter(issue_date__lte=end)
        .values_list(
            "public_id", "number", "kind", "issue_date", "gross_total", "service_point__code"
        )
    )
    return [
        _Entry(
            date=issued,
            amount=round_money(gross),
            order=(0, number, 0),
            document=number,
            description=format_lazy("{} · {}", _kind(kind), point) if point else _kind(kind),
            invoice_id=public_id,
        )
        for public_id, number, kind, issued, gross, point in invoices
    ]


def _kind(kind: str) -> str | Promise:
    return capfirst(Invoice.Kind(kind).label)


def _instalment_entries(membership, end: date) -> list[_Entry]:
    """Advance instalments (prognosis), booked on their due date."""
    label = capfirst(AdvanceInstalment._meta.verbose_name)
    instalments = (
        AdvanceInstalment.objects.for_membership(membership)
        .filter(due_date__lte=end)
        .values_list("pk", "schedule", "due_date", "amount")
    )
    return [
        _Entry(
            date=due,
            amount=round_money(amount),
            order=(1, schedule, pk),
            document=schedule,
            description=label,
        )
        for pk, schedule, due, amount in instalments
    ]


def _payment_entries(membership, end: date) -> list[_Entry]:
    """Payments, booked on the day received, as credits.

    A member limited to some service points sees only their invoices, so a payment
    counts without the part that settled invoices of other points; what is left
    (instalments, the member's invoices, unallocated credit) keeps the statement in
    step with the balance that member sees.
    """
    payments = Payment.objects.for_membership(membership).filter(received_on__lte=end)
    elsewhere: dict[int, Decimal] = {}
    if membership.is_limited_to_service_points:
        allocations = (
            Allocation.objects.filter(payment__in=payments.values("pk"), invoice__isnull=False)
            .exclude(invoice__in=Invoice.objects.for_membership(membership).values("pk"))
            .values_list("payment_id", "amount")
        )
        for payment_id, amount in allocations:
            elsewhere[payment_id] = elsewhere.get(payment_id, ZERO) + round_money(amount)
    entries = []
    for pk, received, amount, kind, title in payments.values_list(
        "pk", "received_on", "amount", "kind", "title"
    ):
        counted = round_money(amount) - elsewhere.get(pk, ZERO)
        if pk in elsewhere and counted <= 0:
            continue  # wholly for service points this member does not see
        description = capfirst(Payment.Kind(kind).label)
        if pk in elsewhere:
            description = format_lazy("{} ({})", description, _("part for your service points"))
        if title:
            description = format_lazy("{}: {}", description, title)
        entries.append(
            _Entry(
                date=received,
                amount=-counted,
                order=(2, "", pk),
                document="",
                description=description,
            )
        )
    return entries
