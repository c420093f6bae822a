from datetime import timedelta

import pytest
from defusedxml import ElementTree
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from announcements.models import Audience, Severity
from tests.factories import SegmentFactory

from .conftest import announcement, customer_at

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def world(board):
    """Customers A (served in 00-950) and B (in Kraków), and what is announced to whom."""
    a, owner_a = customer_at("00-950")
    b, owner_b = customer_at("30-001", "Kraków")
    vip = SegmentFactory(code="vip")
    b.segments.add(vip)
    now = timezone.now()
    pages = {
        "public": announcement(board, title="Publiczny komunikat", audience=Audience.PUBLIC),
        "all": announcement(
            board, title="Dla wszystkich klientów", audience=Audience.ALL_CUSTOMERS, pinned=True
        ),
        "for_a": announcement(
            board, title="Tylko dla A", audience=Audience.CUSTOMERS, customers=[a]
        ),
        "for_b": announcement(
            board, title="Tylko dla B", audience=Audience.CUSTOMERS, customers=[b]
        ),
        "vip": announcement(
            board, title="Dla segmentu VIP", audience=Audience.SEGMENTS, segments=[vip]
        ),
        "outage_a": announcement(
            board,
            title="Awaria w 00-950",
            severity=Severity.OUTAGE,
            audience=Audience.AREAS,
            postcodes="00-950",
        ),
        "ended_a": announcement(
            board,
            title="Dawny komunikat dla A",
            audience=Audience.CUSTOMERS,
            customers=[a],
            valid_from=now - timedelta(days=10),
            valid_to=now - timedelta(days=5),
        ),
        "future": announcement(
            board,
            title="Przyszły komunikat",
            audience=Audience.ALL_CUSTOMERS,
            valid_from=now + timedelta(days=1),
        ),
        "ended_public": announcement(
            board,
            title="Dawny publiczny",
            valid_from=now - timedelta(days=10),
            valid_to=now - timedelta(days=5),
        ),
    }
    return {"a": a, "b": b, "owner_a": owner_a, "owner_b": owner_b, **pages}


def titles(html: str, pages: dict, *names) -> set[str]:
    return {name for name in names if pages[name].title in html}


ALL_NAMES = (
    "public",
    "all",
    "for_a",
    "for_b",
    "vip",
    "outage_a",
    "ended_a",
    "future",
    "ended_public",
)


def test_the_dashboard_widget_shows_what_is_meant_for_the_customer_now(client, world):
    client.force_login(world["owner_a"])
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert 'id="widget-announcements"' in html
    assert titles(html, world, *ALL_NAMES) == {"public", "all", "for_a", "outage_a"}
    widget = html[html.index('id="widget-announcements"') :]
    assert widget.index(world["all"].title) < widget.index(world["outage_a"].title)  # pinned
    assert "announcement--outage alert alert--error" in widget  # outages stand out
    assert world["for_a"].url in widget


def test_the_widget_shows_five_at_most(client, board):
    customer, owner = customer_at()
    for n in range(7):
        announcement(board, title=f"Ogłoszenie numer {n}", audience=Audience.ALL_CUSTOMERS)
    client.force_login(owner)
    html = client.get(reverse("customer:dashboard")).content.decode()
    widget = html[html.index('id="widget-announcements"') :]
    assert widget.count("Ogłoszenie numer") == 5


def test_the_customer_page_lists_current_and_past_ones_meant_for_the_customer(client, world):
    client.force_login(world["owner_b"])
    response = client.get(reverse("announcements:list"))
    assert response.status_code == 200
    html = response.content.decode()
    current = html[html.index('id="current-announcements"') : html.index('id="announcements-past"')]
    assert titles(current, world, *ALL_NAMES) == {"public", "all", "for_b", "vip"}
    past = html[html.index('id="past-announcements"') :]
    assert titles(past, world, *ALL_NAMES) == {"ended_public"}
    assert 'href="/account/announcements/" aria-current="page"' in html  # the menu entry


def test_the_customer_page_needs_a_login(client, world):
    response = client.get(reverse("announcements:list"))
    assert response.status_code == 302


def test_a_targeted_page_is_served_only_to_its_audience(client, world, staff_client):
    client.force_login(world["owner_a"])
    assert client.get(world["for_a"].url).status_code == 200
    assert client.get(world["outage_a"].url).status_code == 200
    assert client.get(world["for_b"].url).status_code == 404
    assert client.get(world["vip"].url).status_code == 404
    assert client.get(world["public"].url).status_code == 200
    client.force_login(world["owner_b"])
    assert client.get(world["outage_a"].url).status_code == 404
    assert client.get(world["vip"].url).status_code == 200
    client.logout()
    response = client.get(world["for_a"].url)
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    assert client.get(world["public"].url).status_code == 200
    # Editors see what they published.
    assert staff_client.get(world["for_b"].url).status_code == 200


def test_the_board_lists_public_current_announcements_only(client, world, board):
    response = client.get(board.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert titles(html, world, *ALL_NAMES) == {"public"}
    assert f'href="{board.url}feed/"' in html


def test_the_atom_feed_has_public_announcements_only(client, world, board):
    response = client.get(f"{board.url}feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    entries = {entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")}
    assert entries == {world["public"].title, world["ended_public"].title}
    links = {link.get("href") for link in feed.iter(f"{ATOM}link")}
    assert f"http://testserver{world['public'].url}" in links


def test_targeted_announcements_stay_out_of_search_menus_and_the_content_api(client, world):
    response = client.get("/api/v2/pages/", {"type": "announcements.AnnouncementPage"})
    listed = {item["title"] for item in response.json()["items"]}
    assert listed == {world["public"].title, world["ended_public"].title}
    html = client.get(reverse("search"), {"q": "Tylko dla"}).content.decode()
    assert world["for_a"].title not in html and world["for_b"].title not in html
    html = client.get(reverse("search"), {"q": "Publiczny komunikat"}).content.decode()
    assert world["public"].title in html


def test_an_audience_changed_to_public_opens_the_page(client, world):
    page = world["for_b"]
    page.audience = Audience.PUBLIC
    page.customers = []
    page.save_revision().publish()
    assert client.get(page.url).status_code == 200


def _queries(client, url) -> int:
    client.get(url)  # warms the cache of the site's root paths, kept across requests
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_the_announcements(client, board):
    counts = []
    for number in (3, 30):
        customer, owner = customer_at()
        segment = SegmentFactory()
        customer.segments.add(segment)
        for n in range(number):
            audience = [
                {"audience": Audience.ALL_CUSTOMERS},
                {"audience": Audience.CUSTOMERS, "customers": [customer]},
                {"audience": Audience.SEGMENTS, "segments": [segment]},
                {"audience": Audience.AREAS, "postcodes": "00-9", "severity": Severity.OUTAGE},
            ][n % 4]
            announcement(board, pinned=n % 5 == 0, **audience)
        client.force_login(owner)
        counts.append(
            (
                _queries(client, reverse("customer:dashboard")),
                _queries(client, reverse("announcements:list")),
            )
        )
    assert counts[0] == counts[1]
