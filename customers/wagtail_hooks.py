from axes.models import AccessAttempt
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponseBadRequest
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register
from wagtail_modeladmin.views import HistoryView, IndexView, InspectView

from notifications.permissions import PermissionCheckedSnippetChooserViewSet

from . import admin_views, layout_hooks, notification_hooks  # noqa: F401 - hooks
from .area import MenuItem, Widget
from .demo import seed_demo_customers
from .gate import request_service_points
from .models import (
    Ability,
    AuditEvent,
    ChangeRequest,
    Contract,
    ContractDocument,
    Customer,
    Membership,
    Segment,
    ServicePoint,
)

SIMPLE_LOOKUPS = {"exact", "iexact", "isnull", "gt", "gte", "lt", "lte", "in", "id", "pk"}


class FilteredIndexView(IndexView):
    """A listing that takes only its own filters, search, order and page from the query.

    wagtail-modeladmin hands any other parameter to the ORM as a lookup, across relations
    (``?requested_by__password__startswith=`` would tell what a hash begins with); Django's
    admin refuses lookups outside ``list_filter``, and so does this.
    """

    def dispatch(self, request, *args, **kwargs):
        filters = {
            entry if isinstance(entry, str) else entry[0]
            for entry in self.model_admin.get_list_filter(request)
        }
        unknown = sorted(key for key in request.GET if not self._allowed(key, filters))
        if not unknown:
            try:
                return super().dispatch(request, *args, **kwargs)
            except IncorrectLookupParameters:
                unknown = sorted(request.GET)
        return HttpResponseBadRequest(
            _("This list cannot be filtered by: %(names)s") % {"names": ", ".join(unknown)}
        )

    def _allowed(self, key: str, filters: set) -> bool:
        if key in (self.ORDER_VAR, self.ORDER_TYPE_VAR, self.PAGE_VAR, self.SEARCH_VAR):
            return True
        if key == self.EXPORT_VAR:
            return bool(self.model_admin.get_list_export(self.request))
        parts = key.split("__")
        while len(parts) > 1 and parts[-1] in SIMPLE_LOOKUPS:
            parts.pop()
        return "__".join(parts) in filters


class PermittedHistoryView(HistoryView):
    """A row's history (and its name) for those who may list the model's rows:
    wagtail-modeladmin's own shows it to any admin user."""

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_list(user)


class ListingAdmin(ModelAdmin):
    """A model admin whose listing refuses lookups it does not offer, and whose history
    pages ask for the model's permissions."""

    index_view_class = FilteredIndexView
    history_view_class = PermittedHistoryView


class CustomerInspectView(InspectView):
    """The customer card: data, portal users, service points, and what other rooms add."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = self.instance
        context["memberships"] = customer.memberships.select_related("user").prefetch_related(
            "service_points"
        )
        context["service_points"] = customer.service_points.all()
        context["inspect_sections"] = [
            section
            for fn in hooks.get_hooks("customer_inspect_sections")
            if (section := fn(self.request, customer)) is not None
        ]
        return context


class CustomerAdmin(ListingAdmin):
    model = Customer
    menu_label = _("Customers")
    menu_icon = "user"
    list_display = ("number", "name", "kind", "nip", "email")
    list_filter = ("kind", "segments")
    search_fields = ("number", "name", "nip", "email", "external_id")
    inspect_view_enabled = True
    inspect_view_class = CustomerInspectView
    inspect_view_fields = (
        "number",
        "kind",
        "name",
        "nip",
        "regon",
        "email",
        "phone",
        "billing_street",
        "billing_postal_code",
        "billing_city",
        "account_manager",
        "segments",
        "bank_account",
        "refund_bank_account",
        "credit_limit",
        "discount_percent",
        "e_invoice_consent",
        "external_id",
    )


class ServicePointAdmin(ListingAdmin):
    model = ServicePoint
    menu_label = _("Service points")
    menu_icon = "site"
    list_display = ("code", "customer", "street", "city", "service_kind", "status")
    list_filter = ("service_kind", "status")
    search_fields = ("code", "customer__number", "customer__name", "street", "city")


class MembershipAdmin(ListingAdmin):
    model = Membership
    menu_label = _("Portal users")
    menu_icon = "group"
    list_display = ("user", "customer", "role", "status")
    list_filter = ("role", "status")
    search_fields = ("user__email", "customer__number", "customer__name")


class SegmentAdmin(ListingAdmin):
    model = Segment
    menu_label = _("Segments")
    menu_icon = "tag"
    list_display = ("group", "code", "requires_two_factor")


class ChangeRequestAdmin(ListingAdmin):
    model = ChangeRequest
    menu_label = _("Change requests")
    menu_icon = "edit"
    list_display = ("created_at", "customer", "requested_by", "status")
    list_filter = ("status",)
    search_fields = ("customer__number", "customer__name", "requested_by__email")
    inspect_view_enabled = True
    inspect_template_name = "customers/admin/change_request_inspect.html"

    def get_permission_helper_class(self):
        return DecideOnlyPermissionHelper


class ContractViewSet(SnippetViewSet):
    """Contracts as Wagtail snippets: searchable, filterable, inspectable."""

    model = Contract
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "doc-full-inverse"
    menu_label = _("Contracts")
    menu_order = 230
    add_to_admin_menu = True
    search_backend_name = None
    search_fields = ["number", "customer__number", "customer__name"]
    list_display = ["number", "customer", "kind", "status", "start_date", "end_date"]
    list_filter = ["kind", "status"]
    inspect_view_enabled = True


register_snippet(ContractViewSet)


class ContractDocumentAdmin(ListingAdmin):
    """Staff upload the signed PDF, annexes and new terms, a version each."""

    model = ContractDocument
    menu_label = _("Contract documents")
    menu_icon = "doc-full"
    list_display = ("contract", "version", "title", "requires_acceptance", "published_at")
    list_filter = ("requires_acceptance",)
    search_fields = ("contract__number", "title")


class ReadOnlyPermissionHelper(PermissionHelper):
    """Records nobody may add or edit from the admin (the audit log is append-only)."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class AuditEventAdmin(ListingAdmin):
    model = AuditEvent
    menu_label = _("Audit log")
    menu_icon = "history"
    permission_helper_class = ReadOnlyPermissionHelper
    list_display = ("created_at", "action", "actor", "subject_email", "customer", "ip_address")
    list_filter = ("action", "created_at")
    search_fields = ("subject_email", "actor__email", "customer__number", "object_repr")
    inspect_view_enabled = True


