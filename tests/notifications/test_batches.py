"""The outbox in bulk: one notice to many users, and many rows sent by one task."""

import math
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import Category, Channel, Delivery, Preference
from notifications.services import (
    channels_for,
    channels_for_users,
    notify_many,
    queue,
    record_consent,
)
from notifications.tasks import SEND_CHUNK, deliver_batch, flush_outbox
from tests.factories import UserFactory
from tests.notifications.conftest import NOTICE

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=WARSAW)


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def people(count: int, **fields) -> list:
    return [UserFactory(mobile_phone="600100200", **fields) for _ in range(count)]


def row(key: str, to: str, channel: str = Channel.EMAIL) -> Delivery:
    return queue(key=key, channel=channel, category="billing", to=to, subject=key, body="b")


# One notice to many users


def test_bulk_channels_are_what_each_user_chose(db):
    default, email_off, sms_on, consented, withdrawn = people(5)
    Preference.objects.create(
        user=email_off, category=Category.OUTAGES, channel=Channel.EMAIL, enabled=False
    )
    Preference.objects.create(
        user=sms_on, category=Category.ANNOUNCEMENTS, channel=Channel.SMS, enabled=True
    )
    for user in (consented, withdrawn):
        Preference.objects.create(
            user=user, category=Category.MARKETING, channel=Channel.EMAIL, enabled=True
        )
        record_consent(user, given=True, text="Zgoda")
    record_consent(withdrawn, given=False, text="Zgoda")
    users = [default, email_off, sms_on, consented, withdrawn]

    for category in Category:
        with CaptureQueriesContext(connection) as queries:
            bulk = channels_for_users(users, category)
        assert bulk == {user.pk: channels_for(user, category) for user in users}, category
        expected = {Category.ACCOUNT: 0, Category.MARKETING: 2}.get(category, 1)
        assert len(queries) == expected, category
    assert channels_for_users(users, Category.OUTAGES)[email_off.pk] == {Channel.SMS}
    assert channels_for_users(users, Category.MARKETING) == {
        default.pk: set(),
        email_off.pk: set(),
        sms_on.pk: set(),
        consented.pk: {Channel.EMAIL},
        withdrawn.pk: set(),
    }


def test_many_users_are_told_by_their_channels_and_the_text_is_rendered_once(
    notice_templates, mailoutbox, recorded_sms, django_capture_on_commit_callbacks
):
    users = people(4)
    no_phone = UserFactory()
    Preference.objects.create(
        user=users[0], category=Category.OUTAGES, channel=Channel.SMS, enabled=False
    )
    Preference.objects.create(
        user=users[1], category=Category.OUTAGES, channel=Channel.EMAIL, enabled=False
    )
    with (
        at(NOON),
        mock.patch.object(services, "render_to_string", wraps=services.render_to_string) as drawn,
        django_capture_on_commit_callbacks(execute=True),
    ):
        written = notify_many(
            [*users, no_phone],
            category=Category.OUTAGES,
            template=NOTICE,
            context=notice_templates,
            key="outage:9",
        )
    assert drawn.call_count == 3, "subject, body and SMS text, once each"
    keys = set(Delivery.objects.filter(pk__in=written).values_list("key", flat=True))
    assert keys == {
        *(f"outage:9:{u.pk}:email" for u in [users[0], users[2], users[3], no_phone]),
        *(f"outage:9:{u.pk}:sms" for u in users[1:]),
    }, "the keys `notify` would write; no SMS without a phone or for who turned it off"
    assert len(mailoutbox) == 4 and len(recorded_sms) == 3
    assert {m.subject for m in mailoutbox} == {"Przerwa w dostawie ul. Polna"}
    assert set(recorded_sms) == {("600100200", "Przerwa 12.01, ul. Polna")}
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_notice_told_already_is_neither_written_nor_queued_again(
    notice_templates, django_capture_on_commit_callbacks
):
    users = people(3)
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_many(
            users[:2], category=Category.BILLING, template=NOTICE, context={}, key="n"
        )
    assert len(first) == 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = notify_many(users, category=Category.BILLING, template=NOTICE, context={}, key="n")
    assert again == list(Delivery.objects.filter(user=users[2]).values_list("pk", flat=True))
    assert len(callbacks) == 1, "one task, for the one new row"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert (
            notify_many(users, category=Category.BILLING, template=NOTICE, context={}, key="n")
            == []
        )
    assert callbacks == [], "publishing again queues nothing"
    assert Delivery.objects.count() == 3


