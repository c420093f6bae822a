"""The customer side of notifications: who hears of a customer's affairs, the menu entries of
the notifications and shipments pages, and the shipments register in the admin.

Registered on import from wagtail_hooks; rooms import `recipients` for their reminders.
"""

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.log_actions import log
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView as SnippetCreateView
from wagtail.snippets.views.snippets import SnippetViewSet

from notifications.permissions import PermissionCheckedSnippetChooserViewSet

from .area import MenuItem
from .models import Ability, Customer, Membership, Shipment


def recipients(
    customer: Customer, ability: str, service_point_ids: Iterable[int] = ()
) -> list[Membership]:
    """The customer's active members who may hear of something: their role has `ability`
    and, for a matter of some service points, they reach one of them."""
    points = set(service_point_ids)
    memberships = (
        Membership.objects.active()
        .filter(customer=customer, user__is_active=True)
        .select_related("user")
        .prefetch_related("service_points")
        .order_by("pk")
    )
    return [m for m in memberships if m.can(ability) and reaches(m, points)]


def reaches(membership: Membership, service_point_ids: set[int]) -> bool:
    """Whether a member reaches a matter of these service points (none: the whole customer).
    Reads `service_points` from a prefetch when there is one."""
    limited_to = {point.pk for point in membership.service_points.all()}
    return not limited_to or not service_point_ids or bool(limited_to & service_point_ids)


@hooks.register("customer_menu_items")
def notification_menu_items():
    return [
        MenuItem(_("Shipments"), "customer:shipments", Ability.VIEW_ACCOUNT, 70),
        MenuItem(_("Notifications"), "customer:notifications", Ability.VIEW_ACCOUNT, 850),
    ]


class ShipmentCreateView(SnippetCreateView):
    """A shipment added by staff is recorded like one from the ERP: the customer is told."""

    def save_instance(self):
        from .shipment_services import record_shipment

        data = self.form.cleaned_data
        shipment = record_shipment(
            customer=data["customer"],
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            description=data["description"],
            sent_on=data["sent_on"],
            external_id=data.get("external_id") or None,
        )
        log(instance=shipment, action="wagtail.create", user=self.request.user)
        return shipment


class ShipmentViewSet(SnippetViewSet):
    model = Shipment
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    add_view_class = ShipmentCreateView
    icon = "mail"
    menu_label = _("Shipments")
    menu_order = 235
    add_to_admin_menu = True
    search_backend_name = None
    search_fields = ["tracking_number", "description", "customer__number", "customer__name"]
    list_display = ["tracking_number", "customer", "carrier", "description", "sent_on"]
    list_filter = ["carrier", "sent_on"]
    panels = [
        FieldPanel("customer"),
        MultiFieldPanel(
            [FieldPanel("carrier"), FieldPanel("tracking_number"), FieldPanel("sent_on")],
            heading=_("Shipment"),
        ),
        FieldPanel("description"),
        FieldPanel("external_id"),
    ]

    def get_queryset(self, request):
        return Shipment.objects.select_related("customer")


register_snippet(ShipmentViewSet)
