import pytest
from django.test import RequestFactory
from django.urls import reverse

from customers.area import KNOWN_WIDGETS, layout_for, widgets_for
from customers.gate import memberships_of
from customers.models import DashboardLayout, DashboardLayoutItem
from tests.factories import SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def keys_for(user) -> list[str]:
    request = RequestFactory().get("/account/")
    request.user = user
    membership = memberships_of(user)[0]
    return [widget.key for widget in widgets_for(request, membership)]


def make_layout(segment, keys) -> DashboardLayout:
    layout = DashboardLayout.objects.create(segment=segment)
    for order, key in enumerate(keys):
        DashboardLayoutItem.objects.create(layout=layout, widget=key, sort_order=order)
    return layout


@pytest.fixture
def segment(two_customers):
    segment = SegmentFactory(code="biznes")
    two_customers.a.customer.segments.add(segment)
    return segment


def test_without_a_layout_every_widget_shows_in_the_rooms_order(two_customers):
    keys = keys_for(two_customers.a.owner)
    assert {"customer_summary", "balance", "latest_invoices", "open_requests"} <= set(keys)
    assert keys.index("customer_summary") < keys.index("balance") < keys.index("latest_invoices")
    assert keys.index("latest_invoices") < keys.index("open_requests")


def test_a_segments_layout_chooses_and_orders_the_widgets(two_customers, segment):
    make_layout(segment, ["open_requests", "balance", "customer_summary"])
    assert keys_for(two_customers.a.owner) == ["open_requests", "balance", "customer_summary"]
    # customer B is not in the segment: its dashboard is the default one
    assert len(keys_for(two_customers.b.owner)) > 3


def test_a_widget_the_role_may_not_see_stays_hidden_even_in_the_layout(two_customers, segment):
    make_layout(segment, ["balance", "latest_invoices", "open_requests", "customer_summary"])
    assert keys_for(two_customers.a.technician) == ["open_requests", "customer_summary"]


def test_the_first_segment_by_name_with_a_layout_wins(two_customers):
    customer = two_customers.a.customer
    beta, alfa = SegmentFactory(code="beta"), SegmentFactory(code="alfa")
    customer.segments.add(beta, alfa)
    make_layout(beta, ["balance"])
    make_layout(alfa, ["service_points", "customer_summary"])
    assert keys_for(two_customers.a.owner) == ["service_points", "customer_summary"]
    # a layout without widgets counts as none
    DashboardLayoutItem.objects.filter(layout__segment=alfa).delete()
    assert keys_for(two_customers.a.owner) == ["balance"]


def test_the_layout_costs_one_query(two_customers, segment, django_assert_num_queries):
    make_layout(segment, ["balance", "customer_summary"])
    membership = memberships_of(two_customers.a.owner)[0]
    with django_assert_num_queries(1):
        assert layout_for(membership) == ["balance", "customer_summary"]
    membership_b = memberships_of(two_customers.b.owner)[0]
    with django_assert_num_queries(1):
        assert layout_for(membership_b) is None


def test_the_dashboard_page_follows_the_layout(client, home_page, two_customers, segment):
    make_layout(segment, ["open_requests", "customer_summary"])
    client.force_login(two_customers.a.owner)
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert 'id="widget-balance"' not in html
    assert html.index('id="widget-requests"') < html.index('id="widget-customer"')


def test_account_manager_widget_for_a_customer_that_has_one(client, home_page, two_customers):
    manager = UserFactory(
        email="opiekun@okienko.example.pl",
        first_name="Ewa",
        last_name="Opiekun",
        is_staff=True,
        mobile_phone="+48 600 100 200",
    )
    customer = two_customers.a.customer
    customer.account_manager = manager
    customer.save()
    assert "account_manager" in keys_for(two_customers.a.owner)
    assert "account_manager" not in keys_for(two_customers.b.owner)
    client.force_login(two_customers.a.billing)
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert 'id="widget-account-manager"' in html
    assert 'href="mailto:opiekun@okienko.example.pl"' in html
    assert 'href="tel:+48600100200"' in html


def test_staff_choose_widgets_from_the_known_keys(staff_client, two_customers, segment):
    url = reverse("wagtailsnippets_customers_dashboardlayout:add")
    page = staff_client.get(url).content.decode()
    for key, _label in KNOWN_WIDGETS:
        assert f'value="{key}"' in page

    def post(widget):
        return staff_client.post(
            url,
            {
                "segment": segment.pk,
                "items-TOTAL_FORMS": "1",
                "items-INITIAL_FORMS": "0",
                "items-MIN_NUM_FORMS": "1",
                "items-MAX_NUM_FORMS": "1000",
                "items-0-widget": widget,
                "items-0-ORDER": "1",
                "items-0-DELETE": "",
                "items-0-id": "",
            },
        )

    response = post("no_such_widget")
    assert response.status_code == 200
    assert not DashboardLayout.objects.exists()
    response = post("balance")
    assert response.status_code == 302
    assert list(segment.dashboard_layout.items.values_list("widget", flat=True)) == ["balance"]
