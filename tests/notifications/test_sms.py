"""The SMSAPI.pl adapter against a local server speaking its protocol, and through the outbox."""

import time

import pytest

from notifications.models import Delivery
from notifications.services import queue
from notifications.sms import ConsoleSmsBackend, SmsApiBackend, SmsError, international_number
from notifications.tasks import deliver
from tests.notifications.smsapi_stub import UNAUTHORIZED, running_smsapi


@pytest.fixture
def smsapi(settings):
    with running_smsapi() as stub:
        settings.SMSAPI_URL = stub.url
        settings.SMSAPI_TOKEN = "token-0123456789"
        settings.SMSAPI_SENDER = "Okienko"
        settings.SMSAPI_TIMEOUT = (1, 1)
        yield stub


def test_a_message_is_posted_with_the_bearer_token_and_its_fields(smsapi):
    result = SmsApiBackend().send("+48 600 100 200", "Przerwa w dostawie jutro 8–12, ul. Żółta")

    assert result.provider_id == "6710D4A63364373AFB7A6E5F"
    (call,) = smsapi.calls
    assert call.path == "/sms.do"
    assert call.header("Authorization") == "Bearer token-0123456789"
    assert call.header("Content-Type") == "application/x-www-form-urlencoded"
    assert call.fields == {
        "to": "48600100200",
        "message": "Przerwa w dostawie jutro 8–12, ul. Żółta",
        "from": "Okienko",
        "format": "json",
        "encoding": "utf-8",
    }


def test_no_sender_field_without_a_registered_sender(smsapi, settings):
    settings.SMSAPI_SENDER = ""
    SmsApiBackend().send("600 100 200", "x")
    assert "from" not in smsapi.calls[0].fields


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("600 100 200", "48600100200"),
        ("600-100-200", "48600100200"),
        ("+48 600 100 200", "48600100200"),
        ("+420 601 123 456", "420601123456"),
    ],
)
def test_numbers_go_out_with_the_country_code(typed, sent):
    assert international_number(typed) == sent


@pytest.mark.parametrize("status", [200, 401])
def test_a_refusal_is_an_error_with_the_gateways_code(smsapi, status):
    smsapi.status, smsapi.answer = status, UNAUTHORIZED
    with pytest.raises(SmsError, match="101: Authorization failed"):
        SmsApiBackend().send("600100200", "x")


@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        (502, b"<html>Bad gateway</html>", "without JSON"),
        (200, {"count": 0, "list": []}, "without a message id"),
        (200, [1, 2], "with"),
    ],
)
def test_a_strange_answer_is_an_error(smsapi, status, answer, message):
    smsapi.status, smsapi.answer = status, answer
    with pytest.raises(SmsError, match=message):
        SmsApiBackend().send("600100200", "x")


def test_a_gateway_that_does_not_answer_in_time_is_an_error(smsapi, settings):
    settings.SMSAPI_TIMEOUT = (1, 0.3)
    smsapi.delay = 2
    started = time.monotonic()
    with pytest.raises(SmsError, match="unreachable"):
        SmsApiBackend().send("600100200", "x")
    assert time.monotonic() - started < 1.5


def test_an_unreachable_gateway_is_an_error(settings):
    settings.SMSAPI_URL = "http://127.0.0.1:9/sms.do"  # discard port: nobody listens
    settings.SMSAPI_TOKEN = "t"
    with pytest.raises(SmsError, match="unreachable"):
        SmsApiBackend().send("600100200", "x")


def test_the_console_backend_only_logs(caplog):
    caplog.set_level("INFO", logger="notifications.sms")
    assert ConsoleSmsBackend().send("600100200", "Test").provider_id == "console"
    assert "SMS to 600100200: Test" in caplog.text


@pytest.mark.django_db
def test_the_outbox_stores_the_gateways_id_or_its_refusal(smsapi, settings):
    settings.SMS_BACKEND = "notifications.sms.SmsApiBackend"
    sent = queue(key="a", channel="sms", category="outages", to="600100200", subject="", body="x")
    refused = queue(
        key="b", channel="sms", category="outages", to="600100201", subject="", body="y"
    )
    Delivery.objects.update(not_before=sent.created_at)

    assert deliver(sent.pk) == "sent"
    smsapi.status, smsapi.answer = 401, UNAUTHORIZED
    assert deliver(refused.pk) == "failed"

    sent.refresh_from_db()
    refused.refresh_from_db()
    assert (sent.status, sent.provider_id) == ("sent", "6710D4A63364373AFB7A6E5F")
    assert (refused.status, refused.attempts) == ("pending", 1)
    assert refused.last_error == "SmsError: SMSAPI error 101: Authorization failed"
    assert [c.fields["to"] for c in smsapi.calls] == ["48600100200", "48600100201"]
