"""Przelewy24 (REST API v1): a hosted payment page, a signed notification, then verify.

Przelewy24 notifies only payments the customer made; the money is ours once our
verify call succeeds, so the notification counts as paid only after that.
"""

import hmac
import json

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import Notification, SignatureError
from .amounts import from_grosze, to_grosze
from .przelewy24_client import (
    Przelewy24Config,
    Przelewy24Error,
    payment_page_url,
    register_transaction,
    sign,
    verify_transaction,
)

__all__ = ["Przelewy24Error", "Przelewy24Provider"]

# The notification's fields in the order Przelewy24 signs them (the CRC goes last).
NOTIFICATION_FIELDS = (
    "merchantId",
    "posId",
    "sessionId",
    "amount",
    "originAmount",
    "currency",
    "orderId",
    "methodId",
    "statement",
)


def _whole_number(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not a whole number: {value!r}")
    return value


class Przelewy24Provider:
    name = "przelewy24"

    def start(self, payment, *, return_url: str, notify_url: str, customer_ip: str) -> str:
        config = Przelewy24Config.from_settings()
        session_id = str(payment.public_id)
        amount = to_grosze(payment.amount)
        customer = payment.customer
        transaction = {
            "merchantId": config.merchant_id,
            "posId": config.pos_id,
            "sessionId": session_id,
            "amount": amount,
            "currency": payment.currency,
            "description": _("Payment for customer account %(number)s")
            % {"number": customer.number},
            "email": customer.email,
            "country": "PL",
            "language": "pl" if (get_language() or "pl").startswith("pl") else "en",
            "urlReturn": return_url,
            "urlStatus": notify_url,
            "sign": sign(
                {
                    "sessionId": session_id,
                    "merchantId": config.merchant_id,
                    "amount": amount,
                    "currency": payment.currency,
                    "crc": config.crc,
                }
            ),
        }
        token = register_transaction(config, transaction)
        payment.provider_order_id = session_id
        payment.save(update_fields=["provider_order_id"])
        return payment_page_url(config, token)

    def read_notification(self, headers: dict, body: bytes) -> Notification:
        config = Przelewy24Config.from_settings()
        try:
            data = json.loads(body)
            fields = {name: data[name] for name in NOTIFICATION_FIELDS}
            received = str(data["sign"])
        except (ValueError, KeyError, TypeError) as error:
            raise SignatureError(f"malformed Przelewy24 notification: {error}") from error
        expected = sign({**fields, "crc": config.crc}).encode()
        if not hmac.compare_digest(expected, received.lower().encode()):
            raise SignatureError("Przelewy24 signature does not match")
        if fields["merchantId"] != config.merchant_id or fields["posId"] != config.pos_id:
            raise SignatureError("Przelewy24 notification for another merchant")
        try:
            session_id = str(fields["sessionId"])
            order_id = _whole_number(fields["orderId"])
            amount = _whole_number(fields["amount"])
            currency = str(fields["currency"])
            notification = Notification(
                order_id=session_id, paid=True, amount=from_grosze(amount), currency=currency
            )
        except (ValueError, TypeError) as error:
            raise SignatureError(f"malformed Przelewy24 notification: {error}") from error
        verified = verify_transaction(
            config, session_id=session_id, order_id=order_id, amount=amount, currency=currency
        )
        if not verified:
            raise SignatureError(f"Przelewy24 did not verify order {order_id}")
        return notification
