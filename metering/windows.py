"""Reading windows: which one applies to a service point, and whether it is open on a day."""

import calendar
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db import transaction

from customers.area import segment_ids_of as customer_segment_ids

from .models import ReadingWindow

ACTIVE_WINDOWS_KEY = "okienko:reading-windows:active"
CACHE_TIMEOUT = 60 * 60  # a safety net; a change drops the entry long before


def _day_in_month(year: int, month: int, day: int) -> date:
    """Day `day` of the month, or its last day when the month is shorter (31 → 30 April)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class WindowState:
    """A window seen from one day: open (since `opened_on`, until `closes_on`) or when it opens."""

    window: ReadingWindow
    is_open: bool
    opened_on: date | None
    closes_on: date | None
    next_opens_on: date | None


def state_on(window: ReadingWindow, today: date) -> WindowState:
    """Where `today` falls: in the opening of this month or the last (wrapping windows), or between."""
    for months_back in (0, -1):
        year, month = _shift_month(today.year, today.month, months_back)
        opens = _day_in_month(year, month, window.start_day)
        if window.end_day >= window.start_day:
            closes = _day_in_month(year, month, window.end_day)
        else:
            next_year, next_month = _shift_month(year, month, 1)
            closes = _day_in_month(next_year, next_month, window.end_day)
        if opens <= today <= closes:
            return WindowState(window, True, opens, closes, None)
    this_month = _day_in_month(today.year, today.month, window.start_day)
    if this_month > today:
        next_opens = this_month
    else:
        year, month = _shift_month(today.year, today.month, 1)
        next_opens = _day_in_month(year, month, window.start_day)
    return WindowState(window, False, None, None, next_opens)


def window_for(service_point, windows: list[ReadingWindow] | None = None) -> ReadingWindow | None:
    """The most specific active window: the service point's, its tariff's, or the general one."""
    if windows is None:
        windows = applicable_windows([service_point])
    for matches in (
        lambda w: w.service_point_id == service_point.pk,
        lambda w: w.service_point_id is None and w.tariff and w.tariff == service_point.tariff,
        lambda w: w.service_point_id is None and not w.tariff,
    ):
        candidates = sorted((w for w in windows if matches(w)), key=lambda w: w.pk)
        if candidates:
            return candidates[0]
    return None


def active_windows() -> list[ReadingWindow]:
    """Every active window with its segments, from the shared cache: staff set windows up
    rarely and every metering page asks; a change forgets them (see `forget_windows`)."""
    windows = cache.get(ACTIVE_WINDOWS_KEY)
    if windows is None:
        windows = list(ReadingWindow.objects.filter(is_active=True).prefetch_related("segments"))
        cache.set(ACTIVE_WINDOWS_KEY, windows, CACHE_TIMEOUT)
    return windows


def forget_windows(**kwargs) -> None:
    """A window or its segments changed: drop the cached windows now, and again after the
    commit, in case a request in between read the old ones."""
    cache.delete(ACTIVE_WINDOWS_KEY)
    transaction.on_commit(lambda: cache.delete(ACTIVE_WINDOWS_KEY))


def applicable_windows(service_points) -> list[ReadingWindow]:
    """Every active window that could apply to these service points: their own, their
    tariffs' and the general ones."""
    service_points = list(service_points)
    point_ids = {p.pk for p in service_points}
    tariffs = {p.tariff for p in service_points if p.tariff}
    return [
        window
        for window in active_windows()
        if window.service_point_id in point_ids
        or (window.service_point_id is None and (window.tariff in tariffs or not window.tariff))
    ]


def may_self_read(window: ReadingWindow, customer_segment_ids) -> bool:
    """A window without segments is for everyone; else the customer must be in one of them.

    `customer_segment_ids` is a set, or a function giving it, asked only when the window
    names segments (most do not, and then the customer's segments cost no query)."""
    allowed = {segment.pk for segment in window.segments.all()}
    if not allowed:
        return True
    if callable(customer_segment_ids):
        customer_segment_ids = customer_segment_ids()
    return bool(allowed & customer_segment_ids)


def segment_ids_of(customer):
    """The customer's segment ids, as a function for `self_reading_at`: asked only when a
    window names segments, and then from the shared cache."""
    return lambda: customer_segment_ids(customer.pk)


@dataclass(frozen=True)
class SelfReading:
    """What a customer may do at a service point today."""

    window: ReadingWindow | None
    allowed: bool
    state: WindowState | None

    @property
    def is_open(self) -> bool:
        return self.allowed and self.state is not None and self.state.is_open


def self_reading_at(service_point, today: date, windows=None, segment_ids=None) -> SelfReading:
    window = window_for(service_point, windows)
    if window is None:
        return SelfReading(None, False, None)
    if segment_ids is None:
        segment_ids = segment_ids_of(service_point.customer)
    if not may_self_read(window, segment_ids):
        return SelfReading(window, False, None)
    return SelfReading(window, True, state_on(window, today))
