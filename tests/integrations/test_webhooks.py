"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: signed, retried, logged."""

import hashlib
import hmac
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.services import book_payment
from integrations.models import WebhookEndpoint
from metering.services import submit_readings
from metering.windows import state_on
from notifications import events
from notifications.models import Channel, Delivery
from notifications.tasks import MAX_ATTEMPTS, deliver, flush_outbox
from servicedesk import services as desk_services
from tests.billing.provider_stub import running_stub
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    MeterFactory,
    ReadingWindowFactory,
    complaint_type,
    monthly_readings,
)

pytestmark = pytest.mark.django_db

PATH = "/hooks/okienko"


@pytest.fixture
def receiver():
    with running_stub() as stub:
        stub.answer("POST", PATH, 200, {"ok": True})
        yield stub


def endpoint_for(receiver, events_=("*",), **kwargs) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name=kwargs.pop("name", "ERP"), url=receiver.base_url + PATH, events=list(events_), **kwargs
    )


def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    """The recipe of docs/webhooks.md, as a receiver would write it."""
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp = lowered["okienko-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest("v1=" + expected, lowered["okienko-signature"])


def emit_now(event, payload, capture):
    with capture(execute=True):
        events.emit(event, payload)


def webhook_rows():
    return Delivery.objects.filter(channel=Channel.WEBHOOK)


def test_a_subscribed_endpoint_receives_a_signed_event(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, ["request.created"])
    emit_now("request.created", {"reference": "ZG-1"}, django_capture_on_commit_callbacks)

    (call,) = receiver.calls_to("POST", PATH)
    assert call.header("Content-Type") == "application/json"
    assert call.header("Okienko-Event") == "request.created"
    delivery = webhook_rows().get()
    assert call.header("Okienko-Delivery") == delivery.key
    assert delivery.key.startswith(f"webhook:{endpoint.pk}:")
    assert verify(endpoint.secret, call.headers, call.body)
    assert not verify("another secret", call.headers, call.body)
    assert not verify(endpoint.secret, call.headers, call.body + b" ")
    body = call.json
    assert body["type"] == "request.created"
    assert body["data"] == {"reference": "ZG-1"}
    assert body["id"] == delivery.key.rsplit(":", 1)[1]
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 1, 200)


def test_an_old_timestamp_fails_the_documented_check(receiver, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(receiver)
    emit_now("payment.succeeded", {}, django_capture_on_commit_callbacks)
    (call,) = receiver.calls
    assert verify(endpoint.secret, call.headers, call.body)
    assert not verify(endpoint.secret, call.headers, call.body, tolerance=-1)


def test_a_500_is_retried_after_the_backoff_and_then_delivered(
    receiver, django_capture_on_commit_callbacks
):
    endpoint_for(receiver)
    receiver.answer("POST", PATH, 500, {"error": "busy"})
    emit_now("request.updated", {"reference": "ZG-2"}, django_capture_on_commit_callbacks)
    delivery = webhook_rows().get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert "500" in delivery.last_error
    assert delivery.not_before > timezone.now()

    assert deliver(delivery.pk) == "held"  # the backoff holds it back
    receiver.answer("POST", PATH, 200, {})
    Delivery.objects.filter(pk=delivery.pk).update(not_before=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_outbox() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 2, 200)
    calls = receiver.calls_to("POST", PATH)
    assert len(calls) == 2
    assert calls[0].body == calls[1].body  # the same event, the same id
    assert calls[0].header("Okienko-Delivery") == calls[1].header("Okienko-Delivery")


def test_a_receiver_that_always_fails_is_given_up_after_max_attempts(
    receiver, django_capture_on_commit_callbacks, staff_client
):
    endpoint = endpoint_for(receiver)
    receiver.answer("POST", PATH, 500, {})
    emit_now("reading.submitted", {}, django_capture_on_commit_callbacks)
    delivery = webhook_rows().get()
    for _ in range(MAX_ATTEMPTS - 1):
        Delivery.objects.filter(pk=delivery.pk).update(not_before=timezone.now())
        deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        "failed",
        MAX_ATTEMPTS,
        500,
    )
    assert len(receiver.calls) == MAX_ATTEMPTS
    assert deliver(delivery.pk) == "done or busy"
    assert len(receiver.calls) == MAX_ATTEMPTS

    response = staff_client.get(reverse("integrations_webhook_log", args=[endpoint.pk]))
    assert response.status_code == 200
    row = response.context["deliveries"][0]
    assert (row.status, row.attempts, row.response_code) == ("failed", MAX_ATTEMPTS, 500)
    assert b'data-status="failed"' in response.content


