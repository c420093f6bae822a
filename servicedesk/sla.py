"""Business-hours arithmetic for SLA deadlines.

The SLA clock runs only inside a WorkingCalendar's opening hours, which are wall-clock
times in the local time zone: a desk open 8–16 opens at 8:00 on both sides of a
daylight-saving change. Local days are therefore turned into UTC instants one by one,
and all durations are measured between UTC instants.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import ngettext

from .models.calendar import WorkingCalendar, polish_public_holidays

# A calendar with no working day for this long is misconfigured (e.g. every day a
# holiday); searching further would never end.
SEARCH_LIMIT = timedelta(days=3653)

ONE_DAY = timedelta(days=1)


class BusinessClock:
    """Counts time the way an SLA does: only in a calendar's working hours."""

    def __init__(
        self, calendar: WorkingCalendar, extra_days_off: Iterable[date] | None = None
    ) -> None:
        if calendar.opens_at >= calendar.closes_at:
            raise ValueError(f"{calendar} must close after it opens.")
        self.calendar = calendar
        self.weekdays = frozenset(calendar.weekdays)
        # One query for a saved calendar; modelcluster answers an unsaved one (pk None)
        # from its in-memory rows, e.g. while an editor previews a calendar form.
        holidays = {holiday.day for holiday in calendar.holidays.all()}
        self.days_off = holidays | set(extra_days_off or ())
        self._public_holidays: dict[int, frozenset[date]] = {}

    @property
    def hours_per_day(self) -> float:
        """The length of a working day, for format_business_duration."""
        length = datetime.combine(date.min, self.calendar.closes_at) - datetime.combine(
            date.min, self.calendar.opens_at
        )
        return length / timedelta(hours=1)

    def is_working_day(self, day: date) -> bool:
        """True when the desk opens on this day at all."""
        if day.weekday() not in self.weekdays or day in self.days_off:
            return False
        return not (self.calendar.polish_holidays and day in self._polish_holidays(day.year))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of business time has passed after `start`.

        A start outside working hours begins counting at the next opening; a zero
        duration leaves the start as it is.
        """
        if duration < timedelta(0):
            raise ValueError("An SLA duration cannot be negative.")
        start = _as_utc(start)
        if not duration:
            return start.astimezone(timezone.get_default_timezone())
        remaining = duration
        for opens, closes in self._working_hours_from(start):
            available = closes - opens
            if remaining <= available:
                return (opens + remaining).astimezone(timezone.get_default_timezone())
            remaining -= available
        raise AssertionError("unreachable: _working_hours_from never ends")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time inside [start, end]; nothing when end is not after start."""
        start, end = _as_utc(start), _as_utc(end)
        total = timedelta(0)
        if end <= start:
            return total
        tz = timezone.get_default_timezone()
        day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
        while day <= last:
            if self.is_working_day(day):
                opens, closes = self._hours(day)
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta(0):
                    total += overlap
            day += ONE_DAY
        return total

    def next_opening(self, moment: datetime) -> datetime:
        """The first working instant at or after `moment`: itself when inside hours."""
        opens, _closes = next(self._working_hours_from(_as_utc(moment)))
        return opens.astimezone(timezone.get_default_timezone())

    def _working_hours_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) from `start` onwards, the first one cut at `start`."""
        day = start.astimezone(timezone.get_default_timezone()).date()
        while True:
            day = self._next_working_day(day)
            opens, closes = self._hours(day)
            opens = max(opens, start)
            if opens < closes:
                yield opens, closes
            day += ONE_DAY

    def _next_working_day(self, day: date) -> date:
        limit = day + SEARCH_LIMIT
        while not self.is_working_day(day):
            day += ONE_DAY
            if day > limit:
                raise ValueError(f"{self.calendar} has no working day in ten years from {day}.")
        return day

    def _hours(self, day: date) -> tuple[datetime, datetime]:
        """Opening and closing of a local day as UTC instants."""
        tz = timezone.get_default_timezone()
        opens = datetime.combine(day, self.calendar.opens_at, tzinfo=tz)
        closes = datetime.combine(day, self.calendar.closes_at, tzinfo=tz)
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def _polish_holidays(self, year: int) -> frozenset[date]:
        if year not in self._public_holidays:
            self._public_holidays[year] = frozenset(polish_public_holidays(year))
        return self._public_holidays[year]


def format_business_duration(duration: timedelta, hours_per_day: float) -> str:
    """A business duration as a customer reads it: "2 working days 3 h", "45 min".

    Days are full working days of `hours_per_day`; minutes show only under an hour,
    and smaller units are dropped rather than rounded.
    """
    if hours_per_day <= 0:
        raise ValueError("A working day must have some hours.")
    if duration < timedelta(0):
        raise ValueError("A business duration cannot be negative.")
    minutes = duration // timedelta(minutes=1)
    if minutes < 60:
        return ngettext("%(minutes)d min", "%(minutes)d min", minutes) % {"minutes": minutes}
    days, rest = divmod(minutes, round(hours_per_day * 60))
    hours = rest // 60
    parts = []
    if days:
        parts.append(
            ngettext("%(days)d working day", "%(days)d working days", days) % {"days": days}
        )
    if hours:
        parts.append(ngettext("%(hours)d h", "%(hours)d h", hours) % {"hours": hours})
    return " ".join(parts)


def _as_utc(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError("SLA arithmetic needs an aware datetime.")
    return moment.astimezone(UTC)
