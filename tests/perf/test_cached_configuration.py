"""What staff configure and customers only read comes from the shared cache: dashboard
layouts, reading windows and announcements. Each change staff make shows on the customer's
next request."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify

from announcements.models import AnnouncementPage
from announcements.wagtail_hooks import current_announcements_for
from customers.models import DashboardLayout, DashboardLayoutItem, ServicePoint
from metering.models import ReadingWindow
from tests.factories import CustomerFactory, SegmentFactory, ServicePointFactory
from tests.perf.test_query_counts import request_queries

pytestmark = pytest.mark.django_db

WIDGET_IDS = {
    "customer_summary": 'id="widget-customer"',
    "balance": 'id="widget-balance"',
    "open_requests": 'id="widget-requests"',
    "consumption": 'id="widget-consumption"',
}


@pytest.fixture
def world(client, customer_with_history):
    world = customer_with_history(3)
    client.force_login(world.user)
    return world


def page(client, url) -> str:
    with translation.override("en"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def dashboard_widgets(client) -> list[str]:
    """The keys of the widgets of WIDGET_IDS the dashboard shows, in the order shown."""
    html = page(client, reverse("customer:dashboard"))
    shown = [(html.index(mark), key) for key, mark in WIDGET_IDS.items() if mark in html]
    return [key for _position, key in sorted(shown)]


def make_layout(segment, keys) -> DashboardLayout:
    layout = DashboardLayout.objects.create(segment=segment)
    for order, key in enumerate(keys):
        DashboardLayoutItem.objects.create(layout=layout, widget=key, sort_order=order)
    return layout


def test_the_layout_is_read_once_then_from_the_cache(client, world):
    make_layout(world.customer.segments.get(), ["balance", "customer_summary"])
    queries = request_queries(client, reverse("customer:dashboard"))
    assert not [sql for sql in queries if "customers_dashboardlayout" in sql]
    assert dashboard_widgets(client) == ["balance", "customer_summary"]


def test_a_new_layout_an_edited_one_and_a_deleted_one_show_at_once(client, world):
    assert len(dashboard_widgets(client)) == len(WIDGET_IDS)  # cached: no layout
    layout = make_layout(world.customer.segments.get(), ["open_requests", "balance"])
    assert dashboard_widgets(client) == ["open_requests", "balance"]
    item = layout.items.get(widget="balance")
    item.widget = "customer_summary"
    item.save()
    assert dashboard_widgets(client) == ["open_requests", "customer_summary"]
    layout.items.get(widget="open_requests").delete()
    assert dashboard_widgets(client) == ["customer_summary"]
    layout.delete()
    assert len(dashboard_widgets(client)) == len(WIDGET_IDS)


def test_a_customer_joining_or_leaving_a_segment_gets_its_layout_at_once(client, world):
    other = SegmentFactory(code="layout-other")
    make_layout(other, ["consumption"])
    assert len(dashboard_widgets(client)) == len(WIDGET_IDS)
    world.customer.segments.add(other)
    assert dashboard_widgets(client) == ["consumption"]
    world.customer.segments.remove(other)
    assert len(dashboard_widgets(client)) == len(WIDGET_IDS)
    other.customers.add(world.customer)  # from the segment's side
    assert dashboard_widgets(client) == ["consumption"]
    other.customers.clear()
    assert len(dashboard_widgets(client)) == len(WIDGET_IDS)


def test_renaming_a_segments_group_changes_which_layout_comes_first(client, world):
    own = world.customer.segments.get()
    Group.objects.filter(pk=own.group_id).update(name="b first")  # known before anything is cached
    other = SegmentFactory(code="layout-rename")
    Group.objects.filter(pk=other.group_id).update(name="c second")
    world.customer.segments.add(other)
    make_layout(own, ["balance"])
    make_layout(other, ["open_requests"])
    assert dashboard_widgets(client) == ["balance"]
    group = other.group
    group.name = "a now first"
    group.save()
    assert dashboard_widgets(client) == ["open_requests"]


def test_reading_windows_are_read_once_then_from_the_cache(client, world):
    meter_url = reverse("metering:meter", kwargs={"meter_id": world.meters[0].public_id})
    for url in (reverse("customer:dashboard"), meter_url):
        queries = request_queries(client, url)
        assert not [sql for sql in queries if "metering_readingwindow" in sql], url


def reading_offered(client, world) -> tuple[bool, bool]:
    """Whether the dashboard asks for a reading, and the meter's page offers to submit one."""
    dashboard = page(client, reverse("customer:dashboard"))
    meter = page(client, reverse("metering:meter", kwargs={"meter_id": world.meters[0].public_id}))
    return "Reading due" in dashboard, "Submit a reading" in meter


def test_a_window_switched_off_or_on_shows_at_once(client, world):
    assert reading_offered(client, world) == (True, True)
    window = ReadingWindow.objects.get()
    window.is_active = False
    window.save()
    assert reading_offered(client, world) == (False, False)
    window.is_active = True
    window.save()
    assert reading_offered(client, world) == (True, True)
    window.delete()
    assert reading_offered(client, world) == (False, False)


def test_a_new_window_shows_at_once(client, world):
    ReadingWindow.objects.all().delete()
    assert reading_offered(client, world) == (False, False)
    ReadingWindow.objects.create(name="Nowe", start_day=1, end_day=31)
    assert reading_offered(client, world) == (True, True)


