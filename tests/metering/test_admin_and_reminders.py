from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from metering.models import Meter, Reading, ReadingReminder
from metering.tasks import remind_reading_windows
from tests.factories import (
    MembershipFactory,
    MeterFactory,
    ReadingFactory,
    ReadingWindowFactory,
    ServicePointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(db):
    meter = MeterFactory()
    return ReadingFactory(
        register=meter.registers.get(),
        value=Decimal("5000"),
        source="customer",
        status="review",
        review_reason="za dużo",
        submitted_by=UserFactory(email="klient@example.pl"),
    )


def test_the_review_queue_lists_waiting_readings(staff_client, waiting):
    html = staff_client.get(reverse("metering_review_queue")).content.decode()
    assert reverse("metering_review", args=[waiting.pk]) in html
    assert "za dużo" in html


def test_staff_without_the_permission_are_refused(client, waiting):
    from django.contrib.auth.models import Permission

    from tests.conftest import verify_with_second_factor

    clerk = UserFactory(email="clerk@example.pl", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    verify_with_second_factor(client, clerk)
    # Wagtail answers a refused admin page with a redirect to the dashboard and a message.
    assert client.get(reverse("metering_review_queue"))["Location"] == "/admin/"
    response = client.post(reverse("metering_review", args=[waiting.pk]), {"decision": "accept"})
    assert response["Location"] == "/admin/"
    waiting.refresh_from_db()
    assert waiting.status == Reading.Status.REVIEW


def test_rejecting_without_a_reason_names_the_field(staff_client, waiting):
    response = staff_client.post(
        reverse("metering_review", args=[waiting.pk]), {"decision": "reject"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    waiting.refresh_from_db()
    assert waiting.status == Reading.Status.REVIEW


def test_staff_correct_a_reading_from_the_queue(
    staff_client, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("metering_review", args=[waiting.pk]), {"decision": "correct", "value": "4500"}
        )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.value, waiting.submitted_value) == ("accepted", 4500, 5000)
    assert mailoutbox[0].to == ["klient@example.pl"]


@pytest.fixture
def reminder_world(db):
    """A customer with two metered service points: an owner, a technician for the second,
    a billing-only user; a window opening today."""
    from django.utils import timezone

    today = timezone.localdate()
    owner = MembershipFactory(role="owner", user=UserFactory(email="owner@example.pl"))
    customer = owner.customer
    points = [ServicePointFactory(customer=customer) for _ in range(2)]
    for point in points:
        MeterFactory(service_point=point)
    technician = MembershipFactory(
        customer=customer, role="technical", user=UserFactory(email="tech@example.pl")
    )
    technician.service_points.set([points[1]])
    MembershipFactory(
        customer=customer, role="billing", user=UserFactory(email="billing@example.pl")
    )
    ReadingWindowFactory(start_day=today.day, end_day=today.day)
    # a customer without meters gets nothing
    MembershipFactory(role="owner", user=UserFactory(email="nometer@example.pl"))
    return customer


def test_a_reminder_goes_once_to_those_who_read_meters(
    reminder_world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_reading_windows() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["owner@example.pl", "tech@example.pl"]
    technician_mail = next(m for m in mailoutbox if m.to == ["tech@example.pl"])
    codes = [p.code for p in reminder_world.service_points.order_by("pk")]
    assert codes[1] in technician_mail.body and codes[0] not in technician_mail.body
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_reading_windows() == 0
    assert len(mailoutbox) == 2
    assert ReadingReminder.objects.count() == 1


def test_no_reminder_when_the_window_opened_earlier(db, mailoutbox):
    from django.utils import timezone

    today = timezone.localdate()
    MeterFactory(
        service_point=ServicePointFactory(customer=MembershipFactory(role="owner").customer)
    )
    ReadingWindowFactory(start_day=1 if today.day > 1 else 2, end_day=31)
    assert remind_reading_windows() == 0


def test_demo_meters_are_seeded_once(db, home_page):
    call_command("seed_demo", customers=2, verbosity=0)
    meters = Meter.objects.count()
    readings = Reading.objects.count()
    assert meters >= 9 and readings > 300
    household = Meter.objects.filter(service_point__customer__number="100001")
    assert {m.medium for m in household} == {"electricity", "gas", "cold_water"}
    assert household.get(medium="electricity").registers.count() == 2
    assert Meter.objects.filter(replaced_meter__isnull=False).exists()
    assert Reading.objects.filter(status="review").count() == 1
    call_command("seed_demo", customers=2, verbosity=0)
    assert (Meter.objects.count(), Reading.objects.count()) == (meters, readings)
    assert date.today() >= Reading.objects.order_by("-read_on").first().read_on


@pytest.mark.parametrize("model", ["meter", "reading", "readingwindow", "tariffprice"])
def test_staff_manage_metering_in_the_admin(staff_client, waiting, model):
    assert staff_client.get(f"/admin/snippets/metering/{model}/").status_code == 200
    assert staff_client.get(f"/admin/snippets/metering/{model}/add/").status_code == 200


def test_staff_add_a_reading_window_for_a_segment(staff_client):
    from metering.models import ReadingWindow
    from tests.factories import SegmentFactory

    vip = SegmentFactory(code="vip")
    response = staff_client.post(
        "/admin/snippets/metering/readingwindow/add/",
        {"name": "VIP", "start_day": "25", "end_day": "5", "segments": [vip.pk], "is_active": "on"},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert list(ReadingWindow.objects.get(name="VIP").segments.all()) == [vip]
