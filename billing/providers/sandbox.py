"""The built-in sandbox: the same flow as a real provider, for the demo and tests.

Its "payment page" is ours (/payments/sandbox/<id>/); paying or failing there sends a
notification signed with HMAC-SHA256 over the raw body, checked like a real one.
"""

import hashlib
import hmac
import json
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from . import Notification, SignatureError

SIGNATURE_HEADER = "X-Sandbox-Signature"


def sign(body: bytes) -> str:
    return hmac.new(settings.SANDBOX_PAYMENT_KEY.encode(), body, hashlib.sha256).hexdigest()


def notification_body(order_id: str, paid: bool, amount: Decimal, currency: str) -> bytes:
    """What the sandbox sends back: amounts in grosze, as real providers send them."""
    return json.dumps(
        {
            "orderId": order_id,
            "status": "COMPLETED" if paid else "CANCELED",
            "totalAmount": str(int(amount * 100)),
            "currencyCode": currency,
        },
        separators=(",", ":"),
    ).encode()


class SandboxProvider:
    name = "sandbox"

    def start(self, payment, *, return_url: str, notify_url: str, customer_ip: str) -> str:
        payment.provider_order_id = f"SANDBOX-{payment.public_id}"
        payment.save(update_fields=["provider_order_id"])
        return reverse("sandbox_payment_page", args=[payment.public_id])

    def read_notification(self, headers: dict, body: bytes) -> Notification:
        signature = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(sign(body), signature):
            raise SignatureError("sandbox signature does not match")
        try:
            data = json.loads(body)
            return Notification(
                order_id=str(data["orderId"]),
                paid=data["status"] == "COMPLETED",
                amount=Decimal(data["totalAmount"]) / 100,
                currency=str(data["currencyCode"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise SignatureError(f"malformed notification: {error}") from error
