"""The escalation task: breaches and warnings reported once, paused requests spared,
resolved requests closed after 14 days. Times are fixed and passed in as `now`."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicedesk import services
from servicedesk.models import Event, Request
from servicedesk.tasks import check_deadlines
from tests.servicedesk.test_admin import build_desk, set_due

pytestmark = pytest.mark.django_db

S = Request.Status
WARSAW = ZoneInfo("Europe/Warsaw")
NOTHING = {"breached": 0, "warned": 0, "closed": 0}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


@pytest.fixture
def sla_desk(db):
    return build_desk()


def run(now, capture) -> dict[str, int]:
    with capture(execute=True):
        return check_deadlines(now=now)


def test_a_missed_deadline_is_reported_once_to_the_lead_and_the_assignee(
    sla_desk, mailoutbox, django_capture_on_commit_callbacks
):
    request = sla_desk.file()
    set_due(
        request, first_response_due=local(2026, 3, 10, 10), resolution_due=local(2026, 3, 16, 10)
    )
    mailoutbox.clear()

    assert run(local(2026, 3, 10, 11), django_capture_on_commit_callbacks) == {
        **NOTHING,
        "breached": 1,
    }
    request.refresh_from_db()
    assert (request.first_response_breached, request.resolution_breached) == (True, False)
    breach = request.events.get(kind=Event.Kind.BREACH)
    assert breach.public is False
    assert sorted(m.to[0] for m in mailoutbox) == ["agent@example.pl", "lead@example.pl"]
    assert request.reference in mailoutbox[0].subject
    assert f"/admin/requests/{request.pk}/" in mailoutbox[0].body

    assert run(local(2026, 3, 10, 11, 15), django_capture_on_commit_callbacks) == NOTHING
    assert len(mailoutbox) == 2
    assert request.events.filter(kind=Event.Kind.BREACH).count() == 1

    # the resolution deadline is a breach of its own, reported once too
    for minute in (0, 15):
        run(local(2026, 3, 16, 11, minute), django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.resolution_breached
    assert request.events.filter(kind=Event.Kind.BREACH).count() == 2
    assert len(mailoutbox) == 4


def test_the_lead_who_is_also_the_assignee_gets_one_e_mail(
    sla_desk, mailoutbox, django_capture_on_commit_callbacks
):
    request = sla_desk.file()
    services.assign(request, assignee=sla_desk.lead, actor=sla_desk.lead)
    set_due(request, first_response_due=local(2026, 3, 10, 10))
    mailoutbox.clear()
    run(local(2026, 3, 10, 11), django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [["lead@example.pl"]]


def test_a_near_resolution_deadline_warns_the_assignee_once(
    sla_desk, mailoutbox, django_capture_on_commit_callbacks
):
    near = sla_desk.file()
    far = sla_desk.file()
    for request in (near, far):
        services.reply(request, author=sla_desk.agent, body="Sprawdzamy.", by_staff=True)
    # 40 h of SLA: under 8 business hours left is at risk
    set_due(near, resolution_due=local(2026, 3, 10, 14))  # 5 h left at 9:00
    set_due(far, resolution_due=local(2026, 3, 11, 14))  # 13 h left
    mailoutbox.clear()

    assert run(local(2026, 3, 10, 9), django_capture_on_commit_callbacks) == {
        **NOTHING,
        "warned": 1,
    }
    near.refresh_from_db()
    assert near.warned_at == local(2026, 3, 10, 9)
    assert near.events.get(kind=Event.Kind.WARNING).public is False
    assert [m.to for m in mailoutbox] == [["agent@example.pl"]]
    assert not far.events.filter(kind=Event.Kind.WARNING).exists()

    assert run(local(2026, 3, 10, 9, 15), django_capture_on_commit_callbacks) == NOTHING
    assert len(mailoutbox) == 1


def test_under_two_business_hours_is_at_risk_even_for_a_short_sla(
    sla_desk, mailoutbox, django_capture_on_commit_callbacks
):
    request = sla_desk.file(request_type=sla_desk.question)  # 16 h: 20 % is 3.2 h
    services.reply(request, author=sla_desk.agent, body="Sprawdzamy.", by_staff=True)
    # Friday 15:00, due Monday 9:30: 1.5 business hours left
    set_due(request, resolution_due=local(2026, 3, 16, 9, 30))
    mailoutbox.clear()
    assert run(local(2026, 3, 13, 15), django_capture_on_commit_callbacks)["warned"] == 1
    # nobody is assigned: the lead hears of it
    assert [m.to for m in mailoutbox] == [["lead@example.pl"]]


def test_requests_waiting_for_the_customer_are_not_breached(
    sla_desk, mailoutbox, django_capture_on_commit_callbacks
):
    request = sla_desk.file()
    services.change_status(request, S.IN_PROGRESS, actor=sla_desk.agent, by_staff=True)
    services.change_status(
        request, S.WAITING, actor=sla_desk.agent, by_staff=True, text="Prosimy o numer licznika."
    )
    set_due(
        request, first_response_due=local(2026, 3, 10, 10), resolution_due=local(2026, 3, 10, 12)
    )
    mailoutbox.clear()
    assert run(local(2026, 3, 11, 12), django_capture_on_commit_callbacks) == NOTHING
    request.refresh_from_db()
    assert not (request.first_response_breached or request.resolution_breached)
    assert request.warned_at is None
    assert mailoutbox == []


def test_resolved_requests_close_by_themselves_after_14_days(
    sla_desk, mailoutbox, django_capture_on_commit_callbacks
):
    now = local(2026, 3, 30, 12)
    old, recent = sla_desk.file(), sla_desk.file()
    for request in (old, recent):
        services.change_status(request, S.IN_PROGRESS, actor=sla_desk.agent, by_staff=True)
        services.change_status(request, S.RESOLVED, actor=sla_desk.agent, by_staff=True, text="OK.")
    set_due(old, resolved_at=now - timedelta(days=14, minutes=1))
    set_due(recent, resolved_at=now - timedelta(days=13))

    assert run(now, django_capture_on_commit_callbacks) == {**NOTHING, "closed": 1}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.closed_at, recent.status) == (S.CLOSED, now, S.RESOLVED)
    event = old.events.filter(kind=Event.Kind.STATUS).latest("pk")
    assert (event.to_status, event.actor, event.text != "") == (S.CLOSED, None, True)
    assert "14" in event.text

    assert run(now, django_capture_on_commit_callbacks) == NOTHING


def test_the_task_runs_every_quarter_of_an_hour():
    from config.celery import app

    entry = app.conf.beat_schedule["check-service-desk-deadlines"]
    assert entry["task"] == "servicedesk.tasks.check_deadlines"
    assert entry["schedule"].minute == {0, 15, 30, 45}