class DecideOnlyPermissionHelper(ReadOnlyPermissionHelper):
    """Change requests are decided (approve/reject), never edited or made by staff."""


class LockoutPermissionHelper(ReadOnlyPermissionHelper):
    """Staff may clear a lockout (delete the attempt record), not forge one."""

    def user_can_delete_obj(self, user, obj):
        return self.user_has_specific_permission(user, "delete")


class LockoutAdmin(ListingAdmin):
    model = AccessAttempt
    menu_label = _("Login lockouts")
    menu_icon = "lock"
    permission_helper_class = LockoutPermissionHelper
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username", "ip_address")


@modeladmin_register
class CustomerRegisterGroup(ModelAdminGroup):
    menu_label = _("Customers")
    menu_icon = "user"
    menu_order = 200
    items = (
        CustomerAdmin,
        ServicePointAdmin,
        MembershipAdmin,
        SegmentAdmin,
        ContractDocumentAdmin,
        ChangeRequestAdmin,
        AuditEventAdmin,
        LockoutAdmin,
    )


@hooks.register("customer_menu_items")
def customer_menu_items():
    return [
        MenuItem(_("Service points"), "customer:service_points", Ability.VIEW_ACCOUNT, 10),
        MenuItem(_("Customer data"), "customer:profile", Ability.VIEW_ACCOUNT, 800),
        MenuItem(_("Contracts"), "customer:contracts", Ability.VIEW_CONTRACTS, 40),
        MenuItem(_("Portal users"), "customer:members", Ability.MANAGE_USERS, 900),
    ]


@hooks.register("customer_dashboard_widgets")
def customer_summary_widget(request, membership):
    return Widget(
        "customers/widgets/customer_summary.html",
        {"show_bank_account": membership.can(Ability.VIEW_BILLING)},
        order=0,
        key="customer_summary",
    )


@hooks.register("customer_dashboard_widgets")
def service_points_widget(request, membership):
    return Widget(
        "customers/widgets/service_points.html",
        lambda: {"service_points": request_service_points(request, membership)[:5]},
        order=10,
        key="service_points",
    )


hooks.register("seed_demo", seed_demo_customers, order=10)


@hooks.register("seed_demo", order=15)
def seed_demo_inbox(context):
    from .inbox_demo import seed_demo_inbox as seed

    seed(context)


@hooks.register("register_admin_urls")
def portal_access_urls():
    return [
        path(
            "portal-access/", admin_views.access_batch_create, name="customers_access_batch_create"
        ),
        path(
            "portal-access/<int:batch_id>/",
            admin_views.access_batch_detail,
            name="customers_access_batch",
        ),
        path(
            "portal-access/<int:batch_id>/letters.pdf",
            admin_views.access_batch_letters,
            name="customers_access_batch_letters",
        ),
        path(
            "customers/<int:pk>/view-as/",
            admin_views.start_viewing_as,
            name="customers_view_as",
        ),
        path(
            "change-requests/<int:pk>/decide/",
            admin_views.decide_change_request_view,
            name="customers_decide_change_request",
        ),
    ]


class PortalAccessMenuItem(AdminMenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.PERMISSION)


@hooks.register("register_admin_menu_item")
def portal_access_menu_item():
    return PortalAccessMenuItem(
        _("Portal access"),
        reverse("customers_access_batch_create"),
        icon_name="key",
        order=210,
    )


# The inbox: messages from staff to customers (customers/inbox_*.py).

from .inbox_admin import InboxMessageViewSet, inbox_admin_urls  # noqa: E402 - the inbox's part

register_snippet(InboxMessageViewSet)
hooks.register("register_admin_urls", inbox_admin_urls)


@hooks.register("customer_menu_items")
def inbox_menu_items():
    return [MenuItem(_("Messages"), "customer:messages", Ability.VIEW_ACCOUNT, 5)]


@hooks.register("customer_dashboard_widgets")
def unread_messages_widget(request, membership):
    """The three newest messages, unread ones marked, and how many are unread."""
    from .inbox_services import unread_count, with_receipt
    from .models import InboxMessage

    latest = with_receipt(InboxMessage.objects.for_membership(membership), request.user)
    return Widget(
        "customers/inbox/widget.html",
        lambda: {
            "messages": list(latest.order_by("-published_at", "-pk")[:3]),
            "unread": unread_count(request),  # shared with the header's badge
        },
        order=5,
        key="unread_messages",
    )


@hooks.register("personal_data_export")
def inbox_receipts(user):
    """Which messages the user was shown and opened, and when."""
    from .models import MessageReceipt

    rows = [
        {
            "message": receipt.message.subject,
            "sent": receipt.message.published_at,
            "delivered": receipt.delivered_at,
            "read": receipt.read_at,
        }
        for receipt in MessageReceipt.objects.filter(user=user)
        .select_related("message")
        .order_by("delivered_at")
    ]
    return {"inbox-receipts.json": rows} if rows else {}
