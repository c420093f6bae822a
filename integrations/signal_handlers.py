"""Receivers of domain events; connected in `IntegrationsConfig.ready()`."""

from .webhooks import queue_webhooks


def domain_event_to_webhooks(sender, *, event: str, payload: dict, **kwargs) -> None:
    """Each committed domain event becomes an outbox row per subscribed webhook endpoint."""
    queue_webhooks(event, payload)
