"""The customer's orders and quote requests: one list, priced in the query, behind the gate."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicedesk import services
from servicedesk.models import CatalogueItem, RequestType
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

D = Decimal
ORDERS = "servicedesk:orders"


@pytest.fixture
def shop(desk, home_page):
    """An order type, a quote type and two price list items."""
    from types import SimpleNamespace

    def kind(slug, category):
        return RequestType.objects.create(
            slug=slug,
            name=slug.title(),
            name_en=slug.title(),
            category=category,
            team=desk.team,
            calendar=desk.calendar,
        )

    return SimpleNamespace(
        order=kind("zamowienie", RequestType.Category.ORDER),
        quote=kind("wycena", RequestType.Category.QUOTE),
        meter=CatalogueItem.objects.create(
            code="LIC-1", name="Licznik", unit="szt.", unit_price=D("250.00")
        ),
        hour=CatalogueItem.objects.create(
            code="H-1", name="Godzina pracy", unit="h", unit_price=D("99.99")
        ),
    )


def file(membership, request_type, lines, subject="Zamówienie"):
    return services.file_request(
        membership=membership,
        user=membership.user,
        request_type=request_type,
        data={},
        subject=subject,
        order_lines=lines,
    )


def rows(client) -> dict[str, tuple[str, str]]:
    """reference → (number of lines, net total) as the page shows them."""
    import re

    page = client.get(reverse(ORDERS)).content.decode()
    found = re.findall(
        r'data-order="([^"]+)".*?data-lines>(\d+)</td>\s*<td class="numeric" data-net>([^<]*)<',
        page,
        re.S,
    )
    return {ref: (lines, " ".join(net.split())) for ref, lines, net in found}


def test_the_list_shows_orders_and_quotes_with_their_lines_priced(client, desk, shop, filed):
    order = file(desk.owner, shop.order, [(shop.meter, D("2")), (shop.hour, D("1.5"))])
    quote = file(desk.owner, shop.quote, [(shop.hour, D("3"))], subject="Wycena")
    empty = file(desk.owner, shop.order, [])
    stranger = MembershipFactory(role="owner")
    theirs = file(stranger, shop.order, [(shop.meter, D("1"))])
    client.force_login(desk.owner.user)
    response = client.get(reverse(ORDERS))
    assert response.status_code == 200
    shown = rows(client)
    # 2 × 250.00 + 1.5 × 99.99 = 649.985 → 649.99; 3 × 99.99 = 299.97.
    assert shown == {
        order.reference: ("2", "649,99 zł"),
        quote.reference: ("1", "299,97 zł"),
        empty.reference: ("0", "—"),
    }
    page = response.content.decode()
    assert filed.reference not in page  # a complaint is not an order
    assert theirs.reference not in page
    assert reverse("servicedesk:request", kwargs={"request_id": order.public_id}) in page
    assert reverse("servicedesk:choose_type") in page


def test_the_query_count_does_not_grow_with_the_orders(client, desk, shop):
    file(desk.owner, shop.order, [(shop.meter, D("1"))])
    client.force_login(desk.owner.user)
    client.get(reverse(ORDERS))  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(ORDERS)).status_code == 200
    for n in range(15):
        file(desk.owner, shop.quote if n % 2 else shop.order, [(shop.meter, D("1"))] * 3)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(ORDERS)).status_code == 200
    assert len(few) == len(many)
    assert len(rows(client)) == 16


def test_the_menu_leads_there_and_explains_when_nothing_can_be_ordered(client, desk, home_page):
    client.force_login(desk.owner.user)
    dashboard = client.get(reverse("customer:dashboard")).content.decode()
    assert reverse(ORDERS) in dashboard
    assert reverse("servicedesk:appointments") in dashboard
    response = client.get(reverse(ORDERS))
    assert response.status_code == 200
    assert response.context["can_order"] is False
    assert "<table" not in response.content.decode().split("<h1>", 1)[1]


def test_a_role_that_files_no_requests_has_no_orders_page(client, desk, shop):
    reader = MembershipFactory(customer=desk.owner.customer, role="read_only")
    client.force_login(reader.user)
    assert client.get(reverse(ORDERS)).status_code == 403
    assert reverse(ORDERS) not in client.get(reverse("customer:dashboard")).content.decode()
