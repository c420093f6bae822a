from datetime import timedelta

import pytest
from django.utils import timezone

from announcements.audience import (
    customers_for,
    parse_localities,
    parse_postcodes,
    prefixes_of,
    users_for,
)
from announcements.models import AnnouncementPage, Audience, Severity
from announcements.services import notify_audience
from customers.models import Membership
from notifications.models import Category, Channel, Delivery, Preference
from tests.factories import CustomerFactory, MembershipFactory, SegmentFactory, UserFactory

from .conftest import announcement, customer_at

pytestmark = pytest.mark.django_db

MOBILE = "+48600100200"


def test_postcodes_are_read_one_per_line_or_comma_separated_and_normalized():
    prefixes, invalid = parse_postcodes("00-950, 00950\n00-9;  05 -\n\n02 512, Warszawa, 123456")
    assert prefixes == ["00-950", "00-9", "05", "02-512"]
    assert invalid == ["Warszawa", "123456"]
    assert parse_localities(" Łódź \n\nPiaseczno\nŁódź\nNowe Miasto nad Pilicą") == [
        "Łódź",
        "Piaseczno",
        "Nowe Miasto nad Pilicą",
    ]
    assert prefixes_of("00-950") == ["0", "00", "00-9", "00-95", "00-950"]


@pytest.fixture
def area_world(board):
    """Who lives where, for an outage announced for 00-950."""
    inside, owner_inside = customer_at("00-950", mobile_phone=MOBILE)
    no_sms, owner_no_sms = customer_at("00-950", mobile_phone=MOBILE)
    Preference.objects.create(
        user=owner_no_sms, category=Category.OUTAGES, channel=Channel.SMS, enabled=False
    )
    without_phone = UserFactory()  # a second user of the same customer, no mobile phone
    MembershipFactory(customer=no_sms, user=without_phone, role="billing")
    revoked = UserFactory(mobile_phone=MOBILE)
    MembershipFactory(customer=inside, user=revoked, role="billing", status="revoked")
    elsewhere, owner_elsewhere = customer_at("30-001", "Kraków", mobile_phone=MOBILE)
    terminated, owner_terminated = customer_at("00-950", status="terminated", mobile_phone=MOBILE)
    # One person using two customers in the area is told once.
    MembershipFactory(customer=no_sms, user=owner_inside, role="read_only")
    return {
        "customers_in": {inside, no_sms},
        "customers_out": {elsewhere, terminated},
        "users_in": {owner_inside, owner_no_sms, without_phone},
        "sms_to": {owner_inside},
        "users_out": {revoked, owner_elsewhere, owner_terminated},
    }


def outage(board, **fields):
    fields = {
        "severity": Severity.OUTAGE,
        "audience": Audience.AREAS,
        "postcodes": "00-950",
        "send_email": True,
        "send_sms": True,
        **fields,
    }
    return announcement(board, **fields)


