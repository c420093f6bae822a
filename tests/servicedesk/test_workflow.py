"""The request's life: every allowed move, every refused one with its message, the SLA clock."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from servicedesk import services, workflow
from servicedesk.models import Event, Request
from servicedesk.workflow import TRANSITIONS, TransitionError

pytestmark = pytest.mark.django_db
S = Request.Status

ALLOWED = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
REFUSED = sorted((a, b) for a in S.values for b in S.values if b not in TRANSITIONS[a] and a != b)


def test_the_workflow_is_the_one_of_the_service_desk():
    assert (
        sorted(
            [
                (S.NEW, S.ASSIGNED),
                (S.NEW, S.REJECTED),
                (S.ASSIGNED, S.IN_PROGRESS),
                (S.ASSIGNED, S.REJECTED),
                (S.IN_PROGRESS, S.WAITING),
                (S.IN_PROGRESS, S.RESOLVED),
                (S.IN_PROGRESS, S.REJECTED),
                (S.WAITING, S.IN_PROGRESS),
                (S.WAITING, S.REJECTED),
                (S.RESOLVED, S.CLOSED),
                (S.RESOLVED, S.REOPENED),
                (S.REOPENED, S.IN_PROGRESS),
                (S.REOPENED, S.REJECTED),
            ]
        )
        == ALLOWED
    )


def _in_status(request: Request, status: str, agent) -> Request:
    request.status = status
    request.assignee = agent
    request.save()
    return request


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_every_allowed_move_is_made_and_written_down(filed, desk, start, target):
    request = _in_status(filed, start, desk.agent)
    services.change_status(request, target, actor=desk.agent, by_staff=True, text="Powód.")
    request.refresh_from_db()
    assert request.status == target
    event = request.events.filter(kind=Event.Kind.STATUS).last()
    assert (event.from_status, event.to_status, event.actor) == (start, target, desk.agent)


@pytest.mark.parametrize(("start", "target"), REFUSED)
def test_every_other_move_is_refused_with_a_reason(filed, desk, start, target):
    request = _in_status(filed, start, desk.agent)
    with pytest.raises(TransitionError) as excinfo:
        services.change_status(request, target, actor=desk.agent, by_staff=True, text="Powód.")
    assert excinfo.value.messages[0]
    request.refresh_from_db()
    assert request.status == start


def test_the_messages_of_refusals(filed, desk):
    filed.status = S.NEW
    with pytest.raises(TransitionError, match="(?i)przydziel|assign"):
        workflow.check(filed, S.IN_PROGRESS, by_staff=True)
    filed.status = S.CLOSED
    with pytest.raises(TransitionError) as excinfo:
        workflow.check(filed, S.REOPENED, by_staff=True)
    assert "zamknięte" in excinfo.value.messages[0] or "closed" in excinfo.value.messages[0]
    filed.status = S.IN_PROGRESS
    with pytest.raises(TransitionError):
        workflow.check(filed, S.RESOLVED, by_staff=True, text=" ")  # how was it resolved?


def test_assigning_needs_a_person(filed):
    with pytest.raises(TransitionError):
        workflow.check(filed, S.ASSIGNED, by_staff=True)


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (S.RESOLVED, S.CLOSED, True),
        (S.RESOLVED, S.REOPENED, True),
        (S.WAITING, S.IN_PROGRESS, True),
        (S.IN_PROGRESS, S.RESOLVED, False),
        (S.NEW, S.REJECTED, False),
        (S.ASSIGNED, S.IN_PROGRESS, False),
    ],
)
def test_what_the_customer_may_do(filed, desk, start, target, allowed):
    request = _in_status(filed, start, desk.agent)
    moves = workflow.allowed(request, by_staff=False)
    assert (target in moves) is allowed
    if not allowed:
        with pytest.raises(TransitionError):
            workflow.check(request, target, by_staff=False, text="x")


def test_filing_routes_to_the_team_and_sets_the_deadlines(desk, filed):
    assert (filed.team, filed.assignee, filed.status) == (desk.group, None, S.NEW)
    assert filed.first_response_due > filed.created_at
    assert filed.resolution_due > filed.first_response_due
    assert filed.statutory_due is not None
    assert filed.reference.startswith("ZG-") and len(filed.reference) == 12


def test_an_area_rule_routes_to_its_assignee(desk):
    from servicedesk.models import RoutingRule

    RoutingRule.objects.create(
        request_type=desk.complaint, postal_code_prefix="05-", assignee=desk.lead
    )
    request = services.file_request(
        membership=desk.owner,
        user=desk.owner.user,
        request_type=desk.complaint,
        data={},
        service_point=desk.point,
    )
    assert (request.assignee, request.status) == (desk.lead, S.ASSIGNED)


def test_references_are_not_sequential(desk):
    references = {
        services.file_request(
            membership=desk.owner, user=desk.owner.user, request_type=desk.complaint, data={}
        ).reference
        for _ in range(20)
    }
    assert len(references) == 20


def test_waiting_for_the_customer_stops_the_clock(filed, desk):
    """Paused on Monday 10:00 with 30 business hours left; the customer answers on Thursday
    12:00: the deadline is 30 business hours after that."""
    from servicedesk.sla import BusinessClock

    clock = BusinessClock(desk.calendar)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Warsaw
    filed.status, filed.assignee = S.IN_PROGRESS, desk.agent
    filed.resolution_due = clock.add(monday, timedelta(hours=30))
    filed.save()
    workflow.move(
        filed, S.WAITING, actor=desk.agent, by_staff=True, text="Prosimy o skan.", now=monday
    )
    assert filed.paused_at == monday
    assert filed.resolution_left == timedelta(hours=30)
    thursday = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # 12:00 in Warsaw
    workflow.move(filed, S.IN_PROGRESS, actor=desk.owner.user, by_staff=False, now=thursday)
    assert filed.paused_at is None
    assert filed.resolution_due == clock.add(thursday, timedelta(hours=30))
    assert clock.between(thursday, filed.resolution_due) == timedelta(hours=30)


def test_a_customer_answer_while_waiting_resumes_the_request(filed, desk):
    _in_status(filed, S.IN_PROGRESS, desk.agent)
    services.change_status(
        filed, S.WAITING, actor=desk.agent, by_staff=True, text="Prosimy o skan."
    )
    services.reply(filed, author=desk.owner.user, body="W załączeniu.", by_staff=False)
    filed.refresh_from_db()
    assert filed.status == S.IN_PROGRESS and not filed.is_paused


def test_a_staff_reply_is_the_first_response(filed, desk):
    assert filed.first_responded_at is None
    services.reply(filed, author=desk.agent, body="Sprawdzamy.", by_staff=True)
    filed.refresh_from_db()
    assert filed.first_responded_at is not None


def test_an_internal_note_does_not_count_and_is_not_sent(
    filed, desk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(
            filed, author=desk.agent, body="Tylko dla nas.", by_staff=True, internal=True
        )
    filed.refresh_from_db()
    assert filed.first_responded_at is None
    assert not any("Tylko dla nas" in m.body for m in mailoutbox)
    assert not filed.events.get(kind=Event.Kind.NOTE).public


def test_customers_write_no_internal_notes(filed, desk):
    with pytest.raises(ValidationError):
        services.reply(filed, author=desk.owner.user, body="x", by_staff=False, internal=True)


def test_reopening_gives_a_new_resolution_deadline(filed, desk):
    _in_status(filed, S.RESOLVED, desk.agent)
    filed.resolution_breached = True
    filed.save()
    services.change_status(
        filed, S.REOPENED, actor=desk.owner.user, by_staff=False, text="Nadal źle."
    )
    filed.refresh_from_db()
    assert filed.status == S.REOPENED and not filed.resolution_breached
    assert filed.resolution_due > filed.created_at


def test_rating_once_and_only_when_closed(filed, desk):
    with pytest.raises(ValidationError):
        services.rate(filed, user=desk.owner.user, rating=5)
    _in_status(filed, S.CLOSED, desk.agent)
    with pytest.raises(ValidationError):
        services.rate(filed, user=desk.owner.user, rating=6)
    services.rate(filed, user=desk.owner.user, rating=4, comment="Dobrze")
    with pytest.raises(ValidationError):
        services.rate(filed, user=desk.owner.user, rating=5)
    filed.refresh_from_db()
    assert (filed.rating, filed.rating_comment) == (4, "Dobrze")


def test_the_filer_and_the_team_hear_of_a_new_request(
    desk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.file_request(
            membership=desk.owner, user=desk.owner.user, request_type=desk.complaint, data={}
        )
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == sorted([desk.owner.user.email, "lead@example.pl", "agent@example.pl"])
    assert all(request.reference in m.subject for m in mailoutbox)
