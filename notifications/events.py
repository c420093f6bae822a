"""Domain events: what happened in a room, told to whoever listens, after the commit.

A room calls `emit("request.created", {...})` inside its service; listeners (outbound
webhooks in `integrations`) hear it only once the transaction commits, so a change that
is rolled back tells nobody. The payload is JSON: public UUIDs and references, never
internal primary keys.

`signers` is how the outbox signs what it sends without knowing who asked for it: a
channel's owner (integrations) registers a function that gives a delivery's secret.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import django.dispatch
from django.db import transaction

domain_event = django.dispatch.Signal()
"""Sent with `event` (a name such as "request.created") and `payload` (a JSON dict)."""

signers: dict[str, Callable[[object], str]] = {}
"""Per delivery-key prefix ("webhook"), a function Delivery → signing secret."""

EVENTS = (
    "request.created",
    "request.updated",
    "reading.submitted",
    "payment.succeeded",
    "change_request.created",
    "change_request.approved",
    "account.activated",
    "consent.changed",
)
"""Every event a room emits; webhook endpoints subscribe to some of them."""


def emit(event: str, payload: dict) -> None:
    """Tell listeners that `event` happened, once the current transaction commits."""
    data = {key: _plain(value) for key, value in payload.items()}
    transaction.on_commit(
        lambda: domain_event.send(sender=None, event=event, payload=data), robust=True
    )


def _plain(value):
    """Values a service hands over as JSON: UUIDs and dates as text, money as a string."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
