import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from wagtail.models import GroupPagePermission, Workflow, WorkflowState
from wagtail.test.utils.form_data import querydict_from_html

from announcements.models import AnnouncementPage, Audience, Severity
from announcements.moderation import MODERATORS, OUTAGE_APPROVAL, ensure_outage_workflow
from notifications.models import Channel, Delivery
from tests.conftest import verify_with_second_factor
from tests.factories import UserFactory

from .conftest import announcement, customer_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(board):
    """Staff who may add, edit and publish announcements, but is no moderator."""
    group = Group.objects.create(name="Redakcja komunikatów")
    group.permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    )
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group,
            page=board,
            permission=Permission.objects.get(
                codename=codename, content_type__app_label="wagtailcore"
            ),
        )
    user = UserFactory(email="redakcja@example.pl", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def moderator(board):
    user = UserFactory(email="moderator@example.pl", is_staff=True)
    user.groups.add(Group.objects.get(name=MODERATORS))
    return user


def signed_in(user) -> Client:
    client = Client()
    verify_with_second_factor(client, user)
    return client


@pytest.fixture
def outage_draft(board):
    customer_at("00-950", mobile_phone="+48600100200")
    return announcement(
        board,
        title="Przerwa w dostawie w 00-950",
        severity=Severity.OUTAGE,
        audience=Audience.AREAS,
        postcodes="00-950",
        send_email=True,
        send_sms=True,
        publish=False,
    )


def notices():
    """The announcement's outbox rows (signing in with a second factor writes others)."""
    return Delivery.objects.filter(key__startswith="announcement:")


def edit_form(client, page) -> tuple[str, dict]:
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    data = querydict_from_html(html, form_id="page-edit-form")
    data["body-count"] = "0"
    for name in ("pinned", "send_email", "send_sms"):
        if name in data:  # a ticked box without a value: a browser sends "on"
            data[name] = "on"
    return html, data


def test_a_new_board_gets_the_outage_approval_workflow(board):
    workflow = board.get_workflow()
    assert workflow.name == OUTAGE_APPROVAL
    task = workflow.tasks.get().specific
    assert list(task.groups.values_list("name", flat=True)) == [MODERATORS]
    # Idempotent: asked again, nothing more is made.
    ensure_outage_workflow(board)
    assert Workflow.objects.filter(name=OUTAGE_APPROVAL).count() == 1


def test_an_editor_cannot_publish_an_outage_but_submits_it_and_a_moderator_approves(
    board, editor, moderator, outage_draft, django_capture_on_commit_callbacks
):
    client = signed_in(editor)
    html, data = edit_form(client, outage_draft)
    assert 'name="action-publish"' not in html
    assert 'name="action-submit"' in html

    # Publishing directly (say, by a crafted POST) is refused and changes nothing live.
    data["action-publish"] = "action-publish"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("wagtailadmin_pages:edit", args=[outage_draft.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[outage_draft.pk])
    outage_draft.refresh_from_db()
    assert not outage_draft.live
    assert not notices().exists()

    # Submitting it for moderation starts the outage approval.
    del data["action-publish"]
    data["action-submit"] = "action-submit"
    client.post(reverse("wagtailadmin_pages:edit", args=[outage_draft.pk]), data)
    state = WorkflowState.objects.get(object_id=str(outage_draft.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == OUTAGE_APPROVAL
    outage_draft.refresh_from_db()
    assert not outage_draft.live

    # The moderator's approval publishes it, and the customers in 00-950 are told.
    moderator_client = signed_in(moderator)
    url = reverse(
        "wagtailadmin_pages:workflow_action",
        args=[outage_draft.pk, "approve", state.current_task_state.pk],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(url)
    assert response.status_code == 302
    outage_draft.refresh_from_db()
    assert outage_draft.live
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    assert set(notices().values_list("channel", flat=True)) == {Channel.EMAIL, Channel.SMS}


def test_a_moderator_may_publish_an_outage_directly(board, moderator, outage_draft):
    client = signed_in(moderator)
    html, data = edit_form(client, outage_draft)
    assert 'name="action-publish"' in html
    data["action-publish"] = "action-publish"
    client.post(reverse("wagtailadmin_pages:edit", args=[outage_draft.pk]), data)
    outage_draft.refresh_from_db()
    assert outage_draft.live


def test_an_editor_publishes_other_announcements_directly(board, editor):
    page = announcement(board, title="Zwykła informacja", publish=False)
    client = signed_in(editor)
    html, data = edit_form(client, page)
    assert 'name="action-publish"' in html
    data["action-publish"] = "action-publish"
    client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    page.refresh_from_db()
    assert page.live


def test_an_editor_cannot_turn_a_draft_into_a_live_outage_on_creation(board, editor):
    client = signed_in(editor)
    url = reverse("wagtailadmin_pages:add", args=["announcements", "announcementpage", board.pk])
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    data.update(
        {
            "title": "Awaria sieci",
            "slug": "awaria-sieci",
            "severity": Severity.OUTAGE,
            "audience": Audience.ALL_CUSTOMERS,
            "body-count": "0",
            "action-publish": "action-publish",
        }
    )
    response = client.post(url, data)
    page = AnnouncementPage.objects.get(slug="awaria-sieci")
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert not page.live


def test_bulk_publishing_of_an_outage_is_left_to_moderators(board, editor, moderator, outage_draft):
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    url += f"?id={outage_draft.pk}"
    signed_in(editor).post(url, {"include_descendants": ""})
    outage_draft.refresh_from_db()
    assert not outage_draft.live
    signed_in(moderator).post(url, {"include_descendants": ""})
    outage_draft.refresh_from_db()
    assert outage_draft.live


def test_bad_input_gets_a_message_under_the_field_and_changes_nothing(board, editor):
    page = announcement(board, title="Informacja", publish=False)
    client = signed_in(editor)
    _html, data = edit_form(client, page)
    data.update(
        {
            "audience": Audience.AREAS,
            "postcodes": "00-950, Warszawa",
            "action-publish": "action-publish",
        }
    )
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 200
    assert "Warszawa" in str(response.context["form"].errors["postcodes"])
    data.update({"audience": Audience.SEGMENTS, "postcodes": ""})
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert "segments" in response.context["form"].errors
    data.update({"audience": Audience.PUBLIC, "send_email": "on"})
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert "send_email" in response.context["form"].errors
    page.refresh_from_db()
    assert not page.live
    assert page.audience == Audience.PUBLIC and page.postcodes == ""


def test_a_live_outage_is_not_copied_live_past_moderation(board, editor, outage_draft):
    outage_draft.save_revision().publish()
    client = signed_in(editor)
    url = reverse("wagtailadmin_pages:copy", args=[outage_draft.pk])
    data = {
        "new_title": "Kopia awarii",
        "new_slug": "kopia-awarii",
        "new_parent_page": board.pk,
        "publish_copies": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert not AnnouncementPage.objects.filter(slug="kopia-awarii").exists()
    del data["publish_copies"]
    client.post(url, data)
    assert not AnnouncementPage.objects.get(slug="kopia-awarii").live