def test_a_network_error_counts_as_a_failed_attempt(django_capture_on_commit_callbacks):
    with running_stub() as stub:
        url = stub.base_url + PATH
    WebhookEndpoint.objects.create(name="Gone", url=url, events=["*"])  # nobody listens
    emit_now("consent.changed", {}, django_capture_on_commit_callbacks)
    delivery = webhook_rows().get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, None)
    assert "Connection" in delivery.last_error


def test_staff_redeliver_a_failed_or_sent_webhook(
    receiver, django_capture_on_commit_callbacks, staff_client
):
    endpoint = endpoint_for(receiver)
    emit_now("request.created", {}, django_capture_on_commit_callbacks)
    delivery = webhook_rows().get()
    assert delivery.status == "sent"
    url = reverse("integrations_webhook_redeliver", args=[endpoint.pk, delivery.pk])

    assert staff_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url)
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(receiver.calls) == 2


def test_redelivery_needs_the_change_permission(receiver, client, django_user_model):
    from django.contrib.auth.models import Permission

    from tests.conftest import verify_with_second_factor

    endpoint = endpoint_for(receiver)
    delivery = Delivery.objects.create(
        key=f"webhook:{endpoint.pk}:x",
        channel=Channel.WEBHOOK,
        category="account",
        to=endpoint.url,
        body="{}",
        status=Delivery.Status.FAILED,
        not_before=timezone.now(),
    )
    viewer = django_user_model.objects.create_user(email="v@example.pl", password="x")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_webhookendpoint"),
    )
    verify_with_second_factor(client, viewer)
    url = reverse("integrations_webhook_redeliver", args=[endpoint.pk, delivery.pk])
    assert client.post(url).status_code in (302, 403)  # Wagtail sends the refused home
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert client.get(reverse("integrations_webhook_log", args=[endpoint.pk])).status_code == 200


