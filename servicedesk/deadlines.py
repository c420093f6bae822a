"""Where a request stands against its deadlines (ok, at risk, breached, paused): the one
definition the admin queue, its home panel and the escalation task share."""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy

from .models import Request, RequestType
from .sla import BusinessClock

S = Request.Status

RUNNING_STATUSES = (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING, S.REOPENED)
"""Open and not resolved: the statuses in which the SLA clock runs (or is paused)."""

RISK_SHARE = 0.2
RISK_FLOOR = timedelta(hours=2)


class SlaState(models.TextChoices):
    OK = "ok", gettext_lazy("on time")
    AT_RISK = "at_risk", gettext_lazy("at risk")
    BREACHED = "breached", gettext_lazy("late")
    PAUSED = "paused", gettext_lazy("paused")


def risk_margin(request_type: RequestType) -> timedelta:
    """Business time left under which a resolution is at risk: 20 % of its SLA, at least 2 h."""
    return max(timedelta(hours=request_type.resolution_hours) * RISK_SHARE, RISK_FLOOR)


def risk_cutoff(request_type: RequestType, now: datetime, clock=None) -> datetime:
    """A resolution due before this instant has less than its risk margin of business time left."""
    clock = clock or BusinessClock(request_type.calendar)
    return clock.add(now, risk_margin(request_type))


def is_breached(request: Request, now: datetime) -> bool:
    """A deadline is missed: flagged by the escalation task, or passed since its last run."""
    if request.first_response_breached or request.resolution_breached:
        return True
    if request.resolution_due and request.resolution_due <= now:
        return True
    due = request.first_response_due
    if due is None:
        return False
    responded = request.first_responded_at
    return due <= now if responded is None else responded > due


def sla_state(request: Request, now: datetime) -> str:
    """ok, at_risk, breached or paused; empty for a resolved or closed request (no clock runs)."""
    if request.status not in RUNNING_STATUSES:
        return ""
    if request.is_paused:
        return SlaState.PAUSED
    if is_breached(request, now):
        return SlaState.BREACHED
    if resolution_at_risk(request, now):
        return SlaState.AT_RISK
    return SlaState.OK


def sla_filter(state: str, now: datetime) -> Q:
    """The requests in an SLA state, as a filter: the same rules as `sla_state`, in the database.

    The business-hours arithmetic is done once per request type (its risk cutoff), so
    the filter needs no per-request computation.
    """
    running = Q(status__in=RUNNING_STATUSES)
    if state == SlaState.PAUSED:
        return running & Q(paused_at__isnull=False)
    running &= Q(paused_at__isnull=True)
    breached = (
        Q(first_response_breached=True)
        | Q(resolution_breached=True)
        | Q(resolution_due__lte=now)
        | Q(first_responded_at__isnull=True, first_response_due__lte=now)
        | Q(
            first_responded_at__isnull=False,
            first_response_due__isnull=False,
            first_responded_at__gt=F("first_response_due"),
        )
    )
    if state == SlaState.BREACHED:
        return running & breached
    at_risk = resolution_risk_filter(now)
    if state == SlaState.AT_RISK:
        return running & ~breached & at_risk
    return running & ~breached & ~at_risk


def resolution_risk_filter(now: datetime) -> Q:
    """Requests whose resolution is due before their type's risk cutoff (or is overdue)."""
    at_risk = Q(pk__in=[])
    for cutoff, type_ids in _risk_cutoffs(now).items():
        at_risk |= Q(request_type_id__in=type_ids, resolution_due__lt=cutoff)
    return at_risk


def resolution_at_risk(request: Request, now: datetime) -> bool:
    """The resolution is not due yet, but less than its risk margin of business time is left."""
    due = request.resolution_due
    return due is not None and now < due < risk_cutoff(request.request_type, now)


def _risk_cutoffs(now: datetime) -> dict[datetime, list[int]]:
    """Request types grouped by their risk cutoff at `now`; one clock per calendar."""
    clocks: dict[int, BusinessClock] = {}
    cutoffs: dict[datetime, list[int]] = {}
    types = RequestType.objects.select_related("calendar").prefetch_related("calendar__holidays")
    for request_type in types:
        clock = clocks.setdefault(request_type.calendar_id, BusinessClock(request_type.calendar))
        cutoffs.setdefault(risk_cutoff(request_type, now, clock), []).append(request_type.pk)
    return cutoffs


def sla_counts(now: datetime) -> dict[str, int]:
    """How many requests are in each SLA state, in one query."""
    return Request.objects.aggregate(
        **{state: Count("pk", filter=sla_filter(state, now)) for state in SlaState.values}
    )
