"""Outbound webhooks: which endpoints hear an event, the outbox rows, the signing secret."""

import json
import uuid

from django.utils import timezone

from notifications.models import Category, Channel, Delivery
from notifications.services import queue

from .models import WebhookEndpoint

KEY_PREFIX = "webhook"


def endpoint_id(delivery: Delivery) -> int | None:
    """The endpoint a webhook delivery goes to, read from its key `webhook:<pk>:<event id>`."""
    prefix, _, rest = delivery.key.partition(":")
    pk = rest.partition(":")[0]
    return int(pk) if prefix == KEY_PREFIX and pk.isdigit() else None


def webhook_secret(delivery: Delivery) -> str:
    """The signing secret of the delivery's endpoint, as it is now (a rotation applies to
    retries as well)."""
    return WebhookEndpoint.objects.values_list("secret", flat=True).get(pk=endpoint_id(delivery))


def subscribers(event: str) -> list[WebhookEndpoint]:
    """Active endpoints that listen for `event` (or for everything, "*")."""
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True)
        if event in endpoint.events or "*" in endpoint.events
    ]


def queue_webhooks(event: str, payload: dict) -> list[Delivery]:
    """One signed POST per subscribed endpoint, written to the outbox with one event id."""
    endpoints = subscribers(event)
    if not endpoints:
        return []
    event_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "id": event_id,
            "type": event,
            "created_at": timezone.now().isoformat(),
            "data": payload,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    deliveries = []
    for endpoint in endpoints:
        delivery = queue(
            key=f"{KEY_PREFIX}:{endpoint.pk}:{event_id}",
            channel=Channel.WEBHOOK,
            category=Category.ACCOUNT,
            to=endpoint.url,
            subject=event,
            body=body,
        )
        if delivery:
            deliveries.append(delivery)
    return deliveries
