"""Przelewy24 REST API v1: every call to Przelewy24's servers, with timeouts.

Register a transaction, send the customer to /trnRequest/{token}, verify it once the
notification comes. Calls authenticate with HTTP basic auth (posId, API key); the CRC
key only ever goes into signatures.
"""

import hashlib
import json
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TIMEOUT = (5, 15)  # seconds: connect, read
SANDBOX_URL = "https://sandbox.przelewy24.pl"


class Przelewy24Error(Exception):
    """Przelewy24 refused the call or could not be reached."""


@dataclass(frozen=True)
class Przelewy24Config:
    base_url: str
    merchant_id: int
    pos_id: int
    api_key: str
    crc: str

    @classmethod
    def from_settings(cls) -> "Przelewy24Config":
        try:
            merchant_id = int(getattr(settings, "P24_MERCHANT_ID", 0) or 0)
            # Most accounts have one shop whose posId is the merchantId.
            pos_id = int(getattr(settings, "P24_POS_ID", None) or merchant_id)
        except (TypeError, ValueError) as error:
            raise ImproperlyConfigured("P24_MERCHANT_ID and P24_POS_ID are numbers") from error
        config = cls(
            base_url=str(getattr(settings, "P24_BASE_URL", SANDBOX_URL)).rstrip("/"),
            merchant_id=merchant_id,
            pos_id=pos_id,
            api_key=str(getattr(settings, "P24_API_KEY", "")),
            crc=str(getattr(settings, "P24_CRC", "")),
        )
        missing = [
            name
            for name, value in [
                ("P24_MERCHANT_ID", config.merchant_id),
                ("P24_API_KEY", config.api_key),
                ("P24_CRC", config.crc),
            ]
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(
                f"Przelewy24 is enabled but not configured: {', '.join(missing)}"
            )
        return config


def sign(fields: dict) -> str:
    """SHA-384 (hex) of the fields as compact JSON, in the order given, with the CRC last.

    Przelewy24 documents it as PHP's json_encode(..., JSON_UNESCAPED_UNICODE |
    JSON_UNESCAPED_SLASHES): no spaces, letters and slashes as they are.
    """
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha384(text.encode()).hexdigest()


def payment_page_url(config: Przelewy24Config, token: str) -> str:
    return f"{config.base_url}/trnRequest/{token}"


def _call(config: Przelewy24Config, method: str, path: str, payload: dict) -> requests.Response:
    try:
        return requests.request(
            method,
            f"{config.base_url}{path}",
            json=payload,
            auth=(str(config.pos_id), config.api_key),
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise Przelewy24Error(f"Przelewy24 could not be reached ({path}): {error}") from error


def _data(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}


def register_transaction(config: Przelewy24Config, transaction: dict) -> str:
    """Register a transaction (signed by the caller); returns the token for the payment page."""
    response = _call(config, "POST", "/api/v1/transaction/register", transaction)
    token = _data(response).get("token")
    if response.status_code != 200 or not token:
        raise Przelewy24Error(
            f"Przelewy24 refused the transaction: HTTP {response.status_code}, "
            f"{response.text[:200]}"
        )
    return str(token)


def verify_transaction(
    config: Przelewy24Config, *, session_id: str, order_id: int, amount: int, currency: str
) -> bool:
    """Confirm a notified transaction; only after this is the money ours.

    False when Przelewy24 answers that it does not verify; Przelewy24Error when it
    cannot be asked.
    """
    payload = {
        "merchantId": config.merchant_id,
        "posId": config.pos_id,
        "sessionId": session_id,
        "amount": amount,
        "currency": currency,
        "orderId": order_id,
        "sign": sign(
            {
                "sessionId": session_id,
                "orderId": order_id,
                "amount": amount,
                "currency": currency,
                "crc": config.crc,
            }
        ),
    }
    response = _call(config, "PUT", "/api/v1/transaction/verify", payload)
    if response.status_code >= 500:
        raise Przelewy24Error(f"Przelewy24 could not verify now: HTTP {response.status_code}")
    return response.status_code == 200 and _data(response).get("status") == "success"
