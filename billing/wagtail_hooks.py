from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from customers.area import MenuItem, Widget
from customers.models import Ability

from .balance import balance_for
from .models import Invoice


@hooks.register("customer_menu_items")
def billing_menu_items():
    return [
        MenuItem(_("Invoices"), "billing:invoices", Ability.VIEW_BILLING, 20),
        MenuItem(_("Payments"), "billing:payments", Ability.VIEW_BILLING, 30),
    ]


@hooks.register("customer_dashboard_widgets")
def balance_widget(request, membership):
    if not membership.can(Ability.VIEW_BILLING):
        return None
    return Widget("billing/widgets/balance.html", {"balance": balance_for(membership)}, order=1)


@hooks.register("customer_dashboard_widgets")
def last_invoices_widget(request, membership):
    if not membership.can(Ability.VIEW_BILLING):
        return None
    invoices = (
        Invoice.objects.for_membership(membership)
        .with_paid()
        .order_by("-issue_date", "-number")[:5]
    )
    return Widget(
        "billing/widgets/last_invoices.html",
        {"invoices": invoices, "today": timezone.localdate()},
        order=5,
    )


@hooks.register("verify_billing_proof")
def invoice_proves_the_customer(customer, invoice_number, gross_amount) -> bool:
    """Sign-up proof: an invoice of this customer with this number and gross amount."""
    return Invoice.objects.filter(
        customer=customer, number__iexact=invoice_number, gross_total=gross_amount
    ).exists()


@hooks.register("seed_demo", order=20)
def seed_demo_billing(context):
    from .demo import seed_demo_billing as seed

    seed(context)
