from django.db.models import Count, Window
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from customers.area import MenuItem, Widget
from customers.models import Ability
from notifications.permissions import PermissionCheckedSnippetChooserViewSet

from . import appointment_hooks, form_hooks, inbox_hooks  # noqa: F401 - they register hooks
from .models import CatalogueItem, Request, RequestType, Team, WorkingCalendar


@hooks.register("customer_menu_items")
def servicedesk_menu_items():
    return [
        MenuItem(_("Requests and complaints"), "servicedesk:requests", Ability.FILE_REQUESTS, 45)
    ]


@hooks.register("customer_dashboard_widgets")
def open_requests_widget(request, membership):
    if not membership.can(Ability.FILE_REQUESTS):
        return None

    def context():
        # The newest three, each carrying how many are open in all: one query.
        requests = list(
            Request.objects.for_membership(membership)
            .open()
            .annotate(open_count=Window(Count("pk")))
            .order_by("-created_at")[:3]
        )
        return {"requests": requests, "count": requests[0].open_count if requests else 0}

    return Widget("servicedesk/widgets/open_requests.html", context, order=15, key="open_requests")


@hooks.register("seed_demo", order=40)
def seed_demo_servicedesk(context):
    from .demo import seed_demo_servicedesk as seed

    seed(context)


class RequestTypeViewSet(SnippetViewSet):
    model = RequestType
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "form"
    menu_label = _("Request types")
    add_to_admin_menu = False
    search_backend_name = None
    search_fields = ["name", "name_en", "slug"]
    list_display = [
        "name",
        "category",
        "team",
        "first_response_hours",
        "resolution_hours",
        "is_active",
    ]
    list_filter = ["category", "is_active"]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("name_en"),
                FieldPanel("slug"),
                FieldPanel("category"),
                FieldPanel("description"),
                FieldPanel("description_en"),
                FieldPanel("is_active"),
                FieldPanel("sort_order"),
            ],
            heading=_("Type"),
        ),
        InlinePanel("fields", heading=_("Form fields"), label=_("field")),
        MultiFieldPanel(
            [FieldPanel("team"), FieldPanel("default_assignee"), FieldPanel("priority")],
            heading=_("Routing"),
        ),
        InlinePanel("routing_rules", heading=_("Routing by area"), label=_("rule")),
        MultiFieldPanel(
            [
                FieldPanel("calendar"),
                FieldPanel("first_response_hours"),
                FieldPanel("resolution_hours"),
                FieldPanel("statutory_days"),
            ],
            heading=_("Deadlines"),
        ),
        MultiFieldPanel(
            [FieldPanel("segments"), FieldPanel("allowed_roles")], heading=_("Who may file it")
        ),
    ]


class WorkingCalendarViewSet(SnippetViewSet):
    model = WorkingCalendar
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "date"
    menu_label = _("Working calendars")
    add_to_admin_menu = False
    search_backend_name = None
    panels = [
        FieldPanel("name"),
        FieldPanel("opens_at"),
        FieldPanel("closes_at"),
        FieldPanel("working_days"),
        FieldPanel("polish_holidays"),
        InlinePanel("holidays", heading=_("Other days off"), label=_("day off")),
    ]


class TeamViewSet(SnippetViewSet):
    model = Team
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "group"
    menu_label = _("Teams")
    add_to_admin_menu = False
    search_backend_name = None


class CatalogueItemViewSet(SnippetViewSet):
    model = CatalogueItem
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "list-ul"
    menu_label = _("Price list for orders")
    add_to_admin_menu = False
    search_backend_name = None
    search_fields = ["code", "name"]
    list_display = ["code", "name", "unit", "unit_price", "vat_rate", "is_active"]


class ServiceDeskViewSetGroup(SnippetViewSetGroup):
    items = (RequestTypeViewSet, WorkingCalendarViewSet, TeamViewSet, CatalogueItemViewSet)
    menu_icon = "help"
    menu_label = _("Service desk settings")
    menu_order = 260


register_snippet(ServiceDeskViewSetGroup)


@hooks.register("register_admin_urls")
def servicedesk_admin_urls():
    from django.urls import path

    from . import admin_views

    return [
        path("requests/", admin_views.queue, name="servicedesk_queue"),
        path("requests/<int:pk>/", admin_views.request_detail, name="servicedesk_request"),
        path(
            "requests/<int:pk>/files/<uuid:attachment_id>/",
            admin_views.attachment,
            name="servicedesk_attachment",
        ),
    ]


@hooks.register("register_admin_menu_item")
def requests_menu_item():
    from django.urls import reverse
    from wagtail.admin.menu import MenuItem as AdminMenuItem

    from .admin_views import PERMISSION

    class RequestsMenuItem(AdminMenuItem):
        def is_shown(self, request):
            return request.user.has_perm(PERMISSION)

        def render_component(self, request):
            component = super().render_component(request)
            component.label = _("Requests (%(count)d open)") % {
                "count": Request.objects.open().count()
            }
            return component

    return RequestsMenuItem(
        _("Requests"),
        reverse("servicedesk_queue"),
        name="requests",
        icon_name="clipboard-list",
        order=255,
    )


@hooks.register("construct_homepage_panels")
def requests_homepage_panel(request, panels):
    from .admin_views import PERMISSION, RequestsPanel

    if request.user.has_perm(PERMISSION):
        panels.append(RequestsPanel())


@hooks.register("insert_global_admin_css")
def servicedesk_admin_css():
    from django.templatetags.static import static
    from django.utils.html import format_html

    return format_html('<link rel="stylesheet" href="{}">', static("servicedesk/admin.css"))
