"""Escalation: missed and nearing deadlines reported once, resolved requests closed in time."""

from datetime import datetime, timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import send_email

from . import services, workflow
from .deadlines import RUNNING_STATUSES, resolution_at_risk, resolution_risk_filter
from .models import Event, Request, Team

S = Request.Status

AUTO_CLOSE_AFTER = timedelta(days=14)


@shared_task
def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Mark missed deadlines and tell the team lead and the assignee; warn the assignee
    when the resolution deadline is near; close requests resolved 14 days ago.

    Each request is handled under its row lock and its flags (`*_breached`, `warned_at`)
    are checked again there, so every breach and warning is reported once, however often
    and in however many workers the task runs. Paused requests are left alone.
    """
    now = now or timezone.now()
    counts = {"breached": 0, "warned": 0, "closed": 0}
    due = Request.objects.filter(status__in=RUNNING_STATUSES, paused_at__isnull=True).filter(
        Q(first_response_breached=False, first_response_due__lte=now)
        | Q(resolution_breached=False, resolution_due__lte=now)
        | (
            Q(warned_at__isnull=True, resolution_breached=False, resolution_due__gt=now)
            & resolution_risk_filter(now)
        )
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            request = _lock(pk)
            if request is None or request.status not in RUNNING_STATUSES or request.is_paused:
                continue
            counts["breached"] += _report_breaches(request, now)
            counts["warned"] += _warn(request, now)
    resolved_long_ago = Request.objects.filter(
        status=S.RESOLVED, resolved_at__lte=now - AUTO_CLOSE_AFTER
    )
    for pk in resolved_long_ago.values_list("pk", flat=True):
        with transaction.atomic():
            request = _lock(pk)
            if request is None or request.status != S.RESOLVED:
                continue
            workflow.move(
                request,
                S.CLOSED,
                actor=None,
                by_staff=False,
                text=_("Closed automatically %(days)d days after it was resolved.")
                % {"days": AUTO_CLOSE_AFTER.days},
                now=now,
            )
            counts["closed"] += 1
    return counts


def _lock(pk: int) -> Request | None:
    """The request under its row lock; None when another worker holds it (it handles it)."""
    return (
        Request.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("request_type__calendar", "customer", "assignee", "team")
        .filter(pk=pk)
        .first()
    )


def _report_breaches(request: Request, now: datetime) -> bool:
    missed = []
    fields = []
    first_due = request.first_response_due
    responded = request.first_responded_at
    if (
        not request.first_response_breached
        and first_due is not None
        and first_due <= now
        and (responded is None or responded > first_due)
    ):
        request.first_response_breached = True
        fields.append("first_response_breached")
        missed.append((_("first response"), first_due))
    if (
        not request.resolution_breached
        and request.resolution_due is not None
        and request.resolution_due <= now
    ):
        request.resolution_breached = True
        fields.append("resolution_breached")
        missed.append((_("resolution"), request.resolution_due))
    if not missed:
        return False
    request.save(update_fields=[*fields, "updated_at"])
    for deadline, due in missed:
        Event.objects.create(
            request=request,
            kind=Event.Kind.BREACH,
            public=False,
            text=_("Deadline missed: %(deadline)s, due %(due)s.")
            % {
                "deadline": deadline,
                "due": timezone.localtime(due).strftime("%d.%m.%Y %H:%M"),
            },
        )
    team = Team.objects.filter(group=request.team).select_related("lead").first()
    recipients = [team.lead if team else None, request.assignee]
    _send(request, recipients, "servicedesk/email/sla_breach", missed=missed)
    return True


def _warn(request: Request, now: datetime) -> bool:
    if request.warned_at is not None or not resolution_at_risk(request, now):
        return False
    request.warned_at = now
    request.save(update_fields=["warned_at", "updated_at"])
    Event.objects.create(
        request=request,
        kind=Event.Kind.WARNING,
        public=False,
        text=_("Resolution due %(due)s.")
        % {"due": timezone.localtime(request.resolution_due).strftime("%d.%m.%Y %H:%M")},
    )
    recipient = request.assignee
    if recipient is None:  # nobody to warn: the lead hears of it instead
        team = Team.objects.filter(group=request.team).select_related("lead").first()
        recipient = team.lead if team else None
    _send(request, [recipient], "servicedesk/email/sla_warning")
    return True


def _send(request: Request, people: list, template: str, **context) -> None:
    """One e-mail to each active person with an address, even if they fill two roles."""
    addresses = dict.fromkeys(
        person.email for person in people if person and person.is_active and person.email
    )
    for address in addresses:
        send_email(
            address, template, {"request": request, "url": services.admin_url(request), **context}
        )


@shared_task
def remind_appointments_tomorrow(today=None) -> int:
    """The day before a confirmed appointment, remind the person who filed the request, by
    the channels they chose for requests; once per appointment (its outbox key). A filer who
    no longer has access to the customer is not told. Returns how many were reminded."""
    from datetime import time

    from customers.models import Membership
    from notifications.models import Category
    from notifications.services import notify

    from .models import AppointmentSlot

    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    zone = timezone.get_current_timezone()
    slots = (
        AppointmentSlot.objects.filter(
            status=AppointmentSlot.Status.CONFIRMED,
            starts_at__gte=datetime.combine(tomorrow, time.min, tzinfo=zone),
            starts_at__lt=datetime.combine(tomorrow + timedelta(days=1), time.min, tzinfo=zone),
            request__filed_by__is_active=True,
        )
        .exclude(request__status__in=Request.CLOSED_STATUSES)
        .select_related("request__filed_by", "request__customer")
        .order_by("starts_at", "pk")
    )
    reminded = 0
    for slot in slots:
        request = slot.request
        still_a_member = Membership.objects.active().filter(
            user=request.filed_by, customer=request.customer
        )
        if not still_a_member.exists():
            continue
        with transaction.atomic():
            reminded += bool(
                notify(
                    request.filed_by,
                    category=Category.REQUESTS,
                    template="servicedesk/notifications/appointment_tomorrow",
                    context={
                        "request": request,
                        "slot": slot,
                        "starts_at": timezone.localtime(slot.starts_at),
                        "ends_at": timezone.localtime(slot.ends_at),
                        "url": services.portal_url(request),
                    },
                    key=f"appointment-tomorrow:{slot.pk}:{slot.starts_at:%Y%m%d%H%M}",
                )
            )
    return reminded
