import pytest
from django.core.management import call_command
from wagtail.models import Site

from announcements.audience import customers_for, users_for
from announcements.models import AnnouncementIndexPage, AnnouncementPage, Audience, Severity
from announcements.moderation import OUTAGE_APPROVAL
from customers.models import ServicePoint
from notifications.models import Category, Delivery

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_board_with_announcements_of_every_kind(
    django_capture_on_commit_callbacks, capsys
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", customers=20)
    board = AnnouncementIndexPage.objects.get()
    assert board.get_parent().pk == Site.objects.get(is_default_site=True).root_page_id
    assert board.live and board.show_in_menus
    assert board.get_workflow().name == OUTAGE_APPROVAL
    pages = AnnouncementPage.objects.child_of(board).live()
    assert {page.severity for page in pages} == set(Severity.values)
    assert pages.filter(pinned=True).exists()
    assert pages.filter(audience=Audience.PUBLIC, severity=Severity.INFORMATION).exists()
    assert pages.filter(audience=Audience.ALL_CUSTOMERS, severity=Severity.IMPORTANT).exists()

    outage = pages.get(severity=Severity.OUTAGE)
    served_there = ServicePoint.objects.active().filter(postal_code="02-512")
    assert served_there.exists(), "the demo household lives in 02-512"
    assert set(customers_for(outage)) == {point.customer for point in served_there}
    told = Delivery.objects.filter(category=Category.OUTAGES, key__startswith="announcement:")
    # by e-mail: the demo users have no mobile phone for the SMS
    assert told.count() == len(users_for(outage)) > 0
    assert "Planowana przerwa" in capsys.readouterr().out


def test_the_demo_twice_adds_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", customers=20)
    counts = (AnnouncementPage.objects.count(), Delivery.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", customers=20)
    assert (AnnouncementPage.objects.count(), Delivery.objects.count()) == counts
