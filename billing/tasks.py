"""Reminders about invoices: due in a few days, and overdue the day after the due date.

The daily beat runs them; each notice has its outbox key (invoice, due date, user), so a
rerun, or a run after a missed day, tells nobody twice.
"""

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Ability, Membership
from customers.notification_hooks import reaches, recipients
from notifications.models import Category
from notifications.services import absolute_url, notify

from .models import Invoice

OVERDUE_CATCH_UP_DAYS = 3
"""An overdue notice still goes this many days after the due date if the beat missed a day."""


@shared_task
def remind_invoices(today: date | None = None) -> dict[str, int]:
    """Tell the users who may see a customer's invoices that one is due within
    INVOICE_DUE_REMINDER_DAYS, or that its due date has passed unpaid.

    Only the open amount counts (a paid or pro-forma invoice is left alone); an invoice of
    one service point goes to the members who reach that point. Returns how many users
    were told of each kind.
    """
    today = today or timezone.localdate()
    unpaid = Invoice.objects.unpaid().select_related("customer", "service_point")
    due_soon = unpaid.filter(
        due_date__gt=today,
        due_date__lte=today + timedelta(days=settings.INVOICE_DUE_REMINDER_DAYS),
    )
    overdue = unpaid.filter(
        due_date__lt=today, due_date__gte=today - timedelta(days=OVERDUE_CATCH_UP_DAYS)
    )
    members: dict[int, list[Membership]] = {}
    return {
        "due": _remind(due_soon, "invoice_due", members),
        "overdue": _remind(overdue, "invoice_overdue", members),
    }


def _remind(invoices, event: str, members: dict[int, list[Membership]]) -> int:
    told = 0
    for invoice in invoices.order_by("due_date", "pk"):
        if invoice.customer_id not in members:
            members[invoice.customer_id] = recipients(invoice.customer, Ability.VIEW_BILLING)
        points = {invoice.service_point_id} if invoice.service_point_id else set()
        context = {
            "invoice": invoice,
            "customer": invoice.customer,
            "open_amount": invoice.open_amount,
            "url": absolute_url(reverse("billing:invoice", args=[invoice.public_id])),
        }
        with transaction.atomic():
            for membership in members[invoice.customer_id]:
                if not reaches(membership, points):
                    continue
                told += bool(
                    notify(
                        membership.user,
                        category=Category.BILLING,
                        template=f"billing/notifications/{event}",
                        context=context,
                        key=f"{event}:{invoice.pk}:{invoice.due_date:%Y%m%d}:{membership.user_id}",
                    )
                )
    return told
