"""Sending what the outbox holds: each row once, retried with backoff, never twice."""

import contextlib
import hashlib
import hmac
import logging
from collections import defaultdict
from datetime import timedelta
from smtplib import SMTPException

import requests
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from . import events
from .models import Channel, Delivery
from .services import earliest_send
from .sms import SmsError, sms_backend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
DELIVER_BATCH = 500
"""Rows per `deliver_batch` task: one broker message sends this many."""
SEND_CHUNK = 10
"""Rows a batch locks, sends and records in one transaction: what a worker killed while
sending sends again when its task comes back (one row per transaction would cost twice
the time of a large fan-out; 100 rows, a hundred repeated messages per kill)."""
FLUSH_BATCH = 5000
"""Rows one run of `flush_outbox` hands out (it runs every minute)."""
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


def message_id(key: str) -> str:
    """The same Message-ID for every attempt of one notice.

    A worker killed after the mail server took a message but before the row was marked
    sent sends it again; with the same id, mailboxes that collapse repeated ids show it
    once.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{digest}@{domain}>"


def _send(delivery: Delivery, connection=None) -> str:
    """Send one row by its channel; an e-mail goes through `connection` when given (one
    SMTP session for a batch) and returns the provider's id where there is one."""
    if delivery.channel == Channel.WEBHOOK:
        return _post_webhook(delivery)
    if delivery.channel == Channel.SMS:
        return sms_backend().send(delivery.to, delivery.body).provider_id
    if connection is not None:
        connection.open()  # and kept open: `send` closes only a session it opened itself
    message = EmailMessage(
        delivery.subject,
        delivery.body,
        settings.DEFAULT_FROM_EMAIL,
        [delivery.to],
        headers={"X-Okienko-Delivery": delivery.key, "Message-ID": message_id(delivery.key)},
        connection=connection,
    )
    message.send()
    return ""


ATTEMPT_FIELDS = [
    "status",
    "sent_at",
    "attempts",
    "provider_id",
    "response_code",
    "last_error",
    "not_before",
]
"""What an attempt changes on a row, sent or not."""


def _attempt(delivery: Delivery, now, connection=None) -> bool:
    """Try to send a locked, due row and record the outcome on it (not saved): sent, or one
    more failed attempt held back for its backoff, or given up after MAX_ATTEMPTS."""
    try:
        delivery.provider_id = _send(delivery, connection)
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
            delivery.not_before = earliest_send(delivery.channel, now + backoff(delivery.attempts))
        return False
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = now
    delivery.attempts += 1
    return True


@shared_task(swept=True)
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
        sent = _attempt(delivery, now)
        delivery.save(update_fields=ATTEMPT_FIELDS)
    return "sent" if sent else "failed"


@shared_task(swept=True)
def deliver_batch(delivery_ids: list[int]) -> dict[str, int]:
    """Send many outbox rows in one task, each as `deliver` would: rows locked (another
    worker's are skipped), only the due ones, the same failure and backoff rules per row.

    Rows are locked, sent and recorded SEND_CHUNK at a time, so that a worker dying in
    the middle sends again at most one chunk when the task comes back, and the rest of
    the batch is not held locked meanwhile. The commit does not wait for PostgreSQL's
    disk: a crash of the database server (not of a worker) could forget the last
    moment's records and send those messages again, but never lose one. Returns how
    many were sent and failed.
    """
    outcome = {"sent": 0, "failed": 0}
    connection = get_connection()
    own_transactions = not db_connection.in_atomic_block
    try:
        for start in range(0, len(delivery_ids), SEND_CHUNK):
            now = timezone.now()
            with transaction.atomic():
                if own_transactions:
                    _commit_without_waiting_for_disk()
                rows = list(
                    Delivery.objects.select_for_update(skip_locked=True)
                    .due(now)
                    .filter(pk__in=delivery_ids[start : start + SEND_CHUNK])
                    .order_by("pk")
                )
                for delivery in rows:
                    if _attempt(delivery, now, connection):
                        outcome["sent"] += 1
                    else:
                        outcome["failed"] += 1
                        if delivery.channel == Channel.EMAIL:
                            _close(connection)  # the next e-mail opens a fresh session
                _record(rows)
    finally:
        _close(connection)
    return outcome


def _commit_without_waiting_for_disk() -> None:
    """For the transaction running (never a caller's: only one the task began itself)."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _record(rows: list[Delivery]) -> None:
    """Save what the attempts did: the sent rows, alike but for the provider's answer, by
    one UPDATE per answer (one in all for e-mail); a failed row, rare, by itself."""
    sent = defaultdict(list)
    for delivery in rows:
        if delivery.status == Delivery.Status.SENT:
            outcome = (delivery.sent_at, delivery.attempts, delivery.provider_id)
            sent[(*outcome, delivery.response_code)].append(delivery.pk)
        else:
            delivery.save(update_fields=ATTEMPT_FIELDS)
    for (sent_at, attempts, provider_id, response_code), ids in sent.items():
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.SENT,
            sent_at=sent_at,
            attempts=attempts,
            provider_id=provider_id,
            response_code=response_code,
        )


def _close(connection) -> None:
    """End a mail session that may be broken already; a failed goodbye is no failure."""
    with contextlib.suppress(OSError, SMTPException):
        connection.close()


@shared_task
def flush_outbox() -> int:
    """Hand every due row to `deliver_batch`: the ones whose backoff or quiet hours are
    over, and any a lost publish left behind (the broker was down at commit time).
    Returns how many rows were handed out."""
    ids = list(
        Delivery.objects.due(timezone.now())
        .order_by("not_before")
        .values_list("pk", flat=True)[:FLUSH_BATCH]
    )
    for start in range(0, len(ids), DELIVER_BATCH):
        deliver_batch.delay(ids[start : start + DELIVER_BATCH])
    return len(ids)
