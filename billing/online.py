"""Online payments: the customer chooses what to pay, the provider says how it ended.

Notifications are idempotent: whatever a provider sends, however often or at once,
one payment is booked per order and its payer is told once; a wrong amount or currency
books nothing.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Ability
from customers.notification_hooks import recipients
from notifications.models import Category
from notifications.services import absolute_url, notify

from .models import AdvanceInstalment, Invoice, OnlinePayment, Payment
from .providers import Notification, get_provider
from .services import book_payment, round_money

logger = logging.getLogger(__name__)


class PaymentRefused(Exception):
    """The notification does not match the payment (amount, currency, unknown order)."""


@transaction.atomic
def start_online_payment(
    *,
    membership,
    user,
    invoices: list[Invoice],
    instalments: list[AdvanceInstalment],
    amount: Decimal | None,
    provider_name: str,
    return_url_for,
    notify_url: str,
    customer_ip: str,
) -> tuple[OnlinePayment, str]:
    """Record what is paid for and hand over to the provider; returns where to redirect."""
    open_total = round_money(
        sum((i.open_amount for i in invoices), Decimal("0"))
        + sum((i.open_amount for i in instalments), Decimal("0"))
    )
    amount = round_money(amount) if amount is not None else open_total
    if amount <= 0:
        raise ValueError("Nothing to pay.")
    payment = OnlinePayment.objects.create(
        customer=membership.customer,
        created_by=user,
        provider=provider_name,
        amount=amount,
    )
    payment.invoices.set(invoices)
    payment.instalments.set(instalments)
    provider = get_provider(provider_name)
    redirect_url = provider.start(
        payment,
        return_url=return_url_for(payment),
        notify_url=notify_url,
        customer_ip=customer_ip,
    )
    return payment, redirect_url


def handle_notification(provider_name: str, headers: dict, body: bytes) -> str:
    """Check and apply one notification; returns "booked", "failed" or "already done".

    Raises SignatureError (bad signature) or PaymentRefused (wrong order, amount or
    currency); in both cases nothing is booked.
    """
    notification = get_provider(provider_name).read_notification(headers, body)
    return _apply(provider_name, notification)


@transaction.atomic
def _apply(provider_name: str, notification: Notification) -> str:
    payment = (
        OnlinePayment.objects.select_for_update()
        .filter(provider=provider_name, provider_order_id=notification.order_id)
        .first()
    )
    if payment is None:
        raise PaymentRefused(f"unknown order {notification.order_id}")
    if notification.amount != payment.amount or notification.currency != payment.currency:
        logger.warning(
            "Refused notification for %s: %s %s, expected %s %s",
            notification.order_id,
            notification.amount,
            notification.currency,
            payment.amount,
            payment.currency,
        )
        raise PaymentRefused("amount or currency does not match")
    if payment.status != OnlinePayment.Status.CREATED:
        return "already done"
    payment.finished_at = timezone.now()
    if not notification.paid:
        payment.set_status(OnlinePayment.Status.FAILED)
        payment.save(update_fields=["status", "finished_at"])
        return "failed"
    payment.set_status(OnlinePayment.Status.PAID)
    payment.payment = book_payment(
        customer=payment.customer,
        amount=payment.amount,
        received_on=timezone.localdate(),
        kind=Payment.Kind.ONLINE,
        title=f"{provider_name} {notification.order_id}",
        external_id=f"{provider_name}:{notification.order_id}",
        settles=[*payment.invoices.all(), *payment.instalments.all()],
    )
    payment.save(update_fields=["status", "finished_at", "payment"])
    _tell_the_payer(payment)
    return "booked"


def _tell_the_payer(payment: OnlinePayment) -> None:
    """The person who paid hears that the money arrived, while they still see the customer's
    bills; the outbox key is the payment's, so a replayed notification tells nobody again."""
    for membership in recipients(payment.customer, Ability.VIEW_BILLING):
        if membership.user_id != payment.created_by_id:
            continue
        notify(
            membership.user,
            category=Category.BILLING,
            template="billing/notifications/payment_received",
            context={
                "payment": payment,
                "customer": payment.customer,
                "url": absolute_url(reverse("billing:online_payment", args=[payment.public_id])),
            },
            key=f"payment_received:{payment.public_id}:{membership.user_id}",
        )
