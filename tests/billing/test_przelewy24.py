"""Przelewy24: register and verify through a local Przelewy24 stand-in, signed notifications.

The expected signs here are our own, computed independently in the test: the JSON text
Przelewy24 documents is written out by hand (no json.dumps) and hashed with hashlib's
SHA-384. None of them is a published vector.
"""

import base64
import hashlib
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import OnlinePayment, Payment
from billing.providers import SignatureError, get_provider, przelewy24_client
from billing.providers.przelewy24 import Przelewy24Provider
from billing.providers.przelewy24_client import Przelewy24Error
from tests.billing.provider_stub import running_stub
from tests.factories import CustomerFactory

REGISTER_PATH = "/api/v1/transaction/register"
VERIFY_PATH = "/api/v1/transaction/verify"
MERCHANT_ID = 11111
POS_ID = 22222
API_KEY = "test-api-key-6a1f"
CRC = "test-crc-9b2e41c0"
P24_ORDER_ID = 316542153
RETURN_URL = "https://okienko.example.pl/konto/platnosci/1/"
NOTIFY_URL = "https://okienko.example.pl/payments/notify/przelewy24/"


def sha384(text: str) -> str:
    return hashlib.sha384(text.encode()).hexdigest()


@pytest.fixture
def p24_settings(settings):
    settings.PAYMENT_PROVIDERS = ["sandbox", "payu", "przelewy24"]
    settings.P24_MERCHANT_ID = MERCHANT_ID
    settings.P24_POS_ID = POS_ID
    settings.P24_API_KEY = API_KEY
    settings.P24_CRC = CRC
    return settings


@pytest.fixture
def p24_server(p24_settings, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with running_stub() as stub:
        p24_settings.P24_BASE_URL = stub.base_url
        stub.answer(
            "POST", REGISTER_PATH, 200, {"data": {"token": "TOKEN-5F2A"}, "responseCode": 0}
        )
        stub.answer("PUT", VERIFY_PATH, 200, {"data": {"status": "success"}, "responseCode": 0})
        yield stub


@pytest.fixture
def payment(db):
    customer = CustomerFactory(number="500123", email="jan.kowalski@example.pl")
    return OnlinePayment.objects.create(
        customer=customer, provider="przelewy24", amount=Decimal("123.45")
    )


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{POS_ID}:{API_KEY}".encode()).decode()


def start(payment):
    return get_provider("przelewy24").start(
        payment, return_url=RETURN_URL, notify_url=NOTIFY_URL, customer_ip="83.12.34.56"
    )


def test_start_registers_the_transaction_and_sends_the_customer_to_its_page(p24_server, payment):
    redirect_url = start(payment)

    assert redirect_url == f"{p24_server.base_url}/trnRequest/TOKEN-5F2A"
    session_id = str(payment.public_id)
    payment.refresh_from_db()
    assert payment.provider_order_id == session_id
    [call] = p24_server.calls
    assert (call.method, call.path) == ("POST", REGISTER_PATH)
    assert call.header("Authorization") == basic_auth()
    sent = call.json
    expected_sign = sha384(
        f'{{"sessionId":"{session_id}","merchantId":{MERCHANT_ID},"amount":12345,'
        f'"currency":"PLN","crc":"{CRC}"}}'
    )
    assert sent == {
        "merchantId": MERCHANT_ID,
        "posId": POS_ID,
        "sessionId": session_id,
        "amount": 12345,
        "currency": "PLN",
        "description": sent["description"],
        "email": "jan.kowalski@example.pl",
        "country": "PL",
        "language": sent["language"],
        "urlReturn": RETURN_URL,
        "urlStatus": NOTIFY_URL,
        "sign": expected_sign,
    }
    assert "500123" in sent["description"]
    assert sent["language"] in {"pl", "en"}


def test_pos_id_defaults_to_the_merchant_id(p24_settings, p24_server, payment):
    del p24_settings.P24_POS_ID
    start(payment)
    [call] = p24_server.calls
    assert call.json["posId"] == MERCHANT_ID
    expected = "Basic " + base64.b64encode(f"{MERCHANT_ID}:{API_KEY}".encode()).decode()
    assert call.header("Authorization") == expected


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (400, {"error": "Incorrect CRC value", "code": 400}),
        (401, {"error": "Incorrect authentication", "code": 401}),
        (200, {"data": {}, "responseCode": 0}),
    ],
)
def test_a_refused_registration_raises_and_saves_nothing(p24_server, payment, status, answer):
    p24_server.answer("POST", REGISTER_PATH, status, answer)
    with pytest.raises(Przelewy24Error):
        start(payment)
    payment.refresh_from_db()
    assert payment.provider_order_id == ""


def test_calls_carry_the_timeouts(p24_server, payment, monkeypatch):
    seen = []
    real_request = przelewy24_client.requests.request

    def recording_request(*args, **kwargs):
        seen.append(kwargs.get("timeout"))
        return real_request(*args, **kwargs)

    monkeypatch.setattr(przelewy24_client.requests, "request", recording_request)
    start(payment)
    get_provider("przelewy24").read_notification({}, notification_body(str(payment.public_id)))
    assert seen == [(5, 15), (5, 15)]


