from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from customers.area import MenuItem, Widget
from customers.models import Ability, ServicePoint

from .models import Meter, Reading, ReadingWindow, TariffPrice


@hooks.register("customer_menu_items")
def metering_menu_items():
    return [MenuItem(_("Meters and readings"), "metering:meters", Ability.VIEW_TECHNICAL, 40)]


@hooks.register("customer_dashboard_widgets")
def consumption_widget(request, membership):
    """The main service point's consumption this year against last, and a reading due."""
    if not membership.can(Ability.VIEW_TECHNICAL):
        return None
    return Widget(
        "metering/widgets/consumption.html",
        lambda: _consumption_context(membership),
        order=10,
        key="consumption",
    )


def _consumption_context(membership) -> dict | None:
    from .reports import service_point_reports
    from .views import year_chart
    from .windows import applicable_windows, segment_ids_of, self_reading_at

    points = list(
        ServicePoint.objects.for_membership(membership)
        .filter(meters__isnull=False)
        .distinct()
        .order_by("code")
    )
    if not points:
        return None
    today = timezone.localdate()
    windows = applicable_windows(points)
    segment_ids = segment_ids_of(membership.customer)
    states = [self_reading_at(p, today, windows, segment_ids) for p in points]
    # The main point: the first whose reading window is open, else the first.
    point, self_reading = next(
        ((p, s) for p, s in zip(points, states, strict=True) if s.is_open),
        (points[0], states[0]),
    )
    report = service_point_reports([point])[point.pk]
    due = []
    if self_reading.is_open and membership.can(Ability.SUBMIT_READINGS):
        read = set(
            Reading.objects.filter(
                register__meter__service_point=point,
                source=Reading.Source.CUSTOMER,
                window_opened_on=self_reading.state.opened_on,
            )
            .exclude(status=Reading.Status.REPLACED)
            .values_list("register__meter_id", flat=True)
        )
        due = [
            r.meter for r in report.meters if r.meter.is_installed(today) and r.meter.pk not in read
        ]
    return {
        "point": point,
        "chart": year_chart(report, today.year, "chart-dashboard"),
        "due": due,
        "closes_on": self_reading.state.closes_on if self_reading.is_open else None,
    }


@hooks.register("seed_demo", order=30)
def seed_demo_metering(context):
    from .demo import seed_demo_metering as seed

    seed(context)


class MeterViewSet(SnippetViewSet):
    """Meters come from the ERP; staff look them up and correct them here."""

    model = Meter
    icon = "time"
    menu_label = _("Meters")
    add_to_admin_menu = False
    search_backend_name = None
    search_fields = ["serial_number", "service_point__code", "service_point__customer__number"]
    list_display = ["serial_number", "medium", "service_point", "installed_on", "removed_on"]
    list_filter = ["medium", "unit"]
    panels = [
        FieldPanel("service_point"),
        MultiFieldPanel(
            [
                FieldPanel("serial_number"),
                FieldPanel("medium"),
                FieldPanel("unit"),
                FieldPanel("multiplier"),
                FieldPanel("digits"),
                FieldPanel("decimals"),
            ],
            heading=_("Meter"),
        ),
        MultiFieldPanel(
            [FieldPanel("installed_on"), FieldPanel("removed_on"), FieldPanel("replaced_meter")],
            heading=_("Installation"),
        ),
        InlinePanel("registers", heading=_("Registers"), min_num=1),
        FieldPanel("external_id"),
    ]


class ReadingViewSet(SnippetViewSet):
    model = Reading
    icon = "list-ul"
    menu_label = _("Readings")
    add_to_admin_menu = False
    search_backend_name = None
    search_fields = ["register__meter__serial_number", "register__meter__service_point__code"]
    list_display = ["read_on", "register", "value", "source", "status"]
    list_filter = ["status", "source", "read_on"]
    inspect_view_enabled = True
    panels = [
        FieldPanel("register"),
        FieldPanel("value"),
        FieldPanel("read_on"),
        FieldPanel("source"),
        FieldPanel("status"),
        FieldPanel("rejection_reason"),
        FieldPanel("external_id"),
    ]


class ReadingWindowViewSet(SnippetViewSet):
    model = ReadingWindow
    icon = "date"
    menu_label = _("Reading windows")
    add_to_admin_menu = False
    search_backend_name = None
    list_display = ["name", "start_day", "end_day", "service_point", "tariff", "is_active"]
    panels = [
        FieldPanel("name"),
        FieldPanel("start_day"),
        FieldPanel("end_day"),
        MultiFieldPanel(
            [FieldPanel("service_point"), FieldPanel("tariff")],
            heading=_("Applies to (empty: every service point)"),
        ),
        FieldPanel("segments"),
        FieldPanel("is_active"),
    ]


class TariffPriceViewSet(SnippetViewSet):
    model = TariffPrice
    icon = "form"
    menu_label = _("Tariff prices")
    add_to_admin_menu = False
    search_backend_name = None
    list_display = ["tariff", "register_code", "name", "unit_price", "vat_rate", "valid_from"]
    list_filter = ["tariff"]


class MeteringViewSetGroup(SnippetViewSetGroup):
    items = (MeterViewSet, ReadingViewSet, ReadingWindowViewSet, TariffPriceViewSet)
    menu_icon = "time"
    menu_label = _("Metering")
    menu_order = 240


register_snippet(MeteringViewSetGroup)


@hooks.register("register_admin_urls")
def metering_admin_urls():
    from . import admin_views

    return [
        path("readings/review/", admin_views.review_queue, name="metering_review_queue"),
        path("readings/review/<int:pk>/", admin_views.review_reading, name="metering_review"),
        path("readings/<int:pk>/photo/", admin_views.reading_photo, name="metering_photo"),
    ]


@hooks.register("register_admin_menu_item")
def review_menu_item():
    class ReviewMenuItem(AdminMenuItem):
        def is_shown(self, request):
            return request.user.has_perm("metering.change_reading")

    return ReviewMenuItem(
        _("Readings to review"), reverse("metering_review_queue"), icon_name="warning", order=245
    )


@hooks.register("personal_data_export")
def readings_submitted_by(user):
    """The readings the user gave (with their photos), of meters they still see."""
    readings = (
        Reading.objects.visible_to(user)
        .filter(submitted_by=user)
        .select_related("register__meter__service_point")
        .order_by("read_on", "created_at")
    )
    entries, rows = {}, []
    for reading in readings:
        photo = ""
        if reading.photo:
            photo = f"files/reading-photos/{reading.public_id}{reading.photo.name[-4:]}"
            with reading.photo.open("rb") as file:
                entries[photo] = file.read()
        rows.append(
            {
                "service_point": reading.register.meter.service_point.code,
                "meter": reading.register.meter.serial_number,
                "register": reading.register.code,
                "read_on": reading.read_on,
                "value": reading.value,
                "status": reading.status,
                "submitted_at": reading.created_at,
                "photo": photo,
            }
        )
    if rows:
        entries["meter-readings.json"] = rows
    return entries
