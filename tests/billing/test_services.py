from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.balance import balance_for
from billing.models import AdvanceInstalment, Allocation, Invoice, Payment
from billing.services import apply_credit, book_payment, line_amounts, round_money
from tests.factories import CustomerFactory, InvoiceFactory, MembershipFactory

pytestmark = pytest.mark.django_db

D = Decimal
ON = date(2026, 11, 22)


def test_line_amounts_round_half_up_to_the_grosz():
    assert line_amounts(D("3"), D("0.3350"), "23") == (D("1.01"), D("0.23"), D("1.24"))
    assert line_amounts(D("1"), D("100"), "zw") == (D("100.00"), D("0.00"), D("100.00"))


@pytest.fixture
def membership():
    return MembershipFactory(role="owner")


def invoice(membership, gross, due, number):
    return InvoiceFactory(
        customer=membership.customer,
        gross_total=D(gross),
        due_date=due,
        issue_date=date(2026, 1, 1),
        number=number,
    )


def test_payment_settles_the_oldest_due_first_and_keeps_the_rest_as_credit(membership):
    old = invoice(membership, "100.00", date(2026, 9, 1), "FV/1")
    new = invoice(membership, "50.00", date(2026, 10, 1), "FV/2")
    book_payment(
        customer=membership.customer, amount=D("120.00"), received_on=ON, kind=Payment.Kind.TRANSFER
    )
    assert old.status(on=ON) == Invoice.Status.PAID
    assert new.status(on=ON) == Invoice.Status.OVERDUE  # 20 of 50 paid, past due
    book_payment(
        customer=membership.customer, amount=D("40.00"), received_on=ON, kind=Payment.Kind.TRANSFER
    )
    balance = balance_for(membership, on=ON)
    assert new.status(on=ON) == Invoice.Status.PAID
    assert balance.credit == D("10.00")
    assert balance.amount_due == D("-10.00")


def test_a_named_invoice_is_paid_first(membership):
    old = invoice(membership, "100.00", date(2026, 9, 1), "FV/1")
    named = invoice(membership, "50.00", date(2026, 10, 1), "FV/2")
    book_payment(
        customer=membership.customer,
        amount=D("50.00"),
        received_on=ON,
        kind=Payment.Kind.ONLINE,
        named_invoice=named,
    )
    assert named.status(on=ON) == Invoice.Status.PAID
    assert old.status(on=ON) == Invoice.Status.OVERDUE


def test_credit_settles_an_invoice_that_arrives_later(membership):
    book_payment(
        customer=membership.customer, amount=D("30.00"), received_on=ON, kind=Payment.Kind.TRANSFER
    )
    later = invoice(membership, "30.00", date(2026, 12, 1), "FV/3")
    apply_credit(membership.customer)
    assert later.status(on=ON) == Invoice.Status.PAID


def test_the_same_external_payment_books_once(membership):
    invoice(membership, "100.00", date(2026, 12, 1), "FV/1")
    for _ in range(3):
        book_payment(
            customer=membership.customer,
            amount=D("100.00"),
            received_on=ON,
            kind=Payment.Kind.TRANSFER,
            external_id="BANK-2026-11-22-001",
        )
    assert Payment.objects.count() == 1
    assert Allocation.objects.count() == 1


def test_ageing_puts_open_amounts_in_their_buckets(membership):
    invoice(membership, "10.00", date(2026, 12, 1), "FV/A")  # not due
    invoice(membership, "20.00", date(2026, 11, 1), "FV/B")  # 21 days
    invoice(membership, "30.00", date(2026, 9, 1), "FV/C")  # 82 days
    invoice(membership, "40.00", date(2026, 1, 1), "FV/D")  # over 90
    ageing = balance_for(membership, on=ON).ageing
    assert ageing == {
        "not_due": D("10.00"),
        "d1_30": D("20.00"),
        "d31_60": D("0.00"),
        "d61_90": D("30.00"),
        "d90_plus": D("40.00"),
    }


def test_pro_forma_asks_for_no_money(membership):
    InvoiceFactory(
        customer=membership.customer, kind=Invoice.Kind.PRO_FORMA, gross_total=D("99.00")
    )
    assert balance_for(membership, on=ON).amount_due == D("0.00")


def test_instalments_are_settled_with_invoices_by_due_date(membership):
    first = AdvanceInstalment.objects.create(
        customer=membership.customer, schedule="2026", due_date=date(2026, 8, 10), amount=D("80.00")
    )
    later = invoice(membership, "100.00", date(2026, 9, 1), "FV/1")
    book_payment(
        customer=membership.customer, amount=D("100.00"), received_on=ON, kind=Payment.Kind.TRANSFER
    )
    assert AdvanceInstalment.objects.unpaid().filter(pk=first.pk).count() == 0
    assert later.status(on=ON) == Invoice.Status.OVERDUE
    assert balance_for(membership, on=ON).amount_due == D("80.00")


amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    invoices=st.lists(amounts, min_size=0, max_size=6),
    payments=st.lists(amounts, min_size=0, max_size=6),
)
def test_balance_is_invoices_minus_payments_whatever_the_history(invoices, payments):
    membership = MembershipFactory(customer=CustomerFactory())
    for n, gross in enumerate(invoices):
        InvoiceFactory(
            customer=membership.customer, gross_total=gross, due_date=date(2026, 1 + n, 10)
        )
    for n, amount in enumerate(payments):
        book_payment(
            customer=membership.customer,
            amount=amount,
            received_on=ON,
            kind=Payment.Kind.TRANSFER,
            external_id=f"{membership.pk}-{n}",
        )
    balance = balance_for(membership, on=ON)
    assert balance.amount_due == sum(invoices, D("0")) - sum(payments, D("0"))
    open_sum = sum(
        (round_money(i.open_amount) for i in Invoice.objects.for_membership(membership).unpaid()),
        D("0"),
    )
    assert balance.open_invoices == open_sum
    # Credit and open invoices never coexist: money is applied to what is open.
    assert balance.credit == 0 or balance.open_invoices == 0


def test_totals_that_do_not_add_up_are_named(membership):
    from billing.services import check_invoice_totals

    invoice = InvoiceFactory(
        customer=membership.customer,
        lines=[("Energia", "100", "kWh", "0.62", "23"), ("Woda", "10", "m³", "6.42", "8")],
    )
    assert check_invoice_totals(invoice) == []
    lines_gross = invoice.gross_total
    invoice.gross_total += D("0.01")
    assert check_invoice_totals(invoice) == [
        f"gross: lines sum to {lines_gross}, the invoice says {invoice.gross_total}"
    ]
    line = invoice.lines.get(position=1)
    line.gross += D("1.00")
    line.save()
    assert check_invoice_totals(invoice)[0] == (
        f"line 1: net {line.net} + VAT {line.vat} != gross {line.gross}"
    )
