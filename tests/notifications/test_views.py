"""The customer's notifications page and shipments page."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from customers.models import AuditEvent, Shipment
from notifications.forms import MARKETING_CONSENT_TEXT
from notifications.models import Category, Channel, Consent, Preference
from notifications.services import channels_for
from tests.factories import MembershipFactory, ServicePointFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/account/notifications/"


@pytest.fixture
def member(home_page):
    return MembershipFactory(role="read_only", user=UserFactory(email="ewa@example.pl"))


@pytest.fixture
def signed_in(client, member):
    client.force_login(member.user)
    return client


def grid(**overrides) -> dict[str, str]:
    """The form as a browser posts it: the defaults' boxes ticked, then `overrides`
    (field name → "on", or None to untick)."""
    data = {
        f"{category}__email": "on"
        for category in Category
        if category not in (Category.ACCOUNT, Category.MARKETING)
    }
    data["outages__sms"] = "on"
    data["mobile_phone"] = "+48 600 100 200"
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_the_page_is_in_the_menu_and_shows_the_grid(signed_in):
    response = signed_in.get(URL)
    assert response.status_code == 200
    assert reverse("customer:notifications") == URL
    assert URL in [item.url for item in response.context["account_menu"]]
    html = response.content.decode()
    for category in Category:
        assert f'id="category-{category}"' in html
    form = response.context["form"]
    assert form["account__email"].field.disabled and form["account__email"].value() is True
    assert form["billing__email"].value() is True
    assert form["outages__sms"].value() is False, "no phone, so no SMS shown ticked"
    assert form["marketing__email"].value() is False
    with translation.override("en"):
        english = signed_in.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert escape(str(MARKETING_CONSENT_TEXT)) in english


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_choices_and_the_phone_are_saved_and_audited(signed_in, member):
    response = signed_in.post(
        URL, grid(billing__sms="on", readings__email=None, account__email=None)
    )
    assert response.status_code == 302 and response["Location"] == URL
    user = member.user
    user.refresh_from_db()
    assert user.mobile_phone == "+48 600 100 200"
    assert channels_for(user, Category.BILLING) == {Channel.EMAIL, Channel.SMS}
    assert channels_for(user, Category.READINGS) == set()
    assert channels_for(user, Category.ACCOUNT) == {Channel.EMAIL}, "a disabled box stays on"
    assert channels_for(user, Category.OUTAGES) == {Channel.EMAIL, Channel.SMS}
    event = AuditEvent.objects.get(action=AuditEvent.Action.DATA_CHANGED, actor=user)
    assert event.customer == member.customer
    assert event.detail["change"] == "notification preferences"
    assert {"billing__sms", "readings__email", "mobile_phone"} <= set(event.detail["fields"])
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "error_id"),
    [
        (grid(mobile_phone=""), "mobile_phone", "id_mobile_phone_error"),
        (grid(mobile_phone="12345"), "mobile_phone", "id_mobile_phone_error"),
        (grid(outages__email=None, outages__sms=None), "outages__email", "category-outages_error"),
        (grid(messages__email=None), "messages__email", "category-messages_error"),
        (grid(marketing_consent="on"), "marketing_consent", "id_marketing_consent_error"),
    ],
    ids=[
        "sms-without-phone",
        "bad-phone",
        "outages-silenced",
        "messages-silenced",
        "consent-no-channel",
    ],
)
def test_bad_input_is_shown_under_its_field_and_changes_nothing(
    signed_in, member, data, field, error_id
):
    response = signed_in.post(URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="{error_id}"' in response.content.decode()
    member.user.refresh_from_db()
    assert member.user.mobile_phone == ""
    assert not Preference.objects.exists()
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DATA_CHANGED).exists()


def test_consent_is_given_and_withdrawn_with_its_text_time_and_address(signed_in, member):
    signed_in.post(
        URL, grid(marketing_consent="on", marketing__email="on"), REMOTE_ADDR="203.0.113.7"
    )
    consent = Consent.objects.get()
    assert consent.given and consent.ip_address == "203.0.113.7"
    assert consent.text == str(MARKETING_CONSENT_TEXT)
    assert channels_for(member.user, Category.MARKETING) == {Channel.EMAIL}
    page = signed_in.get(URL)
    assert page.context["form"]["marketing_consent"].value() is True
    assert 'id="consent-status" data-given="true"' in page.content.decode()
    since = timezone.localtime(consent.created_at).date().isoformat()
    assert f'data-since="{since}"' in page.content.decode()

    signed_in.post(URL, grid(marketing__email="on"), REMOTE_ADDR="203.0.113.8")
    assert list(Consent.objects.values_list("given", "ip_address")) == [
        (False, "203.0.113.8"),
        (True, "203.0.113.7"),
    ]
    assert channels_for(member.user, Category.MARKETING) == set()
    assert 'data-given="false"' in signed_in.get(URL).content.decode()
    events = AuditEvent.objects.filter(action=AuditEvent.Action.DATA_CHANGED).order_by("pk")
    assert [e.detail.get("consent") for e in events] == ["given", "withdrawn"]


def test_the_page_needs_a_fixed_number_of_queries(client, home_page):
    counts = []
    for preferences in (0, 12):
        member = MembershipFactory(role="owner")
        for n, category in enumerate(list(Category)[1:] * 2):
            if n < preferences:
                Preference.objects.update_or_create(
                    user=member.user,
                    category=category,
                    channel=Channel.values[n % 2],
                    defaults={"enabled": True},
                )
        client.force_login(member.user)
        client.get(URL)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# Shipments


@pytest.fixture
def shipments(member):
    other = MembershipFactory(role="owner")
    return {
        "ours": [
            Shipment.objects.create(
                customer=member.customer,
                carrier=Shipment.Carrier.INPOST,
                tracking_number="620 111/22",
                description="Nowy licznik",
                sent_on=date(2026, 11, 2),
            ),
            Shipment.objects.create(
                customer=member.customer,
                carrier=Shipment.Carrier.OTHER,
                tracking_number="K-1",
                description="Umowa do podpisu",
                sent_on=date(2026, 11, 1),
            ),
        ],
        "theirs": Shipment.objects.create(
            customer=other.customer,
            carrier=Shipment.Carrier.DPD,
            tracking_number="0000THEIRS",
            description="Cudzy list",
            sent_on=date(2026, 11, 3),
        ),
    }


def test_the_customer_sees_its_own_shipments_with_tracking_links(signed_in, shipments):
    response = signed_in.get(reverse("customer:shipments"))
    assert response.status_code == 200
    assert reverse("customer:shipments") in [i.url for i in response.context["account_menu"]]
    html = response.content.decode()
    assert html.index("Nowy licznik") < html.index("Umowa do podpisu"), "newest first"
    assert 'href="https://inpost.pl/sledzenie-przesylek?number=620%20111%2F22"' in html
    assert "K-1" in html and "0000THEIRS" not in html and "Cudzy list" not in html


def test_a_member_limited_to_a_service_point_sees_the_customers_shipments(
    client, shipments, member
):
    technician = MembershipFactory(customer=member.customer, role="technical")
    technician.service_points.set([ServicePointFactory(customer=member.customer)])
    client.force_login(technician.user)
    assert "Nowy licznik" in client.get(reverse("customer:shipments")).content.decode()
