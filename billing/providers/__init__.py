"""Online payment providers behind one interface.

A provider starts a payment (returns where to send the customer) and reads a
notification it sends back (checks its signature, says which order and how it ended).
Calls to providers' servers live in the provider's module, with timeouts.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings


class SignatureError(Exception):
    """A notification whose signature does not check out: answer 400, book nothing."""


class NotFinal(Exception):
    """A genuine notification of a step on the way (e.g. pending): answer 200, book nothing."""


@dataclass(frozen=True)
class Notification:
    order_id: str
    paid: bool
    amount: Decimal
    currency: str


class Provider(Protocol):
    name: str

    def start(self, payment, *, return_url: str, notify_url: str, customer_ip: str) -> str:
        """Register the payment at the provider; return the URL to send the customer to."""

    def read_notification(self, headers: dict, body: bytes) -> Notification:
        """Check the signature and parse; raise SignatureError when it does not hold."""


def get_provider(name: str) -> Provider:
    from .payu import PayUProvider
    from .przelewy24 import Przelewy24Provider
    from .sandbox import SandboxProvider

    providers = {
        "sandbox": SandboxProvider,
        "payu": PayUProvider,
        "przelewy24": Przelewy24Provider,
    }
    if name not in providers or name not in settings.PAYMENT_PROVIDERS:
        raise LookupError(f"Unknown or disabled payment provider: {name}")
    return providers[name]()
