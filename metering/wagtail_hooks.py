from django.db.models import Case, DateField, Exists, OuterRef, Value, When
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from customers.area import MenuItem, Widget
from customers.gate import request_service_points
from customers.models import Ability
from notifications.permissions import PermissionCheckedSnippetChooserViewSet

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
        lambda: _consumption_context(request, membership),
        order=10,
        key="consumption",
    )


def _consumption_context(request, membership) -> dict | None:
    """Two queries: the meters (with registers, and whether the customer has read each in
    its point's open window) of the service points the dashboard loaded, and the main
    point's readings; the reading windows come from the cache."""
    from .reports import meters_with_registers, service_point_reports
    from .views import year_chart
    from .windows import applicable_windows, segment_ids_of, self_reading_at

    today = timezone.localdate()
    reachable = request_service_points(request, membership)
    windows = applicable_windows(reachable)
    segment_ids = segment_ids_of(membership.customer)
    states = {p.pk: self_reading_at(p, today, windows, segment_ids) for p in reachable}
    meters = Meter.objects.filter(service_point__in=[p.pk for p in reachable])
    if membership.can(Ability.SUBMIT_READINGS):
        meters = _with_read_in_open_window(meters, states)
    meters = meters_with_registers(meters)
    metered = {meter.service_point_id for meter, _registers in meters}
    points = [p for p in reachable if p.pk in metered]  # one customer's: ordered by code
    if not points:
        return None
    # The main point: the first whose reading window is open, else the first.
    point = next((p for p in points if states[p.pk].is_open), points[0])
    self_reading = states[point.pk]
    at_point = [
        (meter, registers) for meter, registers in meters if meter.service_point_id == point.pk
    ]
    report = service_point_reports([point], at_point)[point.pk]
    due = []
    if self_reading.is_open and membership.can(Ability.SUBMIT_READINGS):
        due = [
            r.meter
            for r in report.meters
            if r.meter.is_installed(today) and not r.meter.read_in_window
        ]
    return {
        "point": point,
        "chart": year_chart(report, today.year, "chart-dashboard"),
        "due": due,
        "closes_on": self_reading.state.closes_on if self_reading.is_open else None,
    }


def _with_read_in_open_window(meters, states):
    """Each meter's `read_in_window`: whether the customer has given a reading of it (not one
    replaced since) in the window open now at its service point; `states`: every point's
    `SelfReading` today."""
    opened_on: dict = {}
    for point_id, state in states.items():
        if state.is_open:
            opened_on.setdefault(state.state.opened_on, []).append(point_id)
    if not opened_on:
        return meters
    window_opened_on = Case(
        *(When(service_point_id__in=ids, then=Value(day)) for day, ids in opened_on.items()),
        output_field=DateField(),
    )
    customer_readings = Reading.objects.filter(
        register__meter=OuterRef("pk"),
        source=Reading.Source.CUSTOMER,
        window_opened_on=OuterRef("window_opened_on"),
    ).exclude(status=Reading.Status.REPLACED)
    return meters.annotate(window_opened_on=window_opened_on).annotate(
        read_in_window=Exists(customer_readings)
    )


@hooks.register("seed_demo", order=30)
def seed_demo_metering(context):
    from .demo import seed_demo_metering as seed

    seed(context)


class MeterViewSet(SnippetViewSet):
    """Meters come from the ERP; staff look them up and correct them here."""

    model = Meter
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
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
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
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
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
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
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
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
