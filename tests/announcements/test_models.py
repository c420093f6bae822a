from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import PageViewRestriction, Revision

from announcements.models import AnnouncementPage, Audience, Severity
from notifications.models import Delivery

from .conftest import announcement, customer_at

pytestmark = pytest.mark.django_db


def errors_of(**fields) -> dict:
    page = AnnouncementPage(title="Komunikat", slug="komunikat", **fields)
    with pytest.raises(ValidationError) as caught:
        page.clean()
    return caught.value.message_dict


def test_bad_input_is_named_by_field():
    now = timezone.now()
    assert "valid_to" in errors_of(valid_from=now, valid_to=now - timedelta(hours=1))
    assert (
        "Kraków" in errors_of(audience=Audience.AREAS, postcodes="00-950\nKraków")["postcodes"][0]
    )
    assert "postcodes" in errors_of(audience=Audience.AREAS, postcodes=" , \n")
    assert "send_sms" in errors_of(audience=Audience.PUBLIC, send_sms=True)
    AnnouncementPage(
        title="Komunikat", slug="komunikat", audience=Audience.AREAS, localities="Łódź"
    ).clean()


def test_the_body_reads_as_plain_text():
    page = AnnouncementPage(
        body=[
            {"type": "heading", "value": {"text": "Zakres prac", "level": "h2"}},
            {
                "type": "paragraph",
                "value": "<p>Wymiana licznika &amp; plomb.</p><ul><li>ul. Polna</li><li>ul. Leśna</li></ul>",
            },
        ]
    )
    assert page.plain_text() == "Zakres prac\n\nWymiana licznika & plomb.\n- ul. Polna\n- ul. Leśna"


def test_publishing_keeps_a_targeted_page_behind_a_login(board):
    targeted = announcement(board, audience=Audience.ALL_CUSTOMERS)
    public = announcement(board, audience=Audience.PUBLIC)
    assert PageViewRestriction.objects.filter(page=targeted, restriction_type="login").exists()
    assert not PageViewRestriction.objects.filter(page=public).exists()
    targeted.audience = Audience.PUBLIC
    targeted.save_revision().publish()
    assert not PageViewRestriction.objects.filter(page=targeted).exists()


def test_scheduled_publishing_sends_when_it_goes_live(board, django_capture_on_commit_callbacks):
    customer_at("00-950")
    page = announcement(
        board,
        publish=False,
        severity=Severity.OUTAGE,
        audience=Audience.AREAS,
        postcodes="00-950",
        send_email=True,
        go_live_at=timezone.now() + timedelta(hours=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        page.get_latest_revision().publish()
    page.refresh_from_db()
    assert not page.live
    assert not Delivery.objects.filter(key__startswith=f"announcement:{page.pk}:").exists()
    # Two hours later (the revision's go-live time moved back instead of the clock on).
    went_live = timezone.now() - timedelta(minutes=1)
    revision = Revision.objects.get(pk=page.latest_revision_id)
    revision.content["go_live_at"] = went_live.isoformat()
    revision.approved_go_live_at = went_live
    revision.save(update_fields=["content", "approved_go_live_at"])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("publish_scheduled")
    page.refresh_from_db()
    assert page.live
    assert Delivery.objects.filter(key__startswith=f"announcement:{page.pk}:").count() == 1
