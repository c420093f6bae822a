"""The outbox in the Wagtail admin: deliveries and consents to look at (never to edit), the
failed deliveries to send again, and what a person's data export holds of notifications."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import admin_views
from .models import Consent, Delivery, Preference
from .permissions import PermissionCheckedSnippetChooserViewSet, ViewOnlyPermissionPolicy

register_permission_policy(Delivery, ViewOnlyPermissionPolicy(Delivery))
register_permission_policy(Consent, ViewOnlyPermissionPolicy(Consent))


class DeliveryViewSet(SnippetViewSet):
    """Every message the outbox holds: what, to whom, and how its sending went."""

    model = Delivery
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "mail"
    menu_label = _("Outbox")
    search_backend_name = None
    search_fields = ["to", "subject"]
    list_display = ["to", "subject", "channel", "category", "status", "attempts", "created_at"]
    list_filter = ["status", "channel", "category"]
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_fields = [
        "key",
        "channel",
        "category",
        "user",
        "to",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "not_before",
        "sent_at",
        "provider_id",
    ]


class ConsentViewSet(SnippetViewSet):
    """Consents given and withdrawn, with the text each person saw: the history, kept."""

    model = Consent
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "tick-inverse"
    menu_label = _("Consents")
    search_backend_name = None
    search_fields = ["user__email"]
    list_display = ["user__email", "purpose", "given", "created_at", "ip_address"]
    list_filter = ["purpose", "given"]
    inspect_view_enabled = True
    inspect_view_fields = ["user", "purpose", "given", "text", "created_at", "ip_address"]

    def get_queryset(self, request):
        return Consent.objects.select_related("user")


class NotificationsViewSetGroup(SnippetViewSetGroup):
    items = (DeliveryViewSet, ConsentViewSet)
    menu_icon = "mail"
    menu_label = _("Notifications")
    menu_order = 290


register_snippet(NotificationsViewSetGroup)


@hooks.register("register_admin_urls")
def outbox_admin_urls():
    return [
        path("outbox/failed/", admin_views.failed_deliveries, name="notifications_failed"),
    ]


class FailedDeliveriesMenuItem(AdminMenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.RETRY_PERMISSION)

    def render_component(self, request):
        component = super().render_component(request)
        component.label = _("Failed deliveries (%(count)d)") % {
            "count": admin_views.failed().count()
        }
        return component


@hooks.register("register_admin_menu_item")
def failed_deliveries_menu_item():
    return FailedDeliveriesMenuItem(
        _("Failed deliveries"),
        reverse("notifications_failed"),
        name="failed-deliveries",
        icon_name="warning",
        order=295,
    )


@hooks.register("construct_homepage_panels")
def failed_deliveries_panel(request, panels):
    if request.user.has_perm(admin_views.RETRY_PERMISSION):
        count = admin_views.failed().count()
        if count:
            panels.append(admin_views.FailedDeliveriesPanel(count))


@hooks.register("personal_data_export")
def notification_settings_of(user) -> dict[str, object]:
    """The person's channel choices, phone for SMS, consents (all of them) and the notices
    sent to them."""
    return {
        "notifications.json": {
            "mobile_phone": user.mobile_phone,
            "preferences": list(
                Preference.objects.filter(user=user)
                .order_by("category", "channel")
                .values("category", "channel", "enabled", "updated_at")
            ),
            "consents": list(
                Consent.objects.filter(user=user).values(
                    "purpose", "given", "text", "created_at", "ip_address"
                )
            ),
            "deliveries": list(
                Delivery.objects.filter(user=user).values(
                    "created_at", "channel", "category", "to", "subject", "status", "sent_at"
                )
            ),
        }
    }
