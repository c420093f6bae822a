"""The desk's admin: the queue and its filters, one request's page and its actions, files,
the dashboard panel."""

from datetime import time, timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from servicedesk import services, workflow
from servicedesk.deadlines import SlaState, sla_counts
from servicedesk.models import (
    Attachment,
    Event,
    Priority,
    Request,
    RequestType,
    Team,
    WorkingCalendar,
)
from tests.conftest import verify_with_second_factor
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Request.Status
QUEUE = "servicedesk_queue"


def build_desk() -> SimpleNamespace:
    """Two teams, each with a lead; complaints go to an agent, questions to nobody yet."""
    calendar = WorkingCalendar.objects.create(name="Biuro", opens_at=time(8), closes_at=time(16))
    lead = UserFactory(email="lead@example.pl", is_staff=True, first_name="Lena")
    agent = UserFactory(email="agent@example.pl", is_staff=True, first_name="Adam")
    other_agent = UserFactory(email="other@example.pl", is_staff=True, first_name="Olga")
    complaints = Team.objects.create(group=Group.objects.create(name="Reklamacje"), lead=lead)
    questions = Team.objects.create(group=Group.objects.create(name="Pytania"), lead=lead)
    complaint = RequestType.objects.create(
        name="Reklamacja",
        name_en="Complaint",
        slug="reklamacja",
        category=RequestType.Category.COMPLAINT,
        team=complaints,
        default_assignee=agent,
        calendar=calendar,
        first_response_hours=8,
        resolution_hours=40,
    )
    question = RequestType.objects.create(
        name="Pytanie",
        name_en="Question",
        slug="pytanie",
        category=RequestType.Category.GENERAL,
        team=questions,
        calendar=calendar,
        first_response_hours=8,
        resolution_hours=16,
    )
    membership = MembershipFactory(role="owner", user=UserFactory(email="klient@example.pl"))

    def file(request_type=complaint, subject="Zawyżony rachunek", **kwargs) -> Request:
        return services.file_request(
            membership=membership,
            user=membership.user,
            request_type=request_type,
            data={},
            subject=subject,
            **kwargs,
        )

    return SimpleNamespace(
        calendar=calendar,
        lead=lead,
        agent=agent,
        other_agent=other_agent,
        complaints=complaints,
        questions=questions,
        complaint=complaint,
        question=question,
        membership=membership,
        customer=membership.user,
        file=file,
    )


@pytest.fixture
def sla_desk(db):
    return build_desk()


def references(response) -> set[str]:
    return {request.reference for request in response.context["page"]}


def set_due(request: Request, **fields) -> None:
    Request.objects.filter(pk=request.pk).update(**fields)


@pytest.fixture
def queue_world(sla_desk, admin_user):
    """One request in each SLA state, a closed one, and one of the admin's own."""
    now = timezone.now()
    world = SimpleNamespace(
        ok=sla_desk.file(subject="ok"),
        at_risk=sla_desk.file(subject="at risk"),
        breached=sla_desk.file(subject="breached"),
        paused=sla_desk.file(subject="paused"),
        unassigned=sla_desk.file(request_type=sla_desk.question, subject="nobody's"),
        closed=sla_desk.file(subject="closed"),
        mine=sla_desk.file(request_type=sla_desk.question, subject="mine"),
    )
    set_due(world.ok, resolution_due=now + timedelta(days=30))
    set_due(world.at_risk, resolution_due=now + timedelta(minutes=30))
    set_due(world.breached, resolution_due=now - timedelta(hours=1))
    for request in (world.unassigned, world.mine, world.closed):
        set_due(request, resolution_due=now + timedelta(days=30))
    services.change_status(world.paused, S.IN_PROGRESS, actor=sla_desk.agent, by_staff=True)
    services.change_status(
        world.paused, S.WAITING, actor=sla_desk.agent, by_staff=True, text="Prosimy o zdjęcie."
    )
    services.change_status(
        world.closed, S.REJECTED, actor=sla_desk.agent, by_staff=True, text="Nie dotyczy nas."
    )
    services.assign(world.mine, assignee=admin_user, actor=admin_user)
    return world


def test_the_queue_lists_open_requests_by_default(staff_client, queue_world):
    response = staff_client.get(reverse(QUEUE))
    assert response.status_code == 200
    shown = references(response)
    assert queue_world.closed.reference not in shown
    assert queue_world.ok.reference in shown and queue_world.paused.reference in shown
    everything = references(staff_client.get(reverse(QUEUE), {"status": ""}))
    assert queue_world.closed.reference in everything


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "rejected"}, {"closed"}),
        ({"status": "waiting"}, {"paused"}),
        ({"type": "question"}, {"unassigned", "mine"}),
        ({"team": "questions"}, {"unassigned", "mine"}),
        ({"assignee": "me"}, {"mine"}),
        ({"assignee": "nobody"}, {"unassigned"}),
        ({"assignee": "agent"}, {"ok", "at_risk", "breached", "paused"}),
        ({"sla": "ok"}, {"ok", "unassigned", "mine"}),
        ({"sla": "at_risk"}, {"at_risk"}),
        ({"sla": "breached"}, {"breached"}),
        ({"sla": "paused"}, {"paused"}),
    ],
)
def test_the_queue_filters(staff_client, sla_desk, queue_world, params, expected):
    values = {
        "question": lambda: sla_desk.question.pk,
        "questions": lambda: sla_desk.questions.group.pk,
        "agent": lambda: sla_desk.agent.pk,
    }
    query = {key: values[value]() if value in values else value for key, value in params.items()}
    response = staff_client.get(reverse(QUEUE), query)
    assert references(response) == {getattr(queue_world, name).reference for name in expected}


