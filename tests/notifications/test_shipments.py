"""Shipments: recorded once, the customer's users told with the carrier's tracking link."""

from datetime import date

import pytest
from django.urls import reverse

from customers.models import Shipment
from customers.shipment_services import record_shipment, tracking_url
from notifications.models import Delivery
from tests.factories import MembershipFactory, ServicePointFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("carrier", "url"),
    [
        ("inpost", "https://inpost.pl/sledzenie-przesylek?number=6200%2F11%2022"),
        ("poczta_polska", "https://emonitoring.poczta-polska.pl/?numer=6200%2F11%2022"),
        ("dpd", "https://tracktrace.dpd.com.pl/parcelDetails?typ=1&p1=6200%2F11%2022"),
        ("dhl", "https://www.dhl.com/pl-pl/home/sledzenie.html?tracking-id=6200%2F11%2022"),
        ("other", ""),
    ],
)
def test_each_carrier_has_its_tracking_page_and_the_number_is_encoded(carrier, url):
    assert tracking_url(carrier, " 6200/11 22 ") == url


@pytest.fixture
def customer_with_users(db):
    owner = MembershipFactory(role="owner", user=UserFactory(email="owner@example.pl"))
    customer = owner.customer
    technician = MembershipFactory(
        customer=customer, role="technical", user=UserFactory(email="tech@example.pl")
    )
    technician.service_points.set([ServicePointFactory(customer=customer)])
    MembershipFactory(
        customer=customer,
        role="billing",
        user=UserFactory(email="left@example.pl"),
        status="revoked",
    )
    MembershipFactory(role="owner", user=UserFactory(email="stranger@example.pl"))
    return customer


def test_a_shipment_is_recorded_once_and_its_users_are_told(
    customer_with_users, mailoutbox, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            shipment = record_shipment(
                customer_with_users,
                Shipment.Carrier.INPOST,
                "620111222",
                "Nowy licznik",
                date(2026, 11, 2),
                external_id="ERP-S-1",
            )
    assert Shipment.objects.get() == shipment
    assert sorted(m.to[0] for m in mailoutbox) == ["owner@example.pl", "tech@example.pl"]
    body = mailoutbox[0].body
    assert "https://inpost.pl/sledzenie-przesylek?number=620111222" in body
    assert "http://testserver/account/shipments/" in body
    assert set(Delivery.objects.values_list("category", flat=True)) == {"messages"}


def test_without_an_erp_key_every_report_is_a_shipment(customer_with_users):
    for _ in range(2):
        record_shipment(customer_with_users, "dpd", "X1", "List", date(2026, 11, 2))
    assert Shipment.objects.count() == 2


def test_a_user_with_sms_for_messages_gets_a_short_text(
    customer_with_users, django_capture_on_commit_callbacks
):
    from notifications.services import set_preferences

    owner = customer_with_users.memberships.get(role="owner").user
    owner.mobile_phone = "600100200"
    owner.save()
    set_preferences(
        owner,
        {("messages", "email"): False, ("messages", "sms"): True, ("outages", "email"): True},
    )
    record_shipment(customer_with_users, "dhl", "JD0001", "Umowa", date(2026, 11, 2))
    sms = Delivery.objects.get(channel="sms")
    assert sms.to == "600100200"
    assert "https://www.dhl.com/pl-pl/home/sledzenie.html?tracking-id=JD0001" in sms.body
    assert len(sms.body) <= 160


def test_staff_adding_a_shipment_in_the_admin_tells_the_customer(
    staff_client, customer_with_users, django_capture_on_commit_callbacks, mailoutbox
):
    add_url = reverse("wagtailsnippets_customers_shipment:add")
    assert staff_client.get(add_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            add_url,
            {
                "customer": customer_with_users.pk,
                "carrier": "poczta_polska",
                "tracking_number": "PX 123",
                "description": "Aneks do umowy",
                "sent_on": "2026-11-02",
                "external_id": "",
            },
        )
    assert response.status_code == 302
    shipment = Shipment.objects.get()
    assert (shipment.tracking_number, shipment.external_id) == ("PX 123", None)
    assert len(mailoutbox) == 2
    assert "https://emonitoring.poczta-polska.pl/?numer=PX%20123" in mailoutbox[0].body
    listing = staff_client.get(reverse("wagtailsnippets_customers_shipment:list"))
    assert "PX 123" in listing.content.decode()


def test_a_duplicate_erp_key_is_refused_under_its_field(staff_client, customer_with_users):
    record_shipment(customer_with_users, "dpd", "X1", "List", date(2026, 11, 2), external_id="E1")
    response = staff_client.post(
        reverse("wagtailsnippets_customers_shipment:add"),
        {
            "customer": customer_with_users.pk,
            "carrier": "dpd",
            "tracking_number": "X2",
            "description": "List",
            "sent_on": "2026-11-02",
            "external_id": "E1",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["external_id"]
    assert Shipment.objects.count() == 1
