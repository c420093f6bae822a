import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from announcements.models import AnnouncementIndexPage, AnnouncementPage
from tests.factories import CustomerFactory, MembershipFactory, ServicePointFactory, UserFactory

_slugs = itertools.count(1)


@pytest.fixture
def board(home_page):
    """The published announcement board under the home page (with its outage workflow)."""
    board = AnnouncementIndexPage(title="Komunikaty", slug="komunikaty", intro="Tablica")
    home_page.add_child(instance=board)
    board.save_revision().publish()
    return board


def announcement(board, *, segments=(), customers=(), publish=True, **fields) -> AnnouncementPage:
    """An announcement under the board, published unless told otherwise (no fan-out runs
    unless the caller executes the on-commit callbacks)."""
    number = next(_slugs)
    fields.setdefault("title", f"Komunikat {number}")
    fields.setdefault("slug", f"komunikat-{number}")
    fields.setdefault("valid_from", timezone.now() - timedelta(hours=1))
    page = AnnouncementPage(live=publish, **fields)
    page.segments = list(segments)
    page.customers = list(customers)
    board.add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
        page.refresh_from_db()
    return page


def customer_at(postal_code="00-950", city="Warszawa", status="active", **user_fields):
    """A customer with one service point and an owner (returned: customer, owner)."""
    customer = CustomerFactory()
    ServicePointFactory(customer=customer, postal_code=postal_code, city=city, status=status)
    owner = UserFactory(**user_fields)
    MembershipFactory(customer=customer, user=owner, role="owner")
    return customer, owner
