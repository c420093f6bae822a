from datetime import date

import pytest

from metering.windows import self_reading_at, state_on, window_for
from tests.factories import (
    CustomerFactory,
    ReadingWindowFactory,
    SegmentFactory,
    ServicePointFactory,
)


def window(start, end):
    from metering.models import ReadingWindow

    return ReadingWindow(name="w", start_day=start, end_day=end)


@pytest.mark.parametrize(
    ("today", "is_open", "opened", "closes", "next_opens"),
    [
        (date(2026, 11, 24), False, None, None, date(2026, 11, 25)),
        (date(2026, 11, 25), True, date(2026, 11, 25), date(2026, 12, 5), None),
        (date(2026, 12, 3), True, date(2026, 11, 25), date(2026, 12, 5), None),
        (date(2026, 12, 5), True, date(2026, 11, 25), date(2026, 12, 5), None),
        (date(2026, 12, 6), False, None, None, date(2026, 12, 25)),
        # across the new year
        (date(2027, 1, 2), True, date(2026, 12, 25), date(2027, 1, 5), None),
    ],
)
def test_a_window_from_the_25th_to_the_5th_runs_into_the_next_month(
    today, is_open, opened, closes, next_opens
):
    state = state_on(window(25, 5), today)
    assert (state.is_open, state.opened_on, state.closes_on, state.next_opens_on) == (
        is_open,
        opened,
        closes,
        next_opens,
    )


def test_day_31_means_the_last_day_of_a_short_month():
    state = state_on(window(28, 31), date(2027, 2, 28))
    assert state.is_open and state.closes_on == date(2027, 2, 28)
    assert state_on(window(30, 31), date(2027, 2, 27)).next_opens_on == date(2027, 2, 28)


def test_a_window_within_the_month_says_when_it_opens_next():
    state = state_on(window(1, 10), date(2026, 11, 22))
    assert not state.is_open and state.next_opens_on == date(2026, 12, 1)


@pytest.mark.django_db
def test_the_most_specific_window_decides():
    point = ServicePointFactory(tariff="G12")
    general = ReadingWindowFactory(name="general")
    assert window_for(point) == general
    by_tariff = ReadingWindowFactory(name="G12", tariff="G12")
    ReadingWindowFactory(name="G11", tariff="G11")
    assert window_for(point) == by_tariff
    own = ReadingWindowFactory(name="own", service_point=point)
    assert window_for(point) == own
    own.is_active = False
    own.save()
    assert window_for(point) == by_tariff


@pytest.mark.django_db
def test_no_window_means_the_company_reads_the_meter():
    reading = self_reading_at(ServicePointFactory(), date(2026, 11, 22))
    assert reading.window is None and not reading.allowed and not reading.is_open


@pytest.mark.django_db
def test_a_window_for_segments_lets_only_their_customers_read():
    vip = SegmentFactory(code="vip")
    restricted = ReadingWindowFactory()
    restricted.segments.set([vip])
    ordinary = ServicePointFactory()
    assert not self_reading_at(ordinary, date(2026, 11, 22)).allowed
    customer = CustomerFactory()
    customer.segments.add(vip)
    chosen = ServicePointFactory(customer=customer)
    assert self_reading_at(chosen, date(2026, 11, 22)).is_open
