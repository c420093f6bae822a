import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import override
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.models import Holiday, WorkingCalendar
from servicedesk.models.calendar import easter_sunday
from servicedesk.sla import BusinessClock, format_business_duration

WARSAW = ZoneInfo("Europe/Warsaw")
EIGHT_HOURS = timedelta(hours=8)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def clock(extra_days_off=None, **fields) -> BusinessClock:
    """A clock over an unsaved calendar (8–16, Monday to Friday unless told)."""
    return BusinessClock(WorkingCalendar(name="Desk", **fields), extra_days_off)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
    ],
)
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_a_working_day_from_friday_afternoon_ends_on_monday_afternoon():
    deadline = clock().add(local(2026, 3, 13, 15), EIGHT_HOURS)
    assert deadline == local(2026, 3, 16, 15)
    assert deadline.tzinfo == WARSAW


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (local(2026, 3, 10, 6, 30), local(2026, 3, 10, 10)),  # before opening
        (local(2026, 3, 10, 16), local(2026, 3, 11, 10)),  # at closing
        (local(2026, 3, 10, 19), local(2026, 3, 11, 10)),  # after closing
        (local(2026, 3, 14, 11), local(2026, 3, 16, 10)),  # on a Saturday
        (local(2026, 3, 10, 14), local(2026, 3, 10, 16)),  # ends right at closing
    ],
)
def test_counting_starts_at_the_next_opening(start, deadline):
    assert clock().add(start, timedelta(hours=2)) == deadline


def test_zero_duration_leaves_the_start_alone():
    saturday = local(2026, 3, 14, 11)
    assert clock().add(saturday, timedelta(0)) == saturday


def test_negative_duration_and_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        clock().add(local(2026, 3, 10, 9), timedelta(hours=-1))
    with pytest.raises(ValueError):
        clock().add(datetime(2026, 3, 10, 9), EIGHT_HOURS)


def test_any_time_zone_in_the_default_one_out():
    start = datetime(2026, 3, 13, 14, tzinfo=UTC)  # 15:00 in Warsaw (CET)
    deadline = clock().add(start, EIGHT_HOURS)
    assert deadline == local(2026, 3, 16, 15)
    assert (deadline.hour, deadline.tzinfo) == (15, WARSAW)


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        # 1 May 2026 is a Friday, 3 May a Sunday.
        (local(2026, 4, 30, 12), local(2026, 5, 4, 12)),
        # Easter Monday, 6 April 2026.
        (local(2026, 4, 3, 12), local(2026, 4, 7, 12)),
        # Corpus Christi, Thursday 4 June 2026.
        (local(2026, 6, 3, 12), local(2026, 6, 5, 12)),
        # Christmas Eve is a day off from 2025: 24–26 December, then the weekend.
        (local(2025, 12, 23, 12), local(2025, 12, 29, 12)),
        # …but not in 2024.
        (local(2024, 12, 23, 12), local(2024, 12, 24, 12)),
    ],
)
def test_polish_public_holidays_stop_the_clock(start, deadline):
    assert clock().add(start, EIGHT_HOURS) == deadline


def test_a_calendar_without_polish_holidays_works_on_1_may():
    business = clock(polish_holidays=False)
    assert business.is_working_day(date(2026, 5, 1))
    assert business.add(local(2026, 4, 30, 12), EIGHT_HOURS) == local(2026, 5, 1, 12)


def test_is_working_day():
    business = clock()
    assert business.is_working_day(date(2026, 3, 13))
    assert not business.is_working_day(date(2026, 3, 14))  # Saturday
    assert not business.is_working_day(date(2026, 11, 11))  # Independence Day


@pytest.mark.django_db
def test_a_holiday_row_is_a_day_off_loaded_once(django_assert_num_queries):
    calendar = WorkingCalendar.objects.create(name="Desk")
    Holiday.objects.create(calendar=calendar, day=date(2026, 3, 16), name="Bridge day")
    calendar = WorkingCalendar.objects.get(pk=calendar.pk)
    with django_assert_num_queries(1):
        business = BusinessClock(calendar)
    with django_assert_num_queries(0):
        assert not business.is_working_day(date(2026, 3, 16))
        assert business.add(local(2026, 3, 13, 12), EIGHT_HOURS) == local(2026, 3, 17, 12)


def test_extra_days_off():
    business = clock(extra_days_off=[date(2026, 3, 16)])
    assert business.add(local(2026, 3, 13, 12), EIGHT_HOURS) == local(2026, 3, 17, 12)


def test_a_calendar_that_never_works_raises_instead_of_looping():
    with pytest.raises(ValueError):
        clock(working_days="").add(local(2026, 3, 10, 9), EIGHT_HOURS)
    every_day = {date(2026, 1, 1) + timedelta(days=n) for n in range(11 * 366)}
    with pytest.raises(ValueError):
        clock(extra_days_off=every_day).next_opening(local(2026, 1, 1, 9))


