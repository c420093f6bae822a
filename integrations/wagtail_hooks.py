"""The integrations in the Wagtail admin: ERP imports (and, appended, webhooks)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem as AdminMenuItem


@hooks.register("register_admin_urls")
def import_admin_urls():
    from . import admin_views

    return [
        path("imports/", admin_views.import_page, name="integrations_import"),
        path("imports/<int:pk>/", admin_views.import_detail, name="integrations_import_detail"),
    ]


@hooks.register("register_admin_menu_item")
def import_menu_item():
    from .admin_views import may_import

    class ImportMenuItem(AdminMenuItem):
        def is_shown(self, request):
            return may_import(request.user)

    return ImportMenuItem(
        _("Import from the ERP"), reverse("integrations_import"), icon_name="download", order=850
    )


# Outbound webhooks and staff exports ------------------------------------------------------


def _register_webhook_endpoints():
    from wagtail.snippets.models import register_snippet

    from .webhook_admin import WebhookEndpointViewSet

    register_snippet(WebhookEndpointViewSet)


_register_webhook_endpoints()


@hooks.register("register_admin_urls")
def webhook_and_export_admin_urls():
    from . import exports, webhook_admin

    return [
        path(
            "integrations/webhooks/<int:pk>/deliveries/",
            webhook_admin.delivery_log,
            name="integrations_webhook_log",
        ),
        path(
            "integrations/webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
            webhook_admin.redeliver,
            name="integrations_webhook_redeliver",
        ),
        path(
            "integrations/webhooks/<int:pk>/rotate-secret/",
            webhook_admin.rotate_secret,
            name="integrations_webhook_rotate",
        ),
        path("integrations/exports/", exports.export_index, name="integrations_exports"),
        path(
            "integrations/exports/<slug:kind>.csv", exports.export_csv, name="integrations_export"
        ),
    ]


@hooks.register("register_admin_menu_item")
def exports_menu_item():
    from .exports import available_exports

    class ExportsMenuItem(AdminMenuItem):
        def is_shown(self, request):
            return bool(available_exports(request.user))

    return ExportsMenuItem(
        _("Exports"), reverse("integrations_exports"), icon_name="download", order=900
    )
