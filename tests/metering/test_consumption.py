from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from metering import consumption
from metering.consumption import Interval, Point

D = Decimal
CAPACITY = D(100000)


def test_delta_across_zero():
    assert consumption.delta(D("99990"), D("15"), CAPACITY) == D("25")
    assert consumption.is_rollover(D("99990"), D("15"), CAPACITY)
    assert not consumption.is_rollover(D("50000"), D("15"), CAPACITY)
    assert not consumption.is_rollover(D("100"), D("200"), CAPACITY)


def test_monthly_spreads_an_interval_by_days():
    months = consumption.monthly([Interval(date(2026, 1, 15), date(2026, 3, 1), D("45"))])
    # January 16–31, all of February, 1 March: 45 days, one unit a day
    assert months == {(2026, 1): D("16"), (2026, 2): D("28"), (2026, 3): D("1")}


def test_between_reports_the_days_covered():
    intervals = [Interval(date(2026, 1, 1), date(2026, 1, 11), D("10"))]
    assert consumption.between(intervals, date(2026, 1, 6), date(2026, 1, 20)) == (D("5.000"), 5)
    assert consumption.between(intervals, date(2026, 2, 1), date(2026, 2, 5)) == (D(0), 0)


def test_the_last_reading_of_a_day_counts():
    points = [
        Point(date(2026, 1, 1), D(10)),
        Point(date(2026, 1, 1), D(12)),
        Point(date(2026, 1, 2), D(20)),
    ]
    assert consumption.intervals(points, CAPACITY, D(1)) == [
        Interval(date(2026, 1, 1), date(2026, 1, 2), D(8))
    ]


readings = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=120),  # days since the previous reading
        st.decimals(min_value=0, max_value=9000, places=3),  # consumption since then
    ),
    min_size=1,
    max_size=40,
)


def _points(start: D, steps) -> list[Point]:
    day, value = date(2024, 1, 1), start
    points = [Point(day, value)]
    for days, used in steps:
        day += timedelta(days=days)
        value = (value + used) % CAPACITY
        points.append(Point(day, value))
    return points


@settings(max_examples=200, deadline=None)
@given(
    start=st.decimals(min_value=0, max_value=99999, places=3),
    registers=st.lists(readings, min_size=1, max_size=3),
    multiplier=st.sampled_from([D(1), D(30), D("2.5")]),
)
def test_consumption_per_month_adds_up_to_the_sum_of_register_deltas(start, registers, multiplier):
    """Whatever the dates and roll-overs, spreading over months loses and invents nothing."""
    total_months = D(0)
    total_deltas = D(0)
    for steps in registers:
        intervals = consumption.intervals(_points(start, steps), CAPACITY, multiplier)
        total_months += sum(consumption.monthly(intervals).values(), D(0))
        total_deltas += sum((used for _days, used in steps), D(0)) * multiplier
    assert total_months == total_deltas


@settings(max_examples=100, deadline=None)
@given(start=st.decimals(min_value=0, max_value=99999, places=3), steps=readings)
def test_between_the_first_and_last_reading_is_the_whole_consumption(start, steps):
    points = _points(start, steps)
    intervals = consumption.intervals(points, CAPACITY, D(1))
    amount, covered = consumption.between(intervals, points[0].read_on, points[-1].read_on)
    assert amount == sum((used for _days, used in steps), D(0))
    assert covered == (points[-1].read_on - points[0].read_on).days
