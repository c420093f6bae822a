from celery import shared_task

from documents.pdf import issuing_company

from .activation import run_access_batch
from .models import AccessBatch


@shared_task
def generate_access_letters(batch_id: int) -> None:
    """Make the codes, letters and e-mails of one batch (see run_access_batch)."""
    batch = AccessBatch.objects.get(pk=batch_id)
    if batch.status != AccessBatch.Status.QUEUED:
        return  # delivered twice after a worker died: the first run owns it
    run_access_batch(batch, issuing_company())


@shared_task
def remind_contracts_ending(today=None) -> int:
    """Tell the users who may see a customer's contracts that one ends in
    CONTRACT_END_REMINDER_DAYS days (or fewer, if a run was missed): once per contract and
    end date, by its outbox key. A contract of some service points goes to the members who
    reach one of them. Returns how many users were told."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import transaction
    from django.urls import reverse
    from django.utils import timezone

    from notifications.models import Category
    from notifications.services import absolute_url, notify

    from .models import Ability, Contract
    from .notification_hooks import reaches, recipients

    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.CONTRACT_END_REMINDER_DAYS)
    ending = (
        Contract.objects.filter(status=Contract.Status.ACTIVE, end_date__gt=today)
        .filter(end_date__lte=horizon, end_date__gt=horizon - timedelta(days=3))
        .select_related("customer")
        .prefetch_related("service_points")
        .order_by("end_date", "pk")
    )
    told = 0
    for contract in ending:
        points = {point.pk for point in contract.service_points.all()}
        context = {
            "contract": contract,
            "customer": contract.customer,
            "url": absolute_url(reverse("customer:contract", args=[contract.public_id])),
        }
        with transaction.atomic():
            for membership in recipients(contract.customer, Ability.VIEW_CONTRACTS):
                if not reaches(membership, points):
                    continue
                told += bool(
                    notify(
                        membership.user,
                        category=Category.ACCOUNT,
                        template="customers/notifications/contract_ending",
                        context=context,
                        key=(
                            f"contract-ending:{contract.pk}:{contract.end_date:%Y%m%d}:"
                            f"{membership.user_id}"
                        ),
                    )
                )
    return told


from .inbox_services import fan_out_message  # noqa: E402, F401 - the inbox fan-out, for the worker
