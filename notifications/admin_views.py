"""The outbox for staff: failed deliveries, and sending them again."""

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from wagtail.admin.ui.components import Component

from .models import Delivery, DeliveryQuerySet
from .services import retry

RETRY_PERMISSION = "notifications.change_delivery"
SHOWN = 200


def failed() -> DeliveryQuerySet:
    return Delivery.objects.filter(status=Delivery.Status.FAILED).select_related("user")


@require_http_methods(["GET", "POST"])
@permission_required(RETRY_PERMISSION, raise_exception=True)
def failed_deliveries(request):
    """The deliveries that gave up after their last attempt; chosen ones (or all) are sent
    again, their attempts kept on record."""
    deliveries = failed()
    if request.method == "POST":
        chosen = (
            deliveries
            if "all" in request.POST
            else deliveries.filter(
                pk__in=[pk for pk in request.POST.getlist("delivery") if pk.isdigit()]
            )
        )
        count = retry(list(chosen))
        if count:
            messages.success(
                request,
                ngettext(
                    "%(count)d delivery will be sent again.",
                    "%(count)d deliveries will be sent again.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.warning(request, _("Choose the deliveries to send again."))
        return redirect("notifications_failed")
    return TemplateResponse(
        request,
        "notifications/admin/failed.html",
        {"deliveries": deliveries.order_by("-created_at")[:SHOWN], "count": deliveries.count()},
    )


class FailedDeliveriesPanel(Component):
    """On the admin dashboard while some deliveries have failed."""

    name = "notifications_failed"
    template_name = "notifications/admin/home_panel.html"
    order = 95

    def __init__(self, count: int):
        self.count = count

    def get_context_data(self, parent_context: Mapping[str, Any] | None = None) -> dict:
        return {"count": self.count, "url": reverse("notifications_failed")}