def test_przelewy24_is_offered_only_when_listed(p24_settings):
    p24_settings.PAYMENT_PROVIDERS = ["sandbox", "payu"]
    with pytest.raises(LookupError):
        get_provider("przelewy24")


# Notifications ---------------------------------------------------------------------


def notification_sign(
    session_id, *, amount=12345, statement="p24-A1B2-C3D4", crc=CRC, merchant_id=MERCHANT_ID
):
    return sha384(
        f'{{"merchantId":{merchant_id},"posId":{POS_ID},"sessionId":"{session_id}",'
        f'"amount":{amount},"originAmount":{amount},"currency":"PLN",'
        f'"orderId":{P24_ORDER_ID},"methodId":25,"statement":"{statement}","crc":"{crc}"}}'
    )


def notification_body(session_id, *, sign=None, statement="p24-A1B2-C3D4", **changes) -> bytes:
    fields = {
        "merchantId": MERCHANT_ID,
        "posId": POS_ID,
        "sessionId": session_id,
        "amount": 12345,
        "originAmount": 12345,
        "currency": "PLN",
        "orderId": P24_ORDER_ID,
        "methodId": 25,
        "statement": statement,
    }
    if sign is None:
        sign = notification_sign(session_id, statement=statement)
    # json.dumps escapes non-ASCII letters as \uXXXX: the sign is over the letters
    # themselves, so the provider must not hash the body as received.
    return json.dumps({**fields, "sign": sign, **changes}).encode()


def read(body):
    return get_provider("przelewy24").read_notification({}, body)


def test_a_verified_notification_is_paid_under_our_session_id(p24_server):
    session_id = "7f9c2ba4-e88f-4f5e-9a3b-1d2c3b4a5f6e"

    notification = read(notification_body(session_id))

    assert notification.order_id == session_id
    assert notification.paid is True
    assert notification.amount == Decimal("123.45")
    assert notification.currency == "PLN"
    [call] = p24_server.calls
    assert (call.method, call.path) == ("PUT", VERIFY_PATH)
    assert call.header("Authorization") == basic_auth()
    assert call.json == {
        "merchantId": MERCHANT_ID,
        "posId": POS_ID,
        "sessionId": session_id,
        "amount": 12345,
        "currency": "PLN",
        "orderId": P24_ORDER_ID,
        "sign": sha384(
            f'{{"sessionId":"{session_id}","orderId":{P24_ORDER_ID},"amount":12345,'
            f'"currency":"PLN","crc":"{CRC}"}}'
        ),
    }


def test_the_sign_is_over_polish_letters_and_slashes_as_they_are(p24_server):
    statement = "Opłata za prąd / 500123"
    assert read(notification_body("session-1", statement=statement)).paid is True


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(notification_body("session-1", sign="0" * 96), id="wrong sign"),
        pytest.param(
            notification_body("session-1", sign=notification_sign("session-1", crc="other")),
            id="another crc",
        ),
        pytest.param(notification_body("session-1", amount=1), id="amount changed"),
        pytest.param(
            notification_body("session-1", sign=notification_sign("session-2")), id="other order"
        ),
        pytest.param(b'{"sessionId": "session-1"}', id="fields missing"),
        pytest.param(b"not json", id="not json"),
    ],
)
def test_a_bad_notification_is_refused_without_verifying(p24_server, body):
    with pytest.raises(SignatureError):
        read(body)
    assert p24_server.calls == []


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (400, {"error": "Transaction not found", "code": 400}),
        (401, {"error": "Incorrect authentication", "code": 401}),
        (200, {"data": {"status": "failed"}, "responseCode": 0}),
        (200, {"responseCode": 0}),
    ],
)
def test_a_failed_verify_is_a_signature_error(p24_server, status, answer):
    p24_server.answer("PUT", VERIFY_PATH, status, answer)
    with pytest.raises(SignatureError, match="did not verify"):
        read(notification_body("session-1"))
    assert len(p24_server.calls_to("PUT", VERIFY_PATH)) == 1


def test_verify_przelewy24_cannot_answer_is_not_a_signature_error(p24_server):
    p24_server.answer("PUT", VERIFY_PATH, 503, {"error": "Service unavailable"})
    with pytest.raises(Przelewy24Error):
        read(notification_body("session-1"))


def test_a_notification_through_the_view_books_the_payment_once(client, p24_server, payment):
    payment.provider_order_id = str(payment.public_id)
    payment.save()
    body = notification_body(str(payment.public_id))
    url = reverse("payment_notification", args=["przelewy24"])

    def post():
        return client.post(url, body, content_type="application/json")

    assert post().content == b"booked"
    assert post().content == b"already done"
    assert Payment.objects.get().amount == Decimal("123.45")
    payment.refresh_from_db()
    assert payment.status == OnlinePayment.Status.PAID


def test_a_verify_failure_through_the_view_gets_400_and_books_nothing(client, p24_server, payment):
    payment.provider_order_id = str(payment.public_id)
    payment.save()
    p24_server.answer("PUT", VERIFY_PATH, 400, {"error": "Transaction not found", "code": 400})
    body = notification_body(str(payment.public_id))
    response = client.post(
        reverse("payment_notification", args=["przelewy24"]), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_provider_class_is_the_registered_one(p24_settings):
    assert isinstance(get_provider("przelewy24"), Przelewy24Provider)
