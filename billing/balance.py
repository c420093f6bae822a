"""What a customer owes: balance (saldo) and ageing, from open items and unallocated credit."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import CharField, DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AdvanceInstalment, Invoice, Payment
from .models.invoices import HALF_CENT, ZERO, money_expression
from .services import round_money

AGEING_BUCKETS = [
    ("not_due", _("not due"), None, 0),
    ("d1_30", _("1–30 days"), 1, 30),
    ("d31_60", _("31–60 days"), 31, 60),
    ("d61_90", _("61–90 days"), 61, 90),
    ("d90_plus", _("over 90 days"), 91, None),
]


@dataclass
class Balance:
    open_invoices: Decimal
    open_instalments: Decimal
    credit: Decimal
    overdue: Decimal
    ageing: dict = field(default_factory=dict)
    next_due: date | None = None
    next_due_amount: Decimal = ZERO

    @property
    def amount_due(self) -> Decimal:
        """Positive: the customer owes; negative: the company owes (overpayment)."""
        return self.open_invoices + self.open_instalments - self.credit


def balance_for(membership, on: date | None = None) -> Balance:
    """The balance of the membership's customer as of `on`, in one query: the open invoices,
    the unpaid instalments and the payments not yet spent, as rows of one UNION."""
    on = on or timezone.localdate()
    money = DecimalField(max_digits=14, decimal_places=2)
    kind = CharField(max_length=1)
    # Unpaid invoices, and corrective invoices that give money back (negative open amount).
    invoices = (
        Invoice.objects.for_membership(membership)
        .payable()
        .with_paid()
        .exclude(open_amount__gt=-HALF_CENT, open_amount__lt=HALF_CENT)
        .annotate(row=Value("i", output_field=kind))
        .order_by()
        .values_list("row", "due_date", "open_amount")
    )
    instalments = (
        AdvanceInstalment.objects.for_membership(membership)
        .unpaid()
        .annotate(row=Value("a", output_field=kind))
        .order_by()
        .values_list("row", "due_date", "open_amount")
    )
    credits = (
        Payment.objects.for_membership(membership)
        .annotate(allocated=Coalesce(Sum("allocations__amount"), Value(ZERO), output_field=money))
        .annotate(left=money_expression(F("amount") - F("allocated")))
        .filter(left__gte=HALF_CENT)
        .annotate(row=Value("c", output_field=kind))
        .order_by()
        .values_list("row", "received_on", "left")
    )
    rows = list(invoices.union(instalments, credits, all=True))
    invoice_rows = [(due, amount) for row, due, amount in rows if row == "i"]
    instalment_rows = [(due, amount) for row, due, amount in rows if row == "a"]
    credit = sum((amount for row, _due, amount in rows if row == "c"), ZERO)
    # Exact to the grosz on every database (SQLite aggregates in floating point).
    invoice_rows = [(due, round_money(amount)) for due, amount in invoice_rows]
    instalment_rows = [(due, round_money(amount)) for due, amount in instalment_rows]
    credit = round_money(credit)
    # An advance instalment is owed from its due date; before that it is only announced.
    scheduled = [row for row in instalment_rows if row[0] > on]
    instalment_rows = [row for row in instalment_rows if row[0] <= on]
    open_rows = invoice_rows + instalment_rows
    ageing = {key: ZERO for key, *_rest in AGEING_BUCKETS}
    for due, amount in open_rows:
        ageing[_bucket((on - due).days)] += amount
    upcoming = sorted(row for row in open_rows + scheduled if row[0] >= on)
    next_due = upcoming[0][0] if upcoming else None
    return Balance(
        open_invoices=sum((amount for _due, amount in invoice_rows), ZERO),
        open_instalments=sum((amount for _due, amount in instalment_rows), ZERO),
        credit=credit,
        overdue=sum((amount for due, amount in open_rows if due < on), ZERO),
        ageing=ageing,
        next_due=next_due,
        next_due_amount=sum((amount for due, amount in upcoming if due == next_due), ZERO),
    )


def _bucket(days_overdue: int) -> str:
    for key, _label, low, high in AGEING_BUCKETS:
        if low is None and days_overdue <= 0:
            return key
        if low is not None and days_overdue >= low and (high is None or days_overdue <= high):
            return key
    raise AssertionError("buckets cover every day")