def test_an_outage_for_a_postal_code_reaches_exactly_the_customers_served_there(
    board, area_world, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        page = outage(board)

    assert set(customers_for(page)) == area_world["customers_in"]
    assert set(users_for(page)) == area_world["users_in"]
    assert users_for(page).count() == 3  # one user once, though a member of two customers

    emails = Delivery.objects.filter(channel=Channel.EMAIL)
    sms = Delivery.objects.filter(channel=Channel.SMS)
    assert {d.user for d in emails} == area_world["users_in"]
    assert {d.user for d in sms} == area_world["sms_to"]
    assert emails.count() == 3 and sms.count() == 1
    assert set(Delivery.objects.values_list("category", flat=True)) == {Category.OUTAGES}
    assert {d.key for d in emails} == {
        f"announcement:{page.pk}:{user.pk}:email" for user in area_world["users_in"]
    }
    assert len(mailoutbox) == 3
    assert not Delivery.objects.filter(user__in=area_world["users_out"]).exists()


def test_publishing_again_sends_nothing_more(
    board, area_world, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        page = outage(board)
    before = Delivery.objects.count()
    page.title = "Poprawiony komunikat o przerwie"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page.save_revision().publish()
    assert callbacks  # the fan-out ran again…
    assert Delivery.objects.count() == before == 4  # …and found everyone told already
    assert len(mailoutbox) == 3


def test_the_notice_has_the_title_severity_validity_text_and_link(
    board, area_world, django_capture_on_commit_callbacks, mailoutbox
):
    long_title = ("Przerwa w dostawie energii " + "bardzo długiego tytułu " * 8).strip()
    with django_capture_on_commit_callbacks(execute=True):
        page = outage(
            board,
            title=long_title,
            valid_to=timezone.now() + timedelta(days=2),
            body=[
                {"type": "heading", "value": {"text": "Gdzie", "level": "h2"}},
                {"type": "paragraph", "value": "<p>Ulice <b>Polna</b> &amp; Leśna.</p>"},
            ],
        )
    message = mailoutbox[0]
    assert long_title in message.subject
    assert "Gdzie\n\nUlice Polna & Leśna." in message.body
    assert page.get_full_url() in message.body
    text = Delivery.objects.get(channel=Channel.SMS).body
    assert len(text) <= 160
    assert text.endswith("/account/announcements/")


def test_batches_reach_everyone_and_skip_those_told(board, area_world):
    page = outage(board)
    assert notify_audience(page.pk, batch_size=2) == 4
    assert notify_audience(page.pk, batch_size=2) == 0
    assert Delivery.objects.count() == 4


def test_nothing_is_sent_for_public_ended_or_channel_less_announcements(
    board, area_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announcement(board, audience=Audience.PUBLIC)
        outage(board, send_email=False, send_sms=False)
    ended = outage(board, valid_to=timezone.now() - timedelta(minutes=1))
    assert notify_audience(ended.pk) == 0
    assert not Delivery.objects.exists()


def test_an_important_notice_goes_by_the_announcements_category(
    board, area_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announcement(
            board,
            severity=Severity.IMPORTANT,
            audience=Audience.AREAS,
            postcodes="00-9",
            send_email=True,
            send_sms=True,
        )
    # SMS is off by default for announcements: only e-mails go out.
    assert set(Delivery.objects.values_list("category", "channel")) == {
        (Category.ANNOUNCEMENTS, Channel.EMAIL)
    }
    assert Delivery.objects.count() == 3


def test_segments_and_chosen_customers(board):
    households = SegmentFactory(code="households")
    business = SegmentFactory(code="business")
    home, _ = customer_at()
    home.segments.add(households)
    firm, _ = customer_at()
    firm.segments.add(business)
    both, _ = customer_at()
    both.segments.add(households, business)
    nobody, _ = customer_at()

    for_households = announcement(board, audience=Audience.SEGMENTS, segments=[households])
    assert set(customers_for(for_households)) == {home, both}
    for_firm = announcement(board, audience=Audience.CUSTOMERS, customers=[firm, nobody])
    assert set(customers_for(for_firm)) == {firm, nobody}

    assert set(AnnouncementPage.objects.for_customer(both)) == {for_households}
    assert set(AnnouncementPage.objects.for_customer(nobody)) == {for_firm}
    assert set(AnnouncementPage.objects.for_customer(home)) == {for_households}


def test_localities_match_the_city_of_an_active_point_regardless_of_case(board):
    lodz, _ = customer_at("90-001", "Łódź")
    lodz_upper, _ = customer_at("90-002", "ŁÓDŹ")
    piaseczno, _ = customer_at("05-500", "Piaseczno")
    customer_at("30-001", "Kraków")
    customer_at("90-003", "Łódź", status="terminated")

    page = announcement(board, audience=Audience.AREAS, localities="łódź\n  piaseczno ")
    assert set(customers_for(page)) == {lodz, lodz_upper, piaseczno}
    for customer in (lodz, lodz_upper, piaseczno):
        assert list(AnnouncementPage.objects.for_customer(customer)) == [page]


def test_a_prefix_covers_the_codes_that_start_with_it(board):
    near, _ = customer_at("00-901")
    inside, _ = customer_at("00-950")
    outside, _ = customer_at("00-850")
    page = announcement(board, audience=Audience.AREAS, postcodes="00-9")
    assert set(customers_for(page)) == {near, inside}
    assert list(AnnouncementPage.objects.for_customer(outside)) == []
    assert list(AnnouncementPage.objects.for_customer(near)) == [page]


def test_all_customers_means_every_active_member(board):
    first, owner = customer_at()
    second, other = customer_at("30-001", "Kraków")
    inactive = UserFactory(is_active=False)
    MembershipFactory(customer=first, user=inactive)
    CustomerFactory()  # a customer without portal users
    page = announcement(board, audience=Audience.ALL_CUSTOMERS)
    assert set(users_for(page)) == {owner, other}
    assert Membership.objects.count() == 3


def test_resolution_takes_a_few_queries_whatever_the_number_of_customers(
    board, django_assert_max_num_queries
):
    for n in range(30):
        customer_at(f"00-9{n:02d}", "Warszawa" if n % 2 else "Łódź")
    page = announcement(board, audience=Audience.AREAS, postcodes="00-9", localities="Łódź")
    with django_assert_max_num_queries(2):
        assert len(list(users_for(page))) == 30
