"""Consumption from accepted readings: deltas across roll-overs, spread over days and months.

Readings fall on arbitrary days, so an interval's consumption is spread evenly over the
days it covers, (start, end]; months and comparison periods take their share of days.
Shares are rounded to 0.001 and the rounding rest goes to the last share, so a total
always equals the sum of the register deltas.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

QUANTUM = Decimal("0.001")
ROLLOVER_SHARE = Decimal("0.1")
"""A lower reading is a roll-over only when the counter went less than a tenth of its range
past zero; anything else lower than the last reading is a mistake."""


@dataclass(frozen=True)
class Point:
    read_on: date
    value: Decimal


@dataclass(frozen=True)
class Interval:
    start: date
    end: date
    consumption: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def delta(previous: Decimal, current: Decimal, capacity: Decimal) -> Decimal:
    """How far the counter moved: across zero when the current value is lower."""
    return current - previous if current >= previous else current + capacity - previous


def is_rollover(previous: Decimal, current: Decimal, capacity: Decimal) -> bool:
    return current < previous and current + capacity - previous <= capacity * ROLLOVER_SHARE


def intervals(points: Iterable[Point], capacity: Decimal, multiplier: Decimal) -> list[Interval]:
    """Consecutive readings of one register as intervals; the last reading of a day counts."""
    by_day = {point.read_on: point.value for point in sorted(points, key=lambda p: p.read_on)}
    days = sorted(by_day)
    return [
        Interval(start, end, delta(by_day[start], by_day[end], capacity) * multiplier)
        for start, end in zip(days, days[1:], strict=False)
    ]


def _quantize(amount: Decimal) -> Decimal:
    return amount.quantize(QUANTUM, rounding=ROUND_HALF_UP)


def _spread(interval: Interval, pieces: list[tuple[object, int]]) -> list[tuple[object, Decimal]]:
    """Share an interval's consumption among pieces by days; the last piece takes the rest."""
    shares = []
    given = Decimal(0)
    for index, (key, days) in enumerate(pieces):
        if index == len(pieces) - 1 and sum(d for _k, d in pieces) == interval.days:
            share = interval.consumption - given
        else:
            share = _quantize(interval.consumption * days / interval.days)
        given += share
        shares.append((key, share))
    return shares


def monthly(intervals_: Iterable[Interval]) -> dict[tuple[int, int], Decimal]:
    """Consumption per (year, month)."""
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for interval in intervals_:
        if interval.days <= 0:
            continue
        for month, share in _spread(interval, days_per_month(interval.start, interval.end)):
            totals[month] += share
    return dict(totals)


def days_per_month(start: date, end: date) -> list[tuple[tuple[int, int], int]]:
    """How many of the days start+1 … end fall in each month, in order."""
    pieces: list[tuple[tuple[int, int], int]] = []
    day = start + timedelta(days=1)
    while day <= end:
        next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = min(end, next_month - timedelta(days=1))
        pieces.append(((day.year, day.month), (last - day).days + 1))
        day = last + timedelta(days=1)
    return pieces


def between(intervals_: Iterable[Interval], start: date, end: date) -> tuple[Decimal, int]:
    """Consumption over the days start+1 … end, and how many of those days readings cover."""
    amount = Decimal(0)
    covered = 0
    for interval in intervals_:
        overlap_start, overlap_end = max(start, interval.start), min(end, interval.end)
        days = (overlap_end - overlap_start).days
        if days <= 0 or interval.days <= 0:
            continue
        covered += days
        if days == interval.days:
            amount += interval.consumption
        else:
            amount += _quantize(interval.consumption * days / interval.days)
    return amount, covered
