"""PayU (REST API v2.1): a hosted payment page and signed status notifications.

PayU notifies every status change of an order. COMPLETED is paid, CANCELED and
REJECTED are not; PENDING and WAITING_FOR_CONFIRMATION are steps on the way and raise
NotFinal, which the caller answers with 200 so that PayU stops repeating them.
"""

import hmac
import json

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import NotFinal, Notification, SignatureError
from .amounts import from_grosze, to_grosze
from .payu_client import (
    SIGNATURE_ALGORITHMS,
    PayUConfig,
    PayUError,
    canonical_algorithm,
    create_order,
    notification_signature,
)

__all__ = ["NotFinal", "PayUError", "PayUProvider"]

SIGNATURE_HEADERS = ("openpayu-signature", "x-openpayu-signature")
PAID = {"COMPLETED"}
NOT_PAID = {"CANCELED", "REJECTED"}
NOT_FINAL = {"PENDING", "WAITING_FOR_CONFIRMATION", "NEW"}


def _signature_header(headers: dict) -> str:
    lowered = {str(key).lower(): value for key, value in headers.items()}
    for name in SIGNATURE_HEADERS:
        if lowered.get(name):
            return str(lowered[name])
    return ""


def _header_fields(header: str) -> dict[str, str]:
    """`sender=checkout;signature=…;algorithm=MD5;content=DOCUMENT` as a dict."""
    fields = {}
    for part in header.split(";"):
        name, _sep, value = part.partition("=")
        fields[name.strip().lower()] = value.strip()
    return fields


class PayUProvider:
    name = "payu"

    def start(self, payment, *, return_url: str, notify_url: str, customer_ip: str) -> str:
        config = PayUConfig.from_settings()
        total = str(to_grosze(payment.amount))
        customer = payment.customer
        description = _("Payment for customer account %(number)s") % {"number": customer.number}
        order = {
            "notifyUrl": notify_url,
            "continueUrl": return_url,
            "customerIp": customer_ip,
            "merchantPosId": config.pos_id,
            "description": description,
            "currencyCode": payment.currency,
            "totalAmount": total,
            "extOrderId": str(payment.public_id),
            "products": [{"name": description, "unitPrice": total, "quantity": "1"}],
        }
        if customer.email:
            language = "pl" if (get_language() or "pl").startswith("pl") else "en"
            order["buyer"] = {"email": customer.email, "language": language}
        order_id, redirect_url = create_order(config, order)
        payment.provider_order_id = order_id
        payment.save(update_fields=["provider_order_id"])
        return redirect_url

    def read_notification(self, headers: dict, body: bytes) -> Notification:
        config = PayUConfig.from_settings()
        fields = _header_fields(_signature_header(headers))
        signature = fields.get("signature", "")
        if not signature:
            raise SignatureError("PayU notification without a signature")
        algorithm = canonical_algorithm(fields.get("algorithm", ""))
        if algorithm not in SIGNATURE_ALGORITHMS or algorithm != config.signature_algorithm:
            raise SignatureError(f"PayU signature algorithm {algorithm!r} is not ours")
        expected = notification_signature(config, body).encode()
        if not hmac.compare_digest(expected, signature.lower().encode()):
            raise SignatureError("PayU signature does not match")
        try:
            data = json.loads(body)
            if "refund" in data and "order" not in data:
                raise NotFinal("PayU refund notification: refunds are not handled here")
            order = data["order"]
            status = str(order["status"])
            if status in NOT_FINAL:
                raise NotFinal(f"PayU order {order['orderId']} is {status}")
            if status not in PAID | NOT_PAID:
                raise SignatureError(f"unknown PayU status {status!r}")
            return Notification(
                order_id=str(order["orderId"]),
                paid=status in PAID,
                amount=from_grosze(order["totalAmount"]),
                currency=str(order["currencyCode"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise SignatureError(f"malformed PayU notification: {error}") from error
