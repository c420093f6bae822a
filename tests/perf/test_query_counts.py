"""How many queries a signed-in customer's pages run, and that history does not add any.

Counted: every statement of the request (session, user, the gate, the page, the frame's menu,
badge and settings), with sessions as in production (the shared cache in front of the
database). Savepoints are left out: they are the test's own transaction, not the request's.

CEILINGS are today's counts, so that a query added by mistake fails here. The dashboard
asks: the user, the gate, the balance, the service points (once, for every widget), the
messages, the main service point's meters with registers (and whether the customer has read
them in the open window), their readings, the open requests with their number, and the
latest invoices. What staff configure (layouts, reading windows, announcements) comes from
the shared cache. A meter's page: the user, the gate, the meters of its service point with
their registers (the meter's number of readings with them), the readings for the chart, and
the page of readings.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import DashboardLayout, DashboardLayoutItem

pytestmark = pytest.mark.django_db

CEILINGS = {"dashboard": 9, "invoices": 5, "statement": 6, "meter": 5}

BASE_TEMPLATE = ("wagtailcore_pageviewrestriction", '"show_in_menus"')
"""What base.html would ask on every page: the main menu (view restrictions, then the
top-level pages) — it comes from the cache; the Wagtail user bar is drawn for staff only."""


@pytest.fixture(autouse=True)
def _sessions_as_in_production(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def urls(world) -> dict[str, str]:
    return {
        "dashboard": reverse("customer:dashboard"),
        "invoices": reverse("billing:invoices"),
        "statement": reverse("billing:statement"),
        "meter": reverse("metering:meter", kwargs={"meter_id": world.meters[0].public_id}),
    }


def request_queries(client, url) -> list[str]:
    """The statements of a second request (the first fills the per-process caches)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


@pytest.fixture
def two_histories(client, customer_with_history):
    """Statements per page for a customer of 3 months and one of 36 months."""
    counted = {}
    for months in (3, 36):
        world = customer_with_history(months)
        client.force_login(world.user)
        counted[months] = {name: request_queries(client, url) for name, url in urls(world).items()}
    return counted


def test_the_history_adds_no_query(two_histories):
    for page in CEILINGS:
        assert len(two_histories[3][page]) == len(two_histories[36][page]), page


def test_no_page_runs_more_than_its_ceiling(two_histories):
    over = {
        page: len(two_histories[36][page])
        for page, ceiling in CEILINGS.items()
        if len(two_histories[36][page]) > ceiling
    }
    assert not over, over


def test_the_gate_asks_once_per_request(two_histories):
    """Memberships, the second-factor rule and the service-point limit: one query."""
    for page, queries in two_histories[36].items():
        gate = [sql for sql in queries if 'FROM "customers_membership"' in sql]
        assert len(gate) == 1, (page, gate)


def test_the_site_and_its_settings_come_from_the_cache(two_histories):
    for page, queries in two_histories[36].items():
        assert not [sql for sql in queries if "wagtailcore_site" in sql], page
        assert not [sql for sql in queries if "home_companysettings" in sql], page


def test_without_the_base_template_each_page_is_within_its_target_plus_the_other_rooms(
    two_histories,
):
    """What the portal's own code asks, apart from base.html's fixed part."""
    own = {
        page: [sql for sql in queries if not any(mark in sql for mark in BASE_TEMPLATE)]
        for page, queries in two_histories[36].items()
    }
    assert len(own["invoices"]) <= 6
    assert len(own["statement"]) <= 6
    for page in CEILINGS:
        assert len(two_histories[36][page]) == len(own[page]), page


def test_what_staff_configure_comes_from_the_cache(two_histories):
    """Dashboard layouts, reading windows and announcements (tests/perf/
    test_cached_configuration.py: a change shows at once)."""
    configured = ("customers_dashboardlayout", "metering_readingwindow", "wagtailcore_page")
    for page, queries in two_histories[36].items():
        assert not [sql for sql in queries if any(table in sql for table in configured)], page


def test_the_dashboard_reads_the_service_points_once(two_histories):
    points = [
        sql for sql in two_histories[36]["dashboard"] if 'FROM "customers_servicepoint"' in sql
    ]
    assert len(points) == 1, points


def test_a_meters_page_reads_each_table_once(two_histories):
    meter_page = two_histories[36]["meter"]
    for table in ("metering_meter", "metering_register"):
        assert len([sql for sql in meter_page if f'FROM "{table}"' in sql]) <= 1, table
    assert not [sql for sql in meter_page if sql.startswith("SELECT COUNT(*)")]


def test_no_query_repeats_on_any_page(client, customer_with_history, no_repeated_queries):
    world = customer_with_history(12)
    client.force_login(world.user)
    for url in urls(world).values():
        client.get(url)
        with no_repeated_queries(times=1):
            assert client.get(url).status_code == 200


def test_widgets_the_layout_leaves_out_cost_nothing(client, customer_with_history):
    world = customer_with_history(6)
    layout = DashboardLayout.objects.create(segment=world.customer.segments.get())
    DashboardLayoutItem.objects.create(layout=layout, widget="customer_summary", sort_order=0)
    client.force_login(world.user)
    queries = request_queries(client, reverse("customer:dashboard"))
    assert not [sql for sql in queries if re.search(r'(FROM|JOIN) "(billing|metering)_', sql)]
    service_points_widget = ('SELECT "customers_servicepoint"."id"', 'SELECT DISTINCT "customers_')
    assert not [sql for sql in queries if sql.startswith(service_points_widget)]


def test_a_customer_page_asks_nothing_of_the_permission_tables(two_histories):
    for page, queries in two_histories[36].items():
        assert not [sql for sql in queries if "auth_permission" in sql], page