def test_a_windows_segments_changed_or_deleted_show_at_once(client, world):
    window = ReadingWindow.objects.get()
    assert reading_offered(client, world) == (True, True)
    elsewhere = SegmentFactory(code="windows-elsewhere")
    window.segments.add(elsewhere)  # now only for another segment's customers
    assert reading_offered(client, world) == (False, False)
    window.segments.add(world.customer.segments.get())
    assert reading_offered(client, world) == (True, True)
    window.segments.remove(world.customer.segments.get())
    assert reading_offered(client, world) == (False, False)
    elsewhere.delete()  # the window names no segment any more: it is for everyone
    assert reading_offered(client, world) == (True, True)


# Announcements: the dashboard filters the cached live ones in memory.


def publish(board, title, **fields) -> AnnouncementPage:
    segments, customers = fields.pop("segments", []), fields.pop("customers", [])
    fields.setdefault("valid_from", timezone.now() - timedelta(hours=1))
    page = AnnouncementPage(title=title, slug=slugify(title), **fields)
    page.segments, page.customers = segments, customers
    board.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def sql_choice(customer) -> list[int]:
    found = AnnouncementPage.objects.live().for_customer(customer).current().in_display_order()
    return list(found.values_list("pk", flat=True))


def test_the_cached_choice_is_the_databases_for_every_audience(announcement_board):
    """Every kind of audience, for customers inside and outside it: the same pages, in
    the same order, as the query the announcement list runs."""
    board, now = announcement_board, timezone.now()
    inside, outside = SegmentFactory(code="ann-inside"), SegmentFactory(code="ann-outside")
    customer = CustomerFactory()
    customer.segments.add(inside)
    ServicePointFactory(customer=customer, postal_code="00-950", city="  Łódź ")
    ServicePointFactory(customer=customer, postal_code="31-100", city="Kraków", status="inactive")
    neighbour = CustomerFactory()
    ServicePointFactory(customer=neighbour, postal_code="02-001", city="Warszawa")
    for title, fields in {
        "public": {"audience": "public"},
        "all": {"audience": "all_customers", "pinned": True},
        "segment in": {"audience": "segments", "segments": [inside]},
        "segment out": {"audience": "segments", "segments": [outside]},
        "customer": {"audience": "customers", "customers": [customer]},
        "neighbour": {"audience": "customers", "customers": [neighbour]},
        "postcode prefix": {"audience": "areas", "postcodes": "00-9"},
        "postcode elsewhere": {"audience": "areas", "postcodes": "01, 02-00"},
        "inactive point's area": {"audience": "areas", "postcodes": "31-100"},
        "locality": {"audience": "areas", "localities": "ŁÓDŹ"},
        "other locality": {"audience": "areas", "localities": "Warszawa\nKraków"},
        "ended": {"audience": "all_customers", "valid_to": now - timedelta(minutes=1)},
        "not yet": {"audience": "all_customers", "valid_from": now + timedelta(hours=1)},
        "older pinned": {
            "audience": "public",
            "pinned": True,
            "valid_from": now - timedelta(days=3),
        },
        "until tomorrow": {"audience": "public", "valid_to": now + timedelta(days=1)},
    }.items():
        publish(board, title, **fields)
    draft = AnnouncementPage(title="draft", slug="draft", audience="public", live=False)
    board.add_child(instance=draft)
    for someone in (customer, neighbour, CustomerFactory()):
        chosen = [page.pk for page in current_announcements_for(someone)]
        assert chosen == sql_choice(someone), someone
        points = list(ServicePoint.objects.filter(customer=someone))
        assert [page.pk for page in current_announcements_for(someone, points)] == chosen
    titles = {p.title for p in current_announcements_for(customer)}
    assert titles >= {"segment in", "customer", "postcode prefix", "locality", "older pinned"}
    assert not titles & {"segment out", "neighbour", "inactive point's area", "ended", "draft"}


def announcements_shown(client) -> set[str]:
    html = page(client, reverse("customer:dashboard"))
    if 'id="widget-announcements"' not in html:
        return set()
    widget = html[html.index('id="widget-announcements"') :]
    widget = widget[: widget.index("</section>")]
    return {
        title
        for title in AnnouncementPage.objects.values_list("title", flat=True)
        if title in widget
    }


def test_the_announcements_are_read_once_then_from_the_cache(client, world):
    queries = request_queries(client, reverse("customer:dashboard"))
    assert not [sql for sql in queries if "wagtailcore_page" in sql]
    assert announcements_shown(client) == {"Przerwa w dostawie"}


def test_published_unpublished_and_retargeted_announcements_show_at_once(
    client, world, announcement_board
):
    assert announcements_shown(client) == {"Przerwa w dostawie"}
    news = publish(announcement_board, "Nowy cennik", audience="all_customers")
    assert announcements_shown(client) == {"Przerwa w dostawie", "Nowy cennik"}
    news.audience = "customers"
    news.save_revision().publish()  # for chosen customers, none chosen yet
    assert announcements_shown(client) == {"Przerwa w dostawie"}
    world.customer.announcements.add(news)  # chosen from the customer's side
    assert announcements_shown(client) == {"Przerwa w dostawie", "Nowy cennik"}
    news.unpublish()
    assert announcements_shown(client) == {"Przerwa w dostawie"}


def test_a_customer_joining_a_segment_sees_its_announcements_at_once(
    client, world, announcement_board
):
    vip = SegmentFactory(code="ann-vip")
    publish(announcement_board, "Dla VIP", audience="segments", segments=[vip])
    assert announcements_shown(client) == {"Przerwa w dostawie"}
    world.customer.segments.add(vip)
    assert announcements_shown(client) == {"Przerwa w dostawie", "Dla VIP"}
    vip.delete()
    assert announcements_shown(client) == {"Przerwa w dostawie"}
