"""The life of a request: which status may follow which, who may move it, and what it costs
the SLA clock. Every change goes through `move`, so history and deadlines never drift."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Event, Request

S = Request.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ASSIGNED, S.REJECTED}),
    S.ASSIGNED: frozenset({S.IN_PROGRESS, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.WAITING, S.RESOLVED, S.REJECTED}),
    S.WAITING: frozenset({S.IN_PROGRESS, S.REJECTED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.REJECTED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
}
"""The one place the workflow is decided: new → assigned → in progress ↔ waiting for the
customer → resolved → closed, rejected from any open status, reopened from resolved."""

CUSTOMER_MOVES = frozenset(
    {(S.RESOLVED, S.CLOSED), (S.RESOLVED, S.REOPENED), (S.WAITING, S.IN_PROGRESS)}
)
"""What a customer may do: accept or reopen a resolution, and answer when asked."""

NEEDS_TEXT = {
    S.WAITING: gettext_lazy("Say what you need from the customer."),
    S.RESOLVED: gettext_lazy("Say how the request was resolved."),
    S.REJECTED: gettext_lazy("Say why the request is rejected."),
    S.REOPENED: gettext_lazy("Say why the request should be reopened."),
}


class TransitionError(ValidationError):
    pass


@dataclass(frozen=True)
class Move:
    request: Request
    from_status: str
    to_status: str


def allowed(request: Request, *, by_staff: bool) -> list[str]:
    """The statuses this request may go to next, for staff or for the customer."""
    targets = TRANSITIONS[request.status]
    if by_staff:
        return sorted(targets)
    return sorted(t for t in targets if (request.status, t) in CUSTOMER_MOVES)


def check(request: Request, to_status: str, *, by_staff: bool, text: str = "") -> None:
    """Raise TransitionError with the reason when the move is not allowed."""
    current = request.status
    labels = dict(S.choices)
    if to_status not in labels:
        raise TransitionError(_("Unknown status."))
    if to_status not in TRANSITIONS[current]:
        if current in Request.CLOSED_STATUSES:
            message = _("The request is %(status)s; it cannot change any more.")
        elif current == S.NEW and to_status == S.IN_PROGRESS:
            message = _("Assign the request to someone first.")
        else:
            message = _("A request that is %(status)s cannot become %(target)s.")
        raise TransitionError(message % {"status": labels[current], "target": labels[to_status]})
    if not by_staff and (current, to_status) not in CUSTOMER_MOVES:
        raise TransitionError(_("Only our staff can change this."))
    if to_status == S.ASSIGNED and request.assignee_id is None:
        raise TransitionError(_("Choose whom to assign the request to."))
    if to_status in NEEDS_TEXT and not text.strip():
        raise TransitionError(str(NEEDS_TEXT[to_status]))


def move(
    request: Request, to_status: str, *, actor, by_staff: bool, text: str = "", now=None
) -> Move:
    """Change the status, with its effect on the SLA clock, and write the history.

    The caller holds the request's row lock (services.locked) and saves nothing else.
    """
    check(request, to_status, by_staff=by_staff, text=text)
    now = now or timezone.now()
    clock = clock_for(request)
    before = request.status
    if before == S.WAITING:  # the clock runs again: what was left is counted from now
        if request.first_response_left is not None:
            request.first_response_due = clock.add(now, request.first_response_left)
        if request.resolution_left is not None:
            request.resolution_due = clock.add(now, request.resolution_left)
        request.paused_at = request.first_response_left = request.resolution_left = None
    if to_status == S.WAITING:
        request.paused_at = now
        if request.first_responded_at is None and request.first_response_due:
            request.first_response_left = clock.between(now, request.first_response_due)
        if request.resolution_due:
            request.resolution_left = clock.between(now, request.resolution_due)
    if to_status in (S.WAITING, S.RESOLVED, S.REJECTED) and by_staff:
        request.first_responded_at = request.first_responded_at or now
    if to_status == S.RESOLVED:
        request.resolved_at = now
    if to_status == S.REOPENED:
        request.resolved_at = None
        request.resolution_breached = False
        request.warned_at = None
        request.resolution_due = clock.add(now, _hours(request.request_type.resolution_hours))
    if to_status in Request.CLOSED_STATUSES:
        request.closed_at = now
    request.status = to_status
    request.save()
    Event.objects.create(
        request=request,
        kind=Event.Kind.STATUS,
        actor=actor,
        from_status=before,
        to_status=to_status,
        text=text.strip(),
    )
    return Move(request, before, to_status)


def clock_for(request: Request):
    """The business clock of the request's type (its working calendar)."""
    from .sla import BusinessClock

    return BusinessClock(request.request_type.calendar)


def _hours(hours: int) -> timedelta:
    return timedelta(hours=hours)
