from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from customers.area import MenuItem, Widget
from customers.models import Ability
from notifications.permissions import PermissionCheckedSnippetChooserViewSet

from .balance import AGEING_BUCKETS, balance_for
from .models import BankCredit, Invoice, Payment


@hooks.register("customer_menu_items")
def billing_menu_items():
    return [
        MenuItem(_("Invoices"), "billing:invoices", Ability.VIEW_BILLING, 20),
        MenuItem(_("Payments"), "billing:payments", Ability.VIEW_BILLING, 30),
        MenuItem(_("Advance schedule"), "billing:instalments", Ability.VIEW_BILLING, 32),
        MenuItem(_("Pay online"), "billing:pay", Ability.PAY, 25),
        MenuItem(_("Statement of account"), "billing:statement", Ability.VIEW_BILLING, 35),
    ]


@hooks.register("customer_dashboard_widgets")
def balance_widget(request, membership):
    if not membership.can(Ability.VIEW_BILLING):
        return None
    return Widget(
        "billing/widgets/balance.html",
        lambda: {"balance": balance_for(membership), "can_pay": membership.can(Ability.PAY)},
        order=1,
        key="balance",
    )


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
        key="latest_invoices",
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


class InvoiceViewSet(SnippetViewSet):
    """Invoices come from the ERP: staff search, filter and inspect them here."""

    model = Invoice
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "doc-full"
    menu_label = _("Invoices")
    add_to_admin_menu = False
    search_backend_name = None  # plain database filtering over search_fields
    search_fields = ["number", "customer__number", "customer__name", "ksef_number"]
    list_display = ["number", "customer", "kind", "issue_date", "due_date", "gross_total"]
    list_filter = ["kind", "issue_date", "due_date"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "number",
        "kind",
        "customer",
        "service_point",
        "corrected_invoice",
        "issue_date",
        "sale_date",
        "due_date",
        "currency",
        "net_total",
        "vat_total",
        "gross_total",
        "split_payment",
        "ksef_number",
        "external_id",
    ]


class PaymentViewSet(SnippetViewSet):
    model = Payment
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "tick"
    menu_label = _("Payments")
    add_to_admin_menu = False
    search_backend_name = None
    search_fields = ["title", "customer__number", "customer__name", "external_id"]
    list_display = ["received_on", "customer", "kind", "amount", "title"]
    list_filter = ["kind", "received_on"]
    inspect_view_enabled = True


class BankCreditViewSet(SnippetViewSet):
    """Credits from bank statements; the unmatched ones wait here for review."""

    model = BankCredit
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "download"
    menu_label = _("Bank credits")
    add_to_admin_menu = False
    search_backend_name = None
    search_fields = ["title", "reference", "customer__number"]
    list_display = ["booked_on", "amount", "currency", "status", "customer", "title"]
    list_filter = ["status", "booked_on"]
    inspect_view_enabled = True


class BillingViewSetGroup(SnippetViewSetGroup):
    items = (InvoiceViewSet, PaymentViewSet, BankCreditViewSet)
    menu_icon = "doc-full"
    menu_label = _("Billing")
    menu_order = 220


register_snippet(BillingViewSetGroup)


@hooks.register("customer_inspect_sections")
def balance_section(request, customer):
    """The customer's balance and ageing on their card in the admin."""
    from customers.models import Membership

    staff_view = Membership(customer=customer, role="read_only", status="active")
    balance = balance_for(staff_view)
    ageing = [(label, balance.ageing[key]) for key, label, *_bounds in AGEING_BUCKETS]
    return Widget("billing/admin/balance_section.html", {"balance": balance, "ageing": ageing})


@hooks.register("register_admin_urls")
def billing_admin_urls():
    from django.urls import path

    from . import admin_views

    return [
        path(
            "bank-statements/upload/", admin_views.upload_statement, name="billing_upload_statement"
        ),
        path("bank-statements/review/", admin_views.review_credits, name="billing_review_credits"),
    ]


@hooks.register("register_admin_menu_item")
def bank_statement_menu_item():
    from django.urls import reverse
    from wagtail.admin.menu import MenuItem as AdminMenuItem

    class StatementMenuItem(AdminMenuItem):
        def is_shown(self, request):
            return request.user.has_perm("billing.add_payment")

    return StatementMenuItem(
        _("Bank statement"), reverse("billing_upload_statement"), icon_name="download", order=230
    )


@hooks.register("customer_search")
def search_invoices(request, membership, query: str):
    """The customer's invoices whose number holds the query, newest first."""
    from django.urls import reverse

    from customers.area import SEARCH_RESULTS_PER_KIND, SearchResult

    if not membership.can(Ability.VIEW_BILLING):
        return []
    invoices = (
        Invoice.objects.for_membership(membership)
        .filter(number__icontains=query.replace(" ", ""))
        .order_by("-issue_date", "-number")[:SEARCH_RESULTS_PER_KIND]
    )
    return [
        SearchResult(
            title=_("Invoice %(number)s") % {"number": invoice.number},
            url=reverse("billing:invoice", kwargs={"invoice_id": invoice.public_id}),
            kind=_("Invoice"),
            date=invoice.issue_date,
        )
        for invoice in invoices
    ]
