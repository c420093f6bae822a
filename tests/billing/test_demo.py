from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.formats import number_format

from billing.balance import balance_for
from billing.models import AdvanceInstalment, Invoice, Payment
from billing.statement import statement_for
from customers.models import Membership
from tests.conftest import verify_with_second_factor

pytestmark = pytest.mark.django_db


def test_demo_balances_agree_with_their_invoices_payments_and_dashboard(client):
    call_command("seed_demo")
    owners = Membership.objects.filter(
        role="owner", customer__number__in=["100001", "200001", "300001"]
    )
    assert owners.count() == 3
    for membership in owners:
        customer = membership.customer
        billed = sum(
            (i.gross_total for i in Invoice.objects.filter(customer=customer).payable()),
            Decimal("0"),
        ) + sum(
            (
                a.amount
                for a in AdvanceInstalment.objects.filter(
                    customer=customer,
                    due_date__lte=date.today(),  # owed from the due date
                )
            ),
            Decimal("0"),
        )
        paid = sum((p.amount for p in Payment.objects.filter(customer=customer)), Decimal("0"))
        balance = balance_for(membership)
        assert balance.amount_due == billed - paid, customer.number
        statement = statement_for(membership, date(2000, 1, 1), date.today())
        assert statement.closing_balance == balance.amount_due, customer.number
        verify_with_second_factor(client, membership.user)  # the VIP segment requires it
        html = client.get(reverse("customer:dashboard")).content.decode()
        shown = number_format(abs(balance.amount_due), 2, use_l10n=True, force_grouping=True)
        assert shown in html, customer.number
    household = owners.get(customer__number="100001")
    assert balance_for(household).overdue > 0
