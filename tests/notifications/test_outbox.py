"""The outbox: who gets what by which channel, quiet hours, retries, and never twice."""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from notifications.models import Category, Channel, Consent, Delivery, Preference
from notifications.services import (
    channels_for,
    notify,
    queue,
    record_consent,
    retry,
    save_notification_settings,
    set_preferences,
)
from notifications.tasks import MAX_ATTEMPTS, deliver, flush_outbox
from tests.factories import UserFactory
from tests.notifications.conftest import NOTICE

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


class Rollback(Exception):
    pass


def at(moment: datetime):
    """Make it `moment` for Django (rows written, the outbox's clock)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def person(db):
    return UserFactory(email="jan@example.pl", mobile_phone="+48 600 100 200")


def all_on(overrides=None) -> dict[tuple[str, str], bool]:
    """E-mail for everything, SMS for nothing, but for `overrides`."""
    choices = {(c.value, ch.value): ch == Channel.EMAIL for c in Category for ch in Channel}
    choices.update(overrides or {})
    return choices


# Who gets what


def test_defaults_preferences_and_consent_decide_the_channels(person):
    assert channels_for(person, Category.BILLING) == {Channel.EMAIL}
    assert channels_for(person, Category.OUTAGES) == {Channel.EMAIL, Channel.SMS}
    assert channels_for(person, Category.MARKETING) == set()

    set_preferences(
        person,
        all_on(
            {
                ("billing", "email"): False,
                ("billing", "sms"): True,
                ("account", "email"): False,
                ("marketing", "email"): True,
            }
        ),
    )
    assert channels_for(person, Category.BILLING) == {Channel.SMS}
    assert channels_for(person, Category.ACCOUNT) == {Channel.EMAIL}, "cannot be switched off"
    assert channels_for(person, Category.MARKETING) == set(), "no consent, no offers"
    record_consent(person, given=True, text="Zgoda")
    assert channels_for(person, Category.MARKETING) == {Channel.EMAIL}


@pytest.mark.parametrize("category", ["outages", "messages"])
def test_a_category_that_must_reach_people_cannot_be_silenced(person, category):
    choices = all_on({(category, "email"): False, (category, "sms"): False})
    with pytest.raises(ValidationError) as refused:
        set_preferences(person, choices)
    assert refused.value.params == {"category": category}
    assert not Preference.objects.exists()


def test_settings_are_saved_together_or_not_at_all(person):
    with pytest.raises(ValidationError):
        save_notification_settings(
            person,
            choices=all_on({("outages", "email"): False}),
            mobile_phone="",
            marketing_consent=True,
            consent_text="Zgoda",
            ip_address="203.0.113.5",
        )
    person.refresh_from_db()
    assert person.mobile_phone == "+48 600 100 200"
    assert not Preference.objects.exists() and not Consent.objects.exists()


def test_consent_history_is_kept_and_withdrawing_stops_offers(person):
    marketing_by_email = all_on({("marketing", "email"): True})
    given = save_notification_settings(
        person,
        choices=marketing_by_email,
        mobile_phone=person.mobile_phone,
        marketing_consent=True,
        consent_text="Zgadzam się",
        ip_address="203.0.113.5",
    )
    assert (given.given, given.text, given.ip_address) == (True, "Zgadzam się", "203.0.113.5")
    assert channels_for(person, Category.MARKETING) == {Channel.EMAIL}
    unchanged = save_notification_settings(
        person,
        choices=marketing_by_email,
        mobile_phone=person.mobile_phone,
        marketing_consent=True,
        consent_text="Zgadzam się",
    )
    assert unchanged is None, "no new row while nothing changes"
    withdrawn = save_notification_settings(
        person,
        choices=marketing_by_email,
        mobile_phone=person.mobile_phone,
        marketing_consent=False,
        consent_text="Zgadzam się",
    )
    assert withdrawn.given is False
    assert list(Consent.objects.filter(user=person).values_list("given", flat=True)) == [
        False,
        True,
    ]
    assert (
        Preference.objects.get(user=person, category="marketing", channel="email").enabled is False
    )
    record_consent(person, given=True, text="Zgadzam się")
    assert channels_for(person, Category.MARKETING) == set(), "a new consent needs a channel"


def test_notify_writes_a_row_per_channel_and_renders_each(
    person, notice_templates, mailoutbox, recorded_sms, django_capture_on_commit_callbacks
):
    noon = datetime(2026, 11, 20, 12, 0, tzinfo=WARSAW)
    with at(noon), django_capture_on_commit_callbacks(execute=True):
        deliveries = notify(
            person, category=Category.OUTAGES, template=NOTICE, context=notice_templates, key="o:1"
        )
    assert sorted(d.key for d in deliveries) == ["o:1:email", "o:1:sms"]
    assert [m.subject for m in mailoutbox] == ["Przerwa w dostawie ul. Polna"]
    assert mailoutbox[0].body == "Dnia 12.01 nie będzie prądu na ul. Polna.\n"
    assert mailoutbox[0].extra_headers["X-Okienko-Delivery"] == "o:1:email"
    assert recorded_sms == [("+48 600 100 200", "Przerwa 12.01, ul. Polna")]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_no_sms_without_a_phone_and_the_subject_where_an_event_has_no_sms_text(
    notice_templates, recorded_sms, django_capture_on_commit_callbacks
):
    noon = datetime(2026, 11, 20, 12, 0, tzinfo=WARSAW)
    no_phone = UserFactory()
    with at(noon), django_capture_on_commit_callbacks(execute=True):
        written = notify(
            no_phone, category=Category.OUTAGES, template=NOTICE, context={}, key="o:2"
        )
    assert [d.channel for d in written] == ["email"]
    with_phone = UserFactory(mobile_phone="600100200")
    with at(noon), django_capture_on_commit_callbacks(execute=True):
        notify(
            with_phone,
            category=Category.OUTAGES,
            template="probe/no_sms",
            context=notice_templates,
            key="o:3",
        )
    assert recorded_sms == [("600100200", "Temat ul. Polna")]


# Never twice, never for a change that did not happen


def test_the_same_key_is_written_and_sent_once(
    person, notice_templates, mailoutbox, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                person,
                category=Category.BILLING,
                template=NOTICE,
                context=notice_templates,
                key="invoice:7",
            )
    assert Delivery.objects.count() == 1
    assert len(mailoutbox) == 1


def test_delivering_a_row_twice_sends_it_once(
    person, notice_templates, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = notify(
            person, category=Category.BILLING, template=NOTICE, context=notice_templates, key="k"
        )
    assert deliver(delivery.pk) == "done or busy"
    assert len(mailoutbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_a_notice_whose_transaction_rolled_back_is_never_sent(
    person, notice_templates, mailoutbox, recorded_sms, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        assert notify(
            person, category=Category.OUTAGES, template=NOTICE, context=notice_templates, key="r"
        )
        raise Rollback
    assert callbacks == []
    assert not Delivery.objects.exists()
    assert mailoutbox == [] and recorded_sms == []
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_outbox() == 0
    assert mailoutbox == []


# Quiet hours


def test_an_sms_written_at_night_waits_for_eight_in_the_morning(
    person, notice_templates, mailoutbox, recorded_sms, django_capture_on_commit_callbacks
):
    evening = datetime(2026, 11, 20, 22, 30, tzinfo=WARSAW)
    with at(evening), django_capture_on_commit_callbacks(execute=True):
        notify(
            person, category=Category.OUTAGES, template=NOTICE, context=notice_templates, key="n"
        )
    assert len(mailoutbox) == 1, "e-mail goes at once"
    sms = Delivery.objects.get(channel="sms")
    assert sms.not_before == datetime(2026, 11, 21, 8, 0, tzinfo=WARSAW)
    assert (sms.status, recorded_sms) == ("pending", [])

    for moment in (evening + timedelta(minutes=1), datetime(2026, 11, 21, 7, 59, tzinfo=WARSAW)):
        with at(moment), django_capture_on_commit_callbacks(execute=True):
            assert deliver(sms.pk) == "held"
            assert flush_outbox() == 0
    assert recorded_sms == []

    with (
        at(datetime(2026, 11, 21, 8, 0, tzinfo=WARSAW)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert flush_outbox() == 1
    sms.refresh_from_db()
    assert sms.status == "sent" and len(recorded_sms) == 1
    assert len(mailoutbox) == 1


def test_an_sms_written_before_dawn_waits_until_eight_the_same_day(person):
    dawn = datetime(2026, 11, 21, 5, 0, tzinfo=WARSAW)
    with at(dawn):
        sms = queue(
            key="d", channel="sms", category="outages", to="600100200", subject="", body="x"
        )
    assert sms.not_before == datetime(2026, 11, 21, 8, 0, tzinfo=WARSAW)


# Failures: backoff, giving up, retry


def test_a_failing_email_is_retried_with_backoff_until_it_fails(
    person, notice_templates, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FailingEmailBackend"
    moment = datetime(2026, 11, 20, 10, 0, tzinfo=WARSAW)
    with at(moment), django_capture_on_commit_callbacks(execute=True):
        (delivery,) = notify(
            person, category=Category.BILLING, template=NOTICE, context=notice_templates, key="f"
        )
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert "421 service not available" in delivery.last_error
        if attempt == MAX_ATTEMPTS:
            break
        assert delivery.status == "pending"
        waits.append(delivery.not_before - moment)
        with at(delivery.not_before - timedelta(seconds=1)):
            assert deliver(delivery.pk) == "held"
        moment = delivery.not_before
        with at(moment):
            assert deliver(delivery.pk) == "failed"
    assert waits == [timedelta(minutes=2**n) for n in range(MAX_ATTEMPTS - 1)]
    assert delivery.status == "failed"
    with at(moment + timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        assert flush_outbox() == 0, "a failed row waits for staff"


def test_a_failing_sms_retried_into_the_night_waits_for_the_morning(person, recorded_sms):
    from tests.notifications.backends import RecordingSmsBackend

    RecordingSmsBackend.fail_with = "SMSAPI error 8: gateway busy"
    moment = datetime(2026, 11, 20, 20, 59, 30, tzinfo=WARSAW)
    with at(moment):
        sms = queue(
            key="s", channel="sms", category="outages", to="600100200", subject="", body="x"
        )
        assert deliver(sms.pk) == "failed"
    sms.refresh_from_db()
    assert sms.not_before == datetime(2026, 11, 21, 8, 0, tzinfo=WARSAW)
    assert sms.last_error == "SmsError: SMSAPI error 8: gateway busy"


def test_an_unexpected_fault_counts_as_an_attempt(person, settings):
    settings.SMS_BACKEND = "notifications.sms.SmsApiBackend"
    del settings.SMSAPI_TOKEN  # a misconfigured gateway
    sms = queue(key="u", channel="sms", category="outages", to="600100200", subject="", body="x")
    with mock.patch("django.utils.timezone.now", return_value=sms.not_before):
        assert deliver(sms.pk) == "failed"
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("pending", 1)
    assert sms.last_error.startswith("AttributeError")


def test_flush_picks_only_the_due_rows(person, mailoutbox, django_capture_on_commit_callbacks):
    now = datetime(2026, 11, 20, 10, 0, tzinfo=WARSAW)
    with at(now - timedelta(hours=1)):
        due = [
            queue(
                key=f"due{n}",
                channel="email",
                category="billing",
                to="a@example.pl",
                subject=f"S{n}",
                body="b",
            )
            for n in range(3)
        ]
        later = queue(
            key="later",
            channel="email",
            category="billing",
            to="b@example.pl",
            subject="L",
            body="b",
        )
        gone = queue(
            key="gone",
            channel="email",
            category="billing",
            to="c@example.pl",
            subject="G",
            body="b",
        )
    Delivery.objects.filter(pk=later.pk).update(not_before=now + timedelta(minutes=5))
    Delivery.objects.filter(pk=gone.pk).update(status="failed")
    with at(now), django_capture_on_commit_callbacks(execute=True):
        assert flush_outbox() == 3
    assert sorted(m.subject for m in mailoutbox) == ["S0", "S1", "S2"]
    assert set(
        Delivery.objects.filter(pk__in=[d.pk for d in due]).values_list("status", flat=True)
    ) == {"sent"}
    assert Delivery.objects.get(pk=later.pk).status == "pending"
    with at(now + timedelta(minutes=5)), django_capture_on_commit_callbacks(execute=True):
        assert flush_outbox() == 1
    assert Delivery.objects.get(pk=later.pk).status == "sent"


def test_retry_puts_failed_rows_back_and_keeps_their_attempts(
    person, mailoutbox, django_capture_on_commit_callbacks
):
    failed = queue(
        key="x", channel="email", category="billing", to="a@example.pl", subject="S", body="b"
    )
    sent = queue(
        key="y", channel="email", category="billing", to="b@example.pl", subject="T", body="b"
    )
    Delivery.objects.filter(pk=failed.pk).update(status="failed", attempts=MAX_ATTEMPTS)
    Delivery.objects.filter(pk=sent.pk).update(status="sent", attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert retry([failed, sent]) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", MAX_ATTEMPTS + 1)
    assert [m.subject for m in mailoutbox] == ["S"]


def test_a_notice_sent_again_carries_the_same_message_id(
    person, notice_templates, mailoutbox, django_capture_on_commit_callbacks
):
    """A worker killed between the mail server's yes and the row's commit sends once more;
    the repeat has the first one's Message-ID, so a mailbox can tell it is the same."""
    from notifications.tasks import deliver, message_id

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            person, category=Category.ACCOUNT, template=NOTICE, context=notice_templates, key="a:1"
        )
    delivery = Delivery.objects.get(key="a:1:email")
    Delivery.objects.filter(pk=delivery.pk).update(status="pending", sent_at=None)
    deliver(delivery.pk)
    first, again = (m.extra_headers["Message-ID"] for m in mailoutbox)
    assert first == again
    assert first.startswith("<") and first.endswith(">") and "@" in first
    assert message_id("a:2:email") != first
