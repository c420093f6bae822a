"""Writes about customers and access that touch several models."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from notifications.events import emit
from notifications.services import send_email

from . import audit
from .models import (
    AuditEvent,
    ChangeRequest,
    Customer,
    Membership,
    Segment,
    User,
    UserSession,
)


@transaction.atomic
def sync_segment_groups(user: User) -> None:
    """Give the user exactly the segment groups of the customers they are an active member of.

    Groups that are not segments (staff groups) are left alone.
    """
    wanted = set(
        Segment.objects.filter(
            customers__memberships__user=user,
            customers__memberships__status=Membership.Status.ACTIVE,
        ).values_list("group_id", flat=True)
    )
    current = set(user.groups.filter(segment__isnull=False).values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*Group.objects.filter(pk__in=current - wanted))
    if wanted - current:
        user.groups.add(*Group.objects.filter(pk__in=wanted - current))


def sync_segment_groups_of_customer_members(customer_id: int) -> None:
    for user in User.objects.filter(memberships__customer_id=customer_id).distinct():
        sync_segment_groups(user)


def end_other_sessions(user: User, keep: str | None) -> int:
    """Delete every session of the user except `keep`; returns how many ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    others = UserSession.objects.filter(user=user).exclude(session_key=keep)
    keys = list(others.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    others.delete()
    return len(keys)


# Billing data a customer may ask to change; back office decides (ChangeRequest).
BILLING_FIELDS = [
    "name",
    "nip",
    "regon",
    "billing_street",
    "billing_postal_code",
    "billing_city",
    "correspondence_street",
    "correspondence_postal_code",
    "correspondence_city",
    "refund_bank_account",
]
# Contact preferences the customer changes at once.
CONTACT_FIELDS = ["email", "phone", "e_invoice_consent"]


@transaction.atomic
def request_billing_change(
    customer: Customer, user: User, new_values: dict
) -> ChangeRequest | None:
    """Record the fields that differ as one change request (None when nothing differs)."""
    changes = {
        field: [getattr(customer, field), value]
        for field, value in new_values.items()
        if field in BILLING_FIELDS and getattr(customer, field) != value
    }
    if not changes:
        return None
    request = ChangeRequest.objects.create(customer=customer, requested_by=user, changes=changes)
    audit.record(
        AuditEvent.Action.DATA_CHANGED,
        actor=user,
        customer=customer,
        obj=request,
        change="change requested",
        fields=sorted(changes),
    )
    emit(
        "change_request.created",
        {
            "change_request": request.public_id,
            "customer": customer.number,
            "fields": sorted(changes),
            "by": "customer",
            "at": request.created_at,
        },
    )
    return request


@transaction.atomic
def decide_change_request(
    change_request: ChangeRequest, staff: User, *, approve: bool, reason: str = ""
) -> ChangeRequest:
    """Approve (apply the new values) or reject; the requester is told either way.

    Values that fail validation on approval leave the customer as it was.
    """
    change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    change_request.set_status(
        ChangeRequest.Status.APPROVED if approve else ChangeRequest.Status.REJECTED
    )
    customer = change_request.customer
    if approve:
        for field, (_old, new) in change_request.changes.items():
            setattr(customer, field, new)
        customer.full_clean()
        customer.save()
    change_request.decided_by = staff
    change_request.decided_at = timezone.now()
    change_request.reason = reason
    change_request.save()
    audit.record(
        AuditEvent.Action.DATA_CHANGED,
        actor=staff,
        customer=customer,
        obj=change_request,
        change="change approved" if approve else "change rejected",
    )
    if change_request.requested_by and change_request.requested_by.email:
        send_email(
            change_request.requested_by.email,
            "customers/email/change_request_decided",
            {"change_request": change_request, "customer": customer},
        )
    if approve:
        emit(
            "change_request.approved",
            {
                "change_request": change_request.public_id,
                "customer": customer.number,
                "fields": sorted(change_request.changes),
                "by": "staff",
                "at": change_request.decided_at,
            },
        )
    return change_request