def test_the_queue_shows_each_request_s_sla_state(staff_client, queue_world):
    html = staff_client.get(reverse(QUEUE)).content.decode()
    for state in SlaState.values:
        assert f'data-sla="{state}"' in html
    assert reverse("servicedesk_request", args=[queue_world.ok.pk]) in html


def test_the_queue_s_query_count_does_not_grow_with_its_rows(staff_client, sla_desk):
    def count() -> int:
        staff_client.get(reverse(QUEUE))  # warm the per-process caches
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(reverse(QUEUE)).status_code == 200
        return len(captured)

    for n in range(3):
        sla_desk.file(request_type=(sla_desk.complaint, sla_desk.question)[n % 2])
    few = count()
    for n in range(27):
        sla_desk.file(request_type=(sla_desk.complaint, sla_desk.question)[n % 2])
    many = count()
    assert few == many


def test_bulk_assign_assigns_the_open_and_refuses_the_closed(staff_client, sla_desk, queue_world):
    chosen = [queue_world.unassigned, queue_world.ok, queue_world.closed]
    response = staff_client.post(
        reverse(QUEUE) + "?sla=ok",
        {"requests": [r.pk for r in chosen], "assignee": sla_desk.other_agent.pk},
        follow=True,
    )
    assert response.redirect_chain[0][0] == reverse(QUEUE) + "?sla=ok"
    for request in chosen:
        request.refresh_from_db()
    assert queue_world.unassigned.assignee == sla_desk.other_agent
    assert queue_world.unassigned.status == S.ASSIGNED
    assert queue_world.ok.assignee == sla_desk.other_agent
    assert queue_world.closed.assignee == sla_desk.agent
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and queue_world.closed.reference in errors[0]
    assert queue_world.ok.reference not in errors[0]
    assert Event.objects.filter(
        request=queue_world.unassigned, kind=Event.Kind.ASSIGNED, text=str(sla_desk.other_agent)
    ).exists()


def test_the_detail_shows_everything_including_internal_notes(staff_client, sla_desk):
    request = sla_desk.file()
    services.reply(
        request, author=sla_desk.customer, body="Licznik kręci się za szybko.", by_staff=False
    )
    services.reply(
        request,
        author=sla_desk.agent,
        body="Sprawdzić historię odczytów.",
        by_staff=True,
        internal=True,
    )
    html = staff_client.get(reverse("servicedesk_request", args=[request.pk])).content.decode()
    assert request.reference in html and str(sla_desk.membership.customer) in html
    assert "Licznik kręci się za szybko." in html
    assert "Sprawdzić historię odczytów." in html and 'data-internal="true"' in html
    assert 'data-kind="created"' in html and 'data-kind="note"' in html


@pytest.mark.parametrize("internal", [False, True])
def test_staff_reply_or_note_and_what_the_customer_sees(
    staff_client,
    client,
    sla_desk,
    home_page,
    internal,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    request = sla_desk.file()
    mailoutbox.clear()
    body = "Notatka tylko dla nas." if internal else "Sprawdziliśmy licznik."
    upload = SimpleUploadedFile("protokol.txt", b"Protokol sprawdzenia licznika.\n")
    data = {"action": "reply", "reply-body": body, "reply-attachments": [upload]}
    if internal:
        data["reply-internal"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("servicedesk_request", args=[request.pk]), data)
    assert response.status_code == 302
    message = request.messages.get()
    assert (message.internal, message.from_staff) == (internal, True)
    assert message.attachments.get().internal is internal
    request.refresh_from_db()
    assert (request.first_responded_at is None) is internal
    assert [m.to for m in mailoutbox] == ([] if internal else [["klient@example.pl"]])

    client.force_login(sla_desk.customer)
    page = client.get(reverse("servicedesk:request", kwargs={"request_id": request.public_id}))
    assert page.status_code == 200
    assert (body in page.content.decode()) is not internal
    assert ("protokol.txt" in page.content.decode()) is not internal


def test_a_status_change_the_workflow_refuses_shows_its_reason(staff_client, sla_desk):
    request = sla_desk.file()
    services.change_status(request, S.IN_PROGRESS, actor=sla_desk.agent, by_staff=True)
    response = staff_client.post(
        reverse("servicedesk_request", args=[request.pk]),
        {"action": "status", "status-status": S.RESOLVED, "status-text": ""},
    )
    assert response.status_code == 200
    with translation.override("pl"):  # the admin speaks the default language
        reason = str(workflow.NEEDS_TEXT[S.RESOLVED])
    assert response.context["status_form"].non_field_errors() == [reason]
    request.refresh_from_db()
    assert request.status == S.IN_PROGRESS


def test_the_status_form_offers_only_allowed_moves_and_moves(
    staff_client, sla_desk, mailoutbox, django_capture_on_commit_callbacks
):
    request = sla_desk.file()
    url = reverse("servicedesk_request", args=[request.pk])
    choices = dict(staff_client.get(url).context["status_form"].fields["status"].choices)
    assert set(choices) == {"", S.IN_PROGRESS, S.REJECTED}  # nothing preselected
    response = staff_client.post(url, {"action": "status", "status-status": ""})
    assert response.context["status_form"].errors["status"]
    response = staff_client.post(url, {"action": "status", "status-status": S.CLOSED})
    assert response.context["status_form"].errors["status"]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"action": "status", "status-status": S.IN_PROGRESS})
        staff_client.post(
            url, {"action": "status", "status-status": S.RESOLVED, "status-text": "Wymieniono."}
        )
    request.refresh_from_db()
    assert request.status == S.RESOLVED
    assert request.messages.get().body == "Wymieniono."
    assert len(mailoutbox) == 2


