"""Sending what the outbox holds: each row once, retried with backoff, never twice."""

import hashlib
import hmac
import logging
from datetime import timedelta
from smtplib import SMTPException

import requests
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from . import events
from .models import Channel, Delivery
from .services import earliest_send
from .sms import SmsError, sms_backend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FLUSH_BATCH = 500
WEBHOOK_TIMEOUT = (3.05, 10)
"""Seconds to connect and to read: a slow receiver fails this attempt, not the worker."""


class WebhookRefused(Exception):
    """The receiver answered, but not with a 2xx."""


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, at most six hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def webhook_signature(secret: str, timestamp: int, body: str) -> str:
    """`v1=` and the hex HMAC-SHA256 of "<timestamp>.<body>" under the endpoint's secret."""
    message = f"{timestamp}.{body}".encode()
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _post_webhook(delivery: Delivery) -> str:
    """POST the JSON body, signed; any answer but a 2xx is a failed attempt."""
    signer = events.signers.get(delivery.key.split(":", 1)[0])
    if signer is None:
        raise WebhookRefused("no signer registered for this webhook")
    timestamp = int(timezone.now().timestamp())
    delivery.response_code = None
    response = requests.post(
        delivery.to,
        data=delivery.body.encode(),
        headers={
            "Content-Type": "application/json",
            "Okienko-Event": delivery.subject,
            "Okienko-Delivery": delivery.key,
            "Okienko-Timestamp": str(timestamp),
            "Okienko-Signature": webhook_signature(signer(delivery), timestamp, delivery.body),
        },
        timeout=WEBHOOK_TIMEOUT,
        allow_redirects=False,
    )
    delivery.response_code = response.status_code
    if not 200 <= response.status_code < 300:
        raise WebhookRefused(f"HTTP {response.status_code}: {response.text[:200]}")
    return ""


def _send(delivery: Delivery) -> str:
    if delivery.channel == Channel.WEBHOOK:
        return _post_webhook(delivery)
    if delivery.channel == Channel.SMS:
        return sms_backend().send(delivery.to, delivery.body).provider_id
    message = EmailMessage(
        delivery.subject,
        delivery.body,
        settings.DEFAULT_FROM_EMAIL,
        [delivery.to],
        headers={"X-Okienko-Delivery": delivery.key},
    )
    message.send()
    return ""


@shared_task
def deliver(delivery_id: int) -> str:
    """Send one outbox row. The row lock keeps two workers from sending it both; a row
    sent already, or held back (quiet hours, backoff), is left alone."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return "done or busy"
        if delivery.not_before > now:
            return "held"
        try:
            delivery.provider_id = _send(delivery)
        except Exception as error:
            # A gateway's refusal is expected now and then; anything else is a fault that
            # must not leave the row waiting for ever, so it counts as an attempt as well.
            if not isinstance(error, OSError | SMTPException | SmsError | WebhookRefused):
                logger.exception("Delivery %s could not be sent", delivery.pk)
            delivery.attempts += 1
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
                logger.warning("Delivery %s failed %d times; given up", delivery.pk, MAX_ATTEMPTS)
            else:
                delivery.not_before = earliest_send(
                    delivery.channel, now + backoff(delivery.attempts)
                )
            delivery.save(
                update_fields=["attempts", "last_error", "status", "not_before", "response_code"]
            )
            return "failed"
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = now
        delivery.attempts += 1
        delivery.save(
            update_fields=["status", "sent_at", "attempts", "provider_id", "response_code"]
        )
    return "sent"


@shared_task
def flush_outbox() -> int:
    """Hand every due row to `deliver`: the ones whose backoff or quiet hours are over, and
    any a lost publish left behind (the broker was down at commit time)."""
    ids = list(
        Delivery.objects.due(timezone.now())
        .order_by("not_before")
        .values_list("pk", flat=True)[:FLUSH_BATCH]
    )
    for delivery_id in ids:
        deliver.delay(delivery_id)
    return len(ids)