@pytest.mark.parametrize("count", [1, 5, 7])
def test_one_task_per_batch_of_rows_published_on_commit(
    count, notice_templates, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("notifications.tasks.DELIVER_BATCH", 3)
    users = people(count)
    with (
        mock.patch("celery.app.task.Task.apply_async") as published,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        written = notify_many(
            users, category=Category.BILLING, template=NOTICE, context={}, key="t"
        )
    assert len(written) == count
    assert len(callbacks) == published.call_count == math.ceil(count / 3)
    handed_out = [call.args[0][0] for call in published.call_args_list]
    assert sorted(pk for ids in handed_out for pk in ids) == sorted(written)


def test_notifying_more_users_takes_no_more_queries(notice_templates):
    def queries_for(users, key):
        with CaptureQueriesContext(connection) as queries:
            notify_many(users, category=Category.OUTAGES, template=NOTICE, context={}, key=key)
        return len(queries)

    assert queries_for(people(2), "a") == queries_for(people(12), "b")


def test_an_sms_to_many_written_at_night_waits_for_the_morning(
    notice_templates, recorded_sms, django_capture_on_commit_callbacks
):
    evening = datetime(2026, 11, 20, 22, 30, tzinfo=WARSAW)
    with at(evening), django_capture_on_commit_callbacks(execute=True):
        notify_many(
            people(2),
            category=Category.OUTAGES,
            template=NOTICE,
            context={},
            key="night",
            channels={Channel.SMS},
        )
    assert set(Delivery.objects.values_list("channel", "status", "not_before")) == {
        ("sms", "pending", datetime(2026, 11, 21, 8, 0, tzinfo=WARSAW))
    }
    assert recorded_sms == []


# Many rows sent by one task


@pytest.fixture
def flaky_mail(settings, tmp_path):
    """A mail server that refuses the first message to addresses starting with "flaky"."""
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakyEmailBackend"
    settings.FLAKY_MAIL_DIR = str(tmp_path)
    settings.FLAKY_MAIL_FAILURES = 1
    return tmp_path


def test_a_failing_row_backs_off_and_the_rest_of_the_batch_is_sent(
    flaky_mail, db, django_capture_on_commit_callbacks
):
    with at(NOON):
        rows = [row(f"b{n}", f"ok{n}@example.pl") for n in range(4)]
        rows.insert(2, row("bad", "flaky@example.pl"))
        assert deliver_batch([r.pk for r in rows]) == {"sent": 4, "failed": 1}
    failed = Delivery.objects.get(key="bad")
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert failed.not_before == NOON + timedelta(minutes=1)
    assert "451 try again later" in failed.last_error
    assert set(Delivery.objects.exclude(key="bad").values_list("status", "attempts")) == {
        ("sent", 1)
    }
    assert all((flaky_mail / f"ok{n}@example.pl.sent").exists() for n in range(4))

    with at(NOON + timedelta(seconds=30)):
        assert deliver_batch([r.pk for r in rows]) == {"sent": 0, "failed": 0}, "held back"
    with at(NOON + timedelta(minutes=1)), django_capture_on_commit_callbacks(execute=True):
        assert flush_outbox() == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.sent_at) == (
        "sent",
        2,
        NOON + timedelta(minutes=1),
    )
    assert len((flaky_mail / "ok0@example.pl.attempts").read_text().splitlines()) == 1


def test_a_row_gives_up_in_a_batch_as_it_would_alone(settings, db):
    from notifications.tasks import MAX_ATTEMPTS

    settings.EMAIL_BACKEND = "tests.notifications.backends.FailingEmailBackend"
    with at(NOON):
        failing = row("f", "a@example.pl")
    Delivery.objects.filter(pk=failing.pk).update(attempts=MAX_ATTEMPTS - 1)
    with at(NOON):
        assert deliver_batch([failing.pk]) == {"sent": 0, "failed": 1}
    failing.refresh_from_db()
    assert (failing.status, failing.attempts) == ("failed", MAX_ATTEMPTS)


def test_a_batch_sends_each_row_once_and_leaves_others_alone(mailoutbox, recorded_sms, db):
    with at(NOON):
        rows = [row(f"e{n}", f"e{n}@example.pl") for n in range(3)]
        text = row("s", "600100200", Channel.SMS)
        later = row("later", "l@example.pl")
    Delivery.objects.filter(pk=later.pk).update(not_before=NOON + timedelta(hours=1))
    ids = [r.pk for r in [*rows, text, later]]
    with at(NOON):
        assert deliver_batch(ids) == {"sent": 4, "failed": 0}
        assert deliver_batch(ids) == {"sent": 0, "failed": 0}
    assert sorted(m.subject for m in mailoutbox) == ["e0", "e1", "e2"]
    assert all(m.extra_headers["X-Okienko-Delivery"] == m.subject for m in mailoutbox)
    assert recorded_sms == [("600100200", "b")]
    assert Delivery.objects.get(pk=text.pk).provider_id == "rec-1"
    assert Delivery.objects.get(pk=later.pk).status == "pending"


def test_a_batch_takes_the_same_queries_for_every_send_chunk(db):
    def queries_for(count: int, prefix: str) -> int:
        with at(NOON):
            ids = [row(f"{prefix}{n}", f"{prefix}{n}@example.pl").pk for n in range(count)]
            with CaptureQueriesContext(connection) as queries:
                assert deliver_batch(ids)["sent"] == count
        return len(queries)

    # SAVEPOINT, the locking SELECT, one UPDATE, RELEASE, for each SEND_CHUNK rows.
    assert queries_for(3, "a") == queries_for(SEND_CHUNK, "b") == 4
    assert queries_for(4 * SEND_CHUNK, "c") == 16


def test_flush_hands_out_batches(monkeypatch, db, django_capture_on_commit_callbacks):
    monkeypatch.setattr("notifications.tasks.DELIVER_BATCH", 2)
    with at(NOON):
        rows = [row(f"f{n}", f"f{n}@example.pl") for n in range(5)]
    with (
        at(NOON),
        mock.patch("celery.app.task.Task.apply_async") as published,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert flush_outbox() == 5
    handed_out = [call.args[0][0] for call in published.call_args_list]
    assert [len(ids) for ids in handed_out] == [2, 2, 1]
    assert sorted(pk for ids in handed_out for pk in ids) == sorted(r.pk for r in rows)
