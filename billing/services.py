"""Money that moves: invoice arithmetic, payments and their allocation."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import Customer
from notifications.events import emit

from .models import AdvanceInstalment, Allocation, Invoice, Payment, VatRate
from .models.invoices import HALF_CENT, ZERO

CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    """Round half up to the grosz, as Polish invoices do."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(quantity: Decimal, unit_net_price: Decimal, vat_rate: str):
    """Net, VAT and gross of one line: net rounded first, VAT from the rounded net."""
    net = round_money(quantity * unit_net_price)
    vat = round_money(net * VatRate.percent(vat_rate) / 100)
    return net, vat, net + vat


@transaction.atomic
def book_payment(
    *,
    customer: Customer,
    amount: Decimal,
    received_on: date,
    kind: str,
    title: str = "",
    named_invoice: Invoice | None = None,
    external_id: str | None = None,
    settles: list | None = None,
) -> Payment:
    """Record money received and allocate it; the same external id books only once.

    `settles` lists invoices and instalments the payer chose (online), settled first.
    """
    if amount <= 0:
        raise ValueError("A payment is a positive amount.")
    if external_id:
        payment, created = Payment.objects.get_or_create(
            external_id=external_id,
            defaults={
                "customer": customer,
                "amount": amount,
                "received_on": received_on,
                "kind": kind,
                "title": title,
                "named_invoice": named_invoice,
            },
        )
        if not created:
            return payment
    else:
        payment = Payment.objects.create(
            customer=customer,
            amount=amount,
            received_on=received_on,
            kind=kind,
            title=title,
            named_invoice=named_invoice,
        )
    apply_credit(customer, first=settles or ([named_invoice] if named_invoice else []))
    emit(
        "payment.succeeded",
        {
            "payment": payment.public_id,
            "customer": customer.number,
            "amount": payment.amount,
            "currency": "PLN",
            "received_on": payment.received_on,
            "kind": payment.kind,
            "invoice": named_invoice.number if named_invoice else None,
            "at": payment.created_at,
        },
    )
    return payment


@transaction.atomic
def apply_credit(customer: Customer, first: list | None = None) -> None:
    """Spread every unallocated payment over open items: a named invoice first, then oldest due.

    Runs after a payment and after new invoices or instalments arrive, so an
    overpayment waits as credit and settles the next bill.
    """
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    payments = (
        Payment.objects.filter(customer=customer)
        .annotate(
            allocated=Coalesce(
                Sum("allocations__amount"),
                Value(ZERO),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            )
        )
        .filter(allocated__lte=F("amount") - HALF_CENT)
        .order_by("received_on", "pk")
    )
    for payment in payments:
        left = round_money(payment.amount - payment.allocated)
        preferred = first or ([payment.named_invoice] if payment.named_invoice_id else [])
        for item in _open_items(customer, preferred):
            if left <= 0:
                break
            share = min(left, round_money(item.open_amount))
            Allocation.objects.create(
                payment=payment,
                amount=share,
                **({"invoice": item} if isinstance(item, Invoice) else {"instalment": item}),
            )
            left -= share


def _open_items(customer: Customer, preferred: list):
    """Unpaid invoices and instalments: the preferred ones first, then by due date."""
    invoices = list(Invoice.objects.filter(customer=customer).unpaid())
    instalments = list(AdvanceInstalment.objects.filter(customer=customer).unpaid())
    chosen = {(type(item), item.pk) for item in preferred}
    items = invoices + instalments
    items.sort(
        key=lambda i: ((type(i), i.pk) not in chosen, i.due_date, isinstance(i, Invoice), i.pk)
    )
    return items


def check_invoice_totals(invoice: Invoice) -> list[str]:
    """Where the lines do not add up to the header; empty when they do.

    An import reports these as errors instead of correcting anything silently.
    """
    problems = []
    lines = list(invoice.lines.all())
    for line in lines:
        if line.net + line.vat != line.gross:
            problems.append(
                f"line {line.position}: net {line.net} + VAT {line.vat} != gross {line.gross}"
            )
    for field in ("net", "vat", "gross"):
        total = sum((getattr(line, field) for line in lines), ZERO)
        header = getattr(invoice, f"{field}_total")
        if total != header:
            problems.append(f"{field}: lines sum to {total}, the invoice says {header}")
    return problems