def test_assign_and_priority_from_the_detail(staff_client, sla_desk, admin_user):
    request = sla_desk.file(request_type=sla_desk.question)
    url = reverse("servicedesk_request", args=[request.pk])
    staff_client.post(url, {"action": "assign", "assign-assignee": sla_desk.other_agent.pk})
    staff_client.post(url, {"action": "priority", "priority-priority": "urgent"})
    request.refresh_from_db()
    assert (request.assignee, request.status, request.priority) == (
        sla_desk.other_agent,
        S.ASSIGNED,
        "urgent",
    )
    event = request.events.get(kind=Event.Kind.PRIORITY)
    with translation.override("pl"):
        text = f"{Priority.NORMAL.label} → {Priority.URGENT.label}"
    assert (event.actor, event.public, event.text) == (admin_user, False, text)


def test_staff_without_the_permission_are_refused(client, sla_desk):
    request = sla_desk.file()
    clerk = UserFactory(email="clerk@example.pl", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    verify_with_second_factor(client, clerk)
    attachment = Attachment.objects.create(
        request=request, original_name="a.txt", content_type="text/plain", size=1, file="x"
    )
    for url in (
        reverse(QUEUE),
        reverse("servicedesk_request", args=[request.pk]),
        reverse("servicedesk_attachment", args=[request.pk, attachment.public_id]),
    ):
        assert client.get(url)["Location"] == "/admin/"
    response = client.post(
        reverse("servicedesk_request", args=[request.pk]),
        {"action": "priority", "priority-priority": "urgent"},
    )
    assert response["Location"] == "/admin/"
    request.refresh_from_db()
    assert request.priority == "normal"
    assert "servicedesk-requests" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_staff_download_any_attachment_as_a_file(staff_client, sla_desk):
    upload = SimpleUploadedFile("notatka.txt", b"Tylko dla zespolu.\n")
    request = sla_desk.file()
    services.reply(
        request,
        author=sla_desk.agent,
        body="W załączniku notatka.",
        by_staff=True,
        internal=True,
        uploads=services.checked([upload]),
    )
    attachment = request.attachments.get()
    assert attachment.internal
    response = staff_client.get(
        reverse("servicedesk_attachment", args=[request.pk, attachment.public_id])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Tylko dla zespolu.\n"
    assert response["Content-Disposition"].startswith("attachment")
    assert "notatka.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")
    other = sla_desk.file()
    wrong = reverse("servicedesk_attachment", args=[other.pk, attachment.public_id])
    assert staff_client.get(wrong).status_code == 404


def test_the_home_panel_counts_open_requests_by_sla_state(staff_client, queue_world):
    assert sla_counts(timezone.now()) == {"ok": 3, "at_risk": 1, "breached": 1, "paused": 1}
    html = staff_client.get(reverse("wagtailadmin_home")).content.decode()
    for state, count in {"ok": 3, "at_risk": 1, "breached": 1, "paused": 1}.items():
        assert f'data-sla="{state}" data-count="{count}"' in html
        assert f"{reverse(QUEUE)}?sla={state}" in html


def test_the_menu_item_shows_the_open_count(admin_user, sla_desk, queue_world):
    from wagtail.admin.menu import admin_menu

    http_request = RequestFactory().get("/admin/")
    http_request.user = admin_user
    item = next(i for i in admin_menu.render_component(http_request) if i.name == "requests")
    assert item.url == reverse(QUEUE)
    assert "6" in str(item.label)  # six open, the rejected one not counted

    clerk = UserFactory(email="clerk@example.pl", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    http_request.user = clerk
    assert "requests" not in {i.name for i in admin_menu.render_component(http_request)}
