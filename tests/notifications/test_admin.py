"""The outbox for staff: deliveries and consents to look at, failed deliveries sent again."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from notifications.models import Delivery
from notifications.services import queue, record_consent
from notifications.tasks import MAX_ATTEMPTS
from tests.conftest import verify_with_second_factor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LIST = "wagtailsnippets_notifications_delivery:list"


@pytest.fixture
def outbox(db):
    """A sent, a failed and a waiting delivery, and nothing else (a staff login's notice
    is cleared)."""
    Delivery.objects.all().delete()
    rows = {
        "sent": queue(
            key="a",
            channel="email",
            category="billing",
            to="ala@example.pl",
            subject="Faktura",
            body="b",
        ),
        "failed": queue(
            key="b", channel="sms", category="outages", to="600100200", subject="", body="Awaria"
        ),
        "waiting": queue(
            key="c",
            channel="email",
            category="readings",
            to="ola@example.pl",
            subject="Odczyt",
            body="b",
        ),
    }
    Delivery.objects.filter(pk=rows["sent"].pk).update(status="sent", attempts=1)
    Delivery.objects.filter(pk=rows["failed"].pk).update(
        status="failed", attempts=MAX_ATTEMPTS, last_error="SmsError: SMSAPI error 101"
    )
    return rows


def listed(response) -> set[str]:
    return {row.to for row in response.context["object_list"]}


def test_staff_list_filter_and_search_the_outbox(staff_client, outbox):
    url = reverse(LIST)
    assert listed(staff_client.get(url)) == {"ala@example.pl", "600100200", "ola@example.pl"}
    assert listed(staff_client.get(url, {"status": "failed"})) == {"600100200"}
    assert listed(staff_client.get(url, {"channel": "email"})) == {
        "ala@example.pl",
        "ola@example.pl",
    }
    assert listed(staff_client.get(url, {"category": "readings"})) == {"ola@example.pl"}
    assert listed(staff_client.get(url, {"q": "ala@"})) == {"ala@example.pl"}
    assert listed(staff_client.get(url, {"q": "Odczyt"})) == {"ola@example.pl"}


def test_the_outbox_is_read_only(staff_client, outbox):
    delivery = outbox["failed"]
    inspect = staff_client.get(
        reverse("wagtailsnippets_notifications_delivery:inspect", args=[delivery.pk])
    )
    assert inspect.status_code == 200
    assert "SMSAPI error 101" in inspect.content.decode()
    listing = staff_client.get(reverse(LIST)).content.decode()
    edit_url = reverse("wagtailsnippets_notifications_delivery:edit", args=[delivery.pk])
    assert edit_url not in listing
    for url in (
        reverse("wagtailsnippets_notifications_delivery:add"),
        edit_url,
        reverse("wagtailsnippets_notifications_delivery:delete", args=[delivery.pk]),
    ):
        assert staff_client.post(url, {"to": "x@example.pl"}).status_code in (302, 403)
    assert Delivery.objects.count() == 3
    assert Delivery.objects.get(pk=delivery.pk).to == "600100200"


def test_failed_deliveries_are_sent_again_with_their_attempts_kept(
    staff_client, outbox, django_capture_on_commit_callbacks, recorded_sms
):
    page = staff_client.get(reverse("notifications_failed"))
    assert page.status_code == 200
    assert f'data-delivery="{outbox["failed"].pk}"' in page.content.decode()
    assert f'data-delivery="{outbox["sent"].pk}"' not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("notifications_failed"),
            {"delivery": [outbox["failed"].pk, outbox["sent"].pk, "x"]},
        )
    assert response.status_code == 302
    failed = Delivery.objects.get(pk=outbox["failed"].pk)
    assert failed.attempts >= MAX_ATTEMPTS and failed.status in ("pending", "sent")
    assert Delivery.objects.get(pk=outbox["sent"].pk).attempts == 1


def test_all_failed_deliveries_at_once(staff_client, outbox):
    Delivery.objects.filter(pk=outbox["waiting"].pk).update(status="failed")
    staff_client.post(reverse("notifications_failed"), {"all": "1"})
    assert not Delivery.objects.filter(status="failed").exists()
    assert Delivery.objects.get(pk=outbox["failed"].pk).attempts == MAX_ATTEMPTS


def test_the_menu_and_the_dashboard_count_the_failed(staff_client, outbox):
    home = staff_client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="notifications-failed-section"' in home and 'data-count="1"' in home
    assert reverse("notifications_failed") in home
    Delivery.objects.update(status="sent")
    assert (
        'id="notifications-failed-section"'
        not in staff_client.get(reverse("wagtailadmin_home")).content.decode()
    )


def test_who_may_see_the_outbox_but_not_retry(client, outbox):
    clerk = UserFactory(email="clerk@example.pl", is_staff=True)
    group = Group.objects.create(name="Outbox readers")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_delivery"),
    )
    clerk.groups.add(group)
    verify_with_second_factor(client, clerk)
    assert client.get(reverse(LIST)).status_code == 200
    assert client.get(reverse("notifications_failed")).status_code in (302, 403)
    client.post(reverse("notifications_failed"), {"all": "1"})
    assert Delivery.objects.get(pk=outbox["failed"].pk).status == "failed"


def test_consents_are_listed_with_their_text(staff_client):
    person = UserFactory(email="zgoda@example.pl")
    consent = record_consent(
        person, given=True, text="Zgadzam się na oferty", ip_address="203.0.113.1"
    )
    listing = staff_client.get(reverse("wagtailsnippets_notifications_consent:list"))
    assert "zgoda@example.pl" in listing.content.decode()
    assert staff_client.get(listing.wsgi_request.path, {"q": "zgoda"}).context["object_list"]
    inspect = staff_client.get(
        reverse("wagtailsnippets_notifications_consent:inspect", args=[consent.pk])
    )
    assert "Zgadzam się na oferty" in inspect.content.decode()


def test_the_personal_data_export_holds_choices_consents_and_notices(db):
    from wagtail import hooks

    person = UserFactory(email="eksport@example.pl", mobile_phone="600100200")
    record_consent(person, given=True, text="Zgoda")
    queue(
        key="e",
        channel="email",
        category="billing",
        to=person.email,
        subject="S",
        body="b",
        user=person,
    )
    (entries,) = [
        fn(person)
        for fn in hooks.get_hooks("personal_data_export")
        if fn.__module__ == "notifications.wagtail_hooks"
    ]
    data = entries["notifications.json"]
    assert data["mobile_phone"] == "600100200"
    assert [c["text"] for c in data["consents"]] == ["Zgoda"]
    assert [d["subject"] for d in data["deliveries"]] == ["S"]