def test_a_rolled_back_change_sends_nothing(receiver, django_capture_on_commit_callbacks):
    endpoint_for(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                events.emit("payment.succeeded", {"amount": "10.00"})
                raise RuntimeError("the change fails")
        except RuntimeError:
            pass
    assert not webhook_rows().exists()
    assert receiver.calls == []


def test_inactive_and_unsubscribed_endpoints_hear_nothing(
    receiver, django_capture_on_commit_callbacks
):
    endpoint_for(receiver, ["payment.succeeded"], name="Billing")
    endpoint_for(receiver, ["*"], name="Off", is_active=False)
    emit_now("request.created", {}, django_capture_on_commit_callbacks)
    assert not webhook_rows().exists()


# Events from the real services ---------------------------------------------------------


@pytest.fixture
def two_endpoints():
    with running_stub() as subscribed, running_stub() as other:
        for stub in (subscribed, other):
            stub.answer("POST", PATH, 204, b"")
        yield subscribed, other


def subscribe(stubs, event):
    subscribed, other = stubs
    endpoint_for(subscribed, [event], name="Subscribed")
    endpoint_for(other, ["consent.changed"], name="Other")


def test_filing_a_request_reaches_the_subscribed_endpoint_once(
    two_endpoints, django_capture_on_commit_callbacks
):
    subscribe(two_endpoints, "request.created")
    owner = MembershipFactory(role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        request = desk_services.file_request(
            membership=owner, user=owner.user, request_type=complaint_type(), data={}
        )
    subscribed, other = two_endpoints
    (call,) = subscribed.calls
    data = call.json["data"]
    assert data["request"] == str(request.public_id)
    assert data["reference"] == request.reference
    assert data["customer"] == owner.customer.number
    assert str(request.pk) not in {str(v) for v in data.values()} or request.pk == 0
    assert other.calls == []


def test_a_request_update_is_an_event_of_its_own(two_endpoints, django_capture_on_commit_callbacks):
    subscribe(two_endpoints, "request.updated")
    owner = MembershipFactory(role="owner")
    request = desk_services.file_request(
        membership=owner, user=owner.user, request_type=complaint_type(), data={}
    )
    with django_capture_on_commit_callbacks(execute=True):
        desk_services.reply(request, author=owner.user, body="Dzień dobry", by_staff=False)
    subscribed, other = two_endpoints
    (call,) = subscribed.calls
    assert call.json["data"]["change"] == "reply"
    assert other.calls == []


def test_submitting_a_reading_reaches_the_subscribed_endpoint_once(
    two_endpoints, django_capture_on_commit_callbacks
):
    subscribe(two_endpoints, "reading.submitted")
    today = date(2026, 11, 22)
    owner = MembershipFactory(role="owner")
    meter = MeterFactory(service_point__customer=owner.customer)
    last = monthly_readings(meter, last=date(2026, 10, 28))
    with django_capture_on_commit_callbacks(execute=True):
        (reading,) = submit_readings(
            meter,
            {meter.registers.get(): last + 100},
            today,
            user=owner.user,
            window=state_on(ReadingWindowFactory(), today),
            customer=owner.customer,
            today=today,
        )
    subscribed, other = two_endpoints
    (call,) = subscribed.calls
    data = call.json["data"]
    assert data["meter"] == str(meter.public_id)
    assert data["readings"][0]["reading"] == str(reading.public_id)
    assert Decimal(data["readings"][0]["value"]) == last + 100
    assert other.calls == []


def test_booking_a_payment_reaches_the_subscribed_endpoint_once(
    two_endpoints, django_capture_on_commit_callbacks
):
    subscribe(two_endpoints, "payment.succeeded")
    customer = CustomerFactory()
    for _ in range(2):  # the same bank transfer booked twice is one payment, one event
        with django_capture_on_commit_callbacks(execute=True):
            payment = book_payment(
                customer=customer,
                amount=Decimal("123.45"),
                received_on=date(2026, 3, 2),
                kind="transfer",
                external_id="BANK-1",
            )
    subscribed, other = two_endpoints
    (call,) = subscribed.calls
    assert call.json["data"]["payment"] == str(payment.public_id)
    assert call.json["data"]["amount"] == "123.45"
    assert other.calls == []


def test_the_backoff_grows_between_attempts(receiver, django_capture_on_commit_callbacks):
    endpoint_for(receiver)
    receiver.answer("POST", PATH, 503, {})
    emit_now("request.created", {}, django_capture_on_commit_callbacks)
    delivery = webhook_rows().get()
    first = delivery.not_before - timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(not_before=timezone.now())
    deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.not_before - timezone.now() > first + timedelta(seconds=30)
    assert delivery.response_code == 503


# Admin ---------------------------------------------------------------------------------


def test_staff_add_an_endpoint_with_events_as_checkboxes(staff_client):
    url = reverse("wagtailsnippets_integrations_webhookendpoint:add")
    form = staff_client.get(url)
    assert b'type="checkbox" name="events" value="payment.succeeded"' in form.content
    response = staff_client.post(
        url,
        {
            "name": "ERP",
            "url": "https://erp.example.pl/hooks",
            "events": ["payment.succeeded", "request.created"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert sorted(endpoint.events) == ["payment.succeeded", "request.created"]
    assert len(endpoint.secret) > 30
    inspect = staff_client.get(
        reverse("wagtailsnippets_integrations_webhookendpoint:inspect", args=[endpoint.pk])
    )
    assert endpoint.secret.encode() in inspect.content
    listing = staff_client.get(reverse("wagtailsnippets_integrations_webhookendpoint:list"))
    log_url = reverse("integrations_webhook_log", args=[endpoint.pk])
    assert f'href="{log_url}"'.encode() in listing.content


def test_an_endpoint_without_events_or_with_a_bad_url_is_refused(staff_client):
    url = reverse("wagtailsnippets_integrations_webhookendpoint:add")
    response = staff_client.post(url, {"name": "ERP", "url": "ftp://x", "is_active": "on"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"url", "events"}
    assert not WebhookEndpoint.objects.exists()


def test_rotating_the_secret_signs_the_next_attempt_with_the_new_one(
    receiver, django_capture_on_commit_callbacks, staff_client
):
    endpoint = endpoint_for(receiver)
    old = endpoint.secret
    receiver.answer("POST", PATH, 500, {})
    emit_now("request.created", {}, django_capture_on_commit_callbacks)
    assert (
        staff_client.post(reverse("integrations_webhook_rotate", args=[endpoint.pk])).status_code
        == 302
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    receiver.answer("POST", PATH, 200, {})
    delivery = webhook_rows().get()
    Delivery.objects.filter(pk=delivery.pk).update(not_before=timezone.now())
    deliver(delivery.pk)
    first, second = receiver.calls
    assert verify(old, first.headers, first.body)
    assert verify(endpoint.secret, second.headers, second.body)
    assert not verify(old, second.headers, second.body)
