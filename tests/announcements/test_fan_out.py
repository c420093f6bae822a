"""Telling a large audience: parts the workers share, batches of rows per task, each user's
choices honoured and nobody told twice."""

import math
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from announcements import services
from announcements.models import Audience, Severity
from announcements.services import audience_parts, notify_audience
from notifications.models import Category, Channel, Delivery, Preference
from notifications.tasks import deliver_batch
from tests.factories import UserFactory

from .conftest import announcement, customer_at

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))


def audience(count: int, **user_fields) -> list:
    """`count` customers with an owner each; the owners, by pk."""
    return sorted((customer_at(**user_fields)[1] for _ in range(count)), key=lambda u: u.pk)


def for_everyone(board, **fields):
    return announcement(
        board, audience=Audience.ALL_CUSTOMERS, send_email=True, send_sms=False, **fields
    )


def test_a_large_audience_is_cut_into_parts_that_together_reach_everyone(
    board, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "PART_SIZE", 2)
    users = audience(5)
    with (
        mock.patch.object(services, "notify_audience", wraps=notify_audience) as parts,
        django_capture_on_commit_callbacks(execute=True),
    ):
        page = for_everyone(board)
    cuts = [(call.kwargs["after"], call.kwargs["up_to"]) for call in parts.call_args_list]
    assert cuts == [(0, users[1].pk), (users[1].pk, users[3].pk), (users[3].pk, None)]
    assert sorted(Delivery.objects.values_list("key", flat=True)) == sorted(
        f"announcement:{page.pk}:{user.pk}:email" for user in users
    )
    assert len(mailoutbox) == 5


def test_a_small_audience_is_one_part(board):
    audience(3)
    page = for_everyone(board)
    assert audience_parts(page.pk, size=3) == [(0, None)]
    assert audience_parts(page.pk, size=5000) == [(0, None)]


@pytest.mark.parametrize(("users", "batch_size"), [(5, 2), (4, 2), (3, 500)])
def test_one_delivery_task_per_batch_of_users(
    board, users, batch_size, django_capture_on_commit_callbacks
):
    audience(users)
    page = for_everyone(board)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert notify_audience(page.pk, batch_size=batch_size) == users
    assert len(callbacks) == math.ceil(users / batch_size)


def test_each_user_gets_the_channels_they_chose(board, django_capture_on_commit_callbacks):
    default, sms_instead, silent = audience(3, mobile_phone="+48600100200")
    no_phone = audience(1)[0]
    for user in (sms_instead, silent, no_phone):
        Preference.objects.create(
            user=user, category=Category.ANNOUNCEMENTS, channel=Channel.EMAIL, enabled=False
        )
    for user in (sms_instead, no_phone):
        Preference.objects.create(
            user=user, category=Category.ANNOUNCEMENTS, channel=Channel.SMS, enabled=True
        )
    with mock.patch("django.utils.timezone.now", return_value=NOON):
        page = announcement(
            board,
            audience=Audience.ALL_CUSTOMERS,
            severity=Severity.IMPORTANT,
            send_email=True,
            send_sms=True,
            valid_from=NOON,
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert notify_audience(page.pk) == 2
    assert set(Delivery.objects.values_list("user", "channel", "category")) == {
        (default.pk, Channel.EMAIL, Category.ANNOUNCEMENTS),
        (sms_instead.pk, Channel.SMS, Category.ANNOUNCEMENTS),
    }


def test_publishing_again_queues_no_task(board, mailoutbox, django_capture_on_commit_callbacks):
    audience(3)
    with django_capture_on_commit_callbacks(execute=True):
        page = for_everyone(board)
    assert len(mailoutbox) == 3
    page.title = "Poprawka"
    with (
        mock.patch.object(deliver_batch, "delay") as queued,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        page.save_revision().publish()
    assert callbacks, "the fan-out ran again"
    queued.assert_not_called()
    assert Delivery.objects.count() == 3 and len(mailoutbox) == 3


def test_a_user_who_joins_later_is_told_on_the_next_publication(
    board, django_capture_on_commit_callbacks
):
    audience(2)
    with django_capture_on_commit_callbacks(execute=True):
        page = for_everyone(board)
    newcomer = audience(1)[0]
    UserFactory()  # no customer: not in the audience
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert Delivery.objects.count() == 3
    assert Delivery.objects.filter(user=newcomer).exists()


def test_a_fan_out_whose_task_was_lost_is_started_again_after_the_grace(
    board, settings, django_capture_on_commit_callbacks
):
    """Publishing marks the fan-out pending; its task, lost (the broker was down at commit
    time, so the callback never ran), is started again by the sweep once the grace is over."""
    from datetime import timedelta

    from announcements.models import PendingFanOut
    from announcements.tasks import resume_fan_outs

    users = audience(3)
    with django_capture_on_commit_callbacks(execute=False):
        page = for_everyone(board)
    assert PendingFanOut.objects.filter(page=page).exists()
    assert Delivery.objects.count() == 0

    settings.FAN_OUT_GRACE_SECONDS = 120
    assert resume_fan_outs() == 0, "within the grace the first task may still come"
    PendingFanOut.objects.update(since=PendingFanOut.objects.get().since - timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_fan_outs() == 1
    assert Delivery.objects.filter(key__startswith=f"announcement:{page.pk}:").count() == len(users)
    assert not PendingFanOut.objects.exists()
    assert resume_fan_outs() == 0


def test_a_fan_out_that_ran_leaves_nothing_pending(board, django_capture_on_commit_callbacks):
    from announcements.models import PendingFanOut

    audience(2)
    with django_capture_on_commit_callbacks(execute=True):
        for_everyone(board)
    assert Delivery.objects.count() == 2
    assert not PendingFanOut.objects.exists()