def test_a_calendar_closing_before_it_opens_is_refused():
    with pytest.raises(ValueError):
        clock(opens_at=time(16), closes_at=time(8))


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        # Clocks go back on Sunday 25 October 2026…
        (local(2026, 10, 23, 12), local(2026, 10, 26, 12)),
        # …and forward on Sunday 29 March 2026.
        (local(2026, 3, 27, 12), local(2026, 3, 30, 12)),
    ],
)
def test_opening_hours_are_wall_clock_across_daylight_saving(start, deadline):
    business = clock()
    assert business.add(start, EIGHT_HOURS) == deadline
    assert business.add(start, EIGHT_HOURS).hour == 12
    assert business.between(start, deadline) == EIGHT_HOURS


def test_a_sunday_shift_on_the_day_clocks_go_back():
    business = clock(working_days="6", opens_at=time(0), closes_at=time(6))
    # 00:00–06:00 local on 25 October 2026 lasts seven real hours.
    assert business.between(local(2026, 10, 24), local(2026, 10, 26)) == timedelta(hours=7)
    assert business.add(local(2026, 10, 24), timedelta(hours=7)) == local(2026, 10, 25, 6)


def test_next_opening():
    business = clock()
    assert business.next_opening(local(2026, 3, 10, 9, 15)) == local(2026, 3, 10, 9, 15)
    assert business.next_opening(local(2026, 3, 10, 16)) == local(2026, 3, 11, 8)
    assert business.next_opening(local(2026, 3, 14, 9)) == local(2026, 3, 16, 8)
    assert business.next_opening(local(2026, 4, 30, 17)) == local(2026, 5, 4, 8)


def test_between():
    business = clock()
    assert business.between(local(2026, 3, 13, 15), local(2026, 3, 16, 15)) == EIGHT_HOURS
    assert business.between(local(2026, 3, 14, 9), local(2026, 3, 15, 20)) == timedelta(0)
    assert business.between(local(2026, 3, 16, 15), local(2026, 3, 13, 15)) == timedelta(0)
    assert business.between(local(2026, 3, 10, 9), local(2026, 3, 10, 9, 30)) == timedelta(
        minutes=30
    )


def test_hours_per_day():
    assert clock().hours_per_day == 8
    assert clock(opens_at=time(8, 30), closes_at=time(16)).hours_per_day == 7.5


calendars = st.builds(
    lambda opens, length, days, polish: clock(
        opens_at=time(opens // 2, 30 * (opens % 2)),
        closes_at=time((opens + length) // 2, 30 * ((opens + length) % 2)),
        working_days=",".join(str(day) for day in sorted(days)),
        polish_holidays=polish,
    ),
    opens=st.integers(0, 44),  # half-hours from midnight
    length=st.integers(1, 3),
    days=st.sets(st.integers(0, 6), min_size=1),
    polish=st.booleans(),
)


@given(
    business=calendars,
    start=st.datetimes(
        min_value=datetime(2024, 1, 1),
        max_value=datetime(2028, 12, 31),
        timezones=st.just(WARSAW),
    ),
    duration=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200)),
)
def test_between_undoes_add(business, start, duration):
    deadline = business.add(start, duration)
    assert deadline >= start
    assert business.between(start, deadline) == duration


def test_format_business_duration_in_english():
    with override("en"):
        assert format_business_duration(timedelta(hours=19), 8) == "2 working days 3 h"
        assert format_business_duration(EIGHT_HOURS, 8) == "1 working day"
        assert format_business_duration(timedelta(hours=3, minutes=40), 8) == "3 h"
        assert format_business_duration(timedelta(hours=15), 7.5) == "2 working days"
        assert format_business_duration(timedelta(minutes=45), 8) == "45 min"
        assert format_business_duration(timedelta(minutes=1, seconds=59), 8) == "1 min"
        assert format_business_duration(timedelta(0), 8) == "0 min"


def test_format_business_duration_in_polish():
    with override("pl"):
        text = format_business_duration(timedelta(hours=19), 8)
        assert re.findall(r"\d+", text) == ["2", "3"]
        assert re.findall(r"\d+", format_business_duration(timedelta(minutes=5), 8)) == ["5"]
        assert re.findall(r"\d+", format_business_duration(timedelta(0), 8)) == ["0"]


def test_format_business_duration_refuses_nonsense():
    with pytest.raises(ValueError):
        format_business_duration(timedelta(hours=-1), 8)
    with pytest.raises(ValueError):
        format_business_duration(EIGHT_HOURS, 0)
