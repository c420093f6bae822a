"""What the customer reads off a service point: consumption per period and month, and its cost.

Everything for one service point comes from two queries (meters with registers, accepted
readings), however long its history, so pages cost the same for every customer.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, QuerySet

from . import consumption
from .formats import tidy
from .models import Meter, Reading, Register, TariffPrice

CENT = Decimal("0.01")
BILLED_SOURCES = (Reading.Source.ERP, Reading.Source.COLLECTOR)
REGISTER_FIELDS = ("id", "sort_order", "code", "name")


@dataclass
class RegisterHistory:
    register: Register
    meter: Meter
    points: list[tuple[date, Decimal, str]] = field(default_factory=list)

    @property
    def intervals(self) -> list[consumption.Interval]:
        return consumption.intervals(
            [consumption.Point(d, v) for d, v, _s in self.points],
            self.meter.capacity,
            self.meter.multiplier,
        )


@dataclass
class Period:
    start: date
    end: date
    amounts: list[Decimal | None]
    total: Decimal


@dataclass
class MeterReport:
    meter: Meter
    registers: list[RegisterHistory]

    def periods(self) -> list[Period]:
        """Consumption between consecutive reading days, per register and in total, newest first."""
        days = sorted({d for history in self.registers for d, _v, _s in history.points})
        periods = []
        intervals = [history.intervals for history in self.registers]
        for start, end in zip(days, days[1:], strict=False):
            amounts = []
            for register_intervals in intervals:
                amount, covered = consumption.between(register_intervals, start, end)
                amounts.append(amount if covered else None)
            periods.append(
                Period(start, end, amounts, sum((a for a in amounts if a is not None), Decimal(0)))
            )
        return periods[::-1]


@dataclass
class ServicePointReport:
    """Accepted readings of every meter ever mounted at a service point (replaced ones too)."""

    service_point: object
    meters: list[MeterReport]

    @property
    def unit(self) -> str:
        return self.meters[0].meter.get_unit_display() if self.meters else ""

    def monthly(self) -> dict[tuple[int, int], Decimal]:
        totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        unit = self.meters[0].meter.unit if self.meters else None
        for report in self.meters:
            if report.meter.unit != unit:
                continue
            for history in report.registers:
                for month, amount in consumption.monthly(history.intervals).items():
                    totals[month] += amount
        return dict(totals)

    def year_against_year(self, year: int) -> tuple[list[Decimal | None], list[Decimal | None]]:
        """Monthly consumption of `year` and of the year before; None where no reading covers it."""
        monthly = {month: tidy(amount) for month, amount in self.monthly().items()}
        return (
            [monthly.get((year, month)) for month in range(1, 13)],
            [monthly.get((year - 1, month)) for month in range(1, 13)],
        )


REGISTER_COLUMNS = {f"register_{name}": F(f"registers__{name}") for name in REGISTER_FIELDS}


def meters_with_registers(meters: QuerySet) -> list[tuple[Meter, list[Register]]]:
    """The queryset's meters, newest first, each with its registers in order: one query, a
    row per register (the meter's columns repeated), so a page pays one query for both."""
    rows = meters.annotate(**REGISTER_COLUMNS).order_by(
        "-installed_on", "serial_number", "pk", "registers__sort_order", "registers__pk"
    )
    loaded: dict[int, tuple[Meter, list[Register]]] = {}
    for row in rows:
        meter, registers = loaded.setdefault(row.pk, (row, []))
        if row.register_id is not None:
            register = Register(
                meter=meter, **{name: getattr(row, f"register_{name}") for name in REGISTER_FIELDS}
            )
            register._state.adding, register._state.db = False, row._state.db
            registers.append(register)
    return list(loaded.values())


def service_point_reports(service_points, meters=None) -> dict[int, ServicePointReport]:
    """Reports for several service points in two queries (meters with their registers, and
    readings). `meters`: the points' meters from `meters_with_registers`, when loaded."""
    points = {point.pk: point for point in service_points}
    if meters is None:
        meters = meters_with_registers(Meter.objects.filter(service_point__in=points))
    histories: dict[int, RegisterHistory] = {}
    reports = {pk: ServicePointReport(point, []) for pk, point in points.items()}
    for meter, registers in meters:
        meter_report = MeterReport(meter, [])
        for register in registers:
            histories[register.pk] = RegisterHistory(register, meter)
            meter_report.registers.append(histories[register.pk])
        reports[meter.service_point_id].meters.append(meter_report)
    readings = (
        Reading.objects.accepted()
        .filter(register__in=list(histories))
        .order_by("read_on", "created_at", "pk")
        .values_list("register_id", "read_on", "value", "source")
    )
    for register_id, read_on, value, source in readings:
        histories[register_id].points.append((read_on, value, source))
    return reports


@dataclass
class EstimateLine:
    register: Register
    amount: Decimal
    unit: str
    price: TariffPrice | None
    net: Decimal | None


@dataclass
class Estimate:
    """Consumption read since the last invoiced reading, priced at the tariff: an estimate."""

    start: date
    end: date
    lines: list[EstimateLine]
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    @property
    def complete(self) -> bool:
        return all(line.price is not None for line in self.lines)


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def estimate(report: ServicePointReport, today: date) -> Estimate | None:
    """Cost of what the current meters counted since their last reading from the company."""
    current = [r for r in report.meters if r.meter.is_installed(today)]
    tariff = report.service_point.tariff
    if not current or not tariff:
        return None
    prices = list(
        TariffPrice.objects.filter(tariff=tariff, valid_from__lte=today).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        )
    )
    lines, starts, ends = [], [], []
    net = vat = Decimal(0)
    for meter_report in current:
        for history in meter_report.registers:
            billed = [d for d, _v, source in history.points if source in BILLED_SOURCES]
            if not billed or history.points[-1][0] <= billed[-1]:
                continue
            start, end = billed[-1], history.points[-1][0]
            amount, _covered = consumption.between(history.intervals, start, end)
            price = next(
                (p for p in prices if p.register_code == history.register.code),
                next((p for p in prices if not p.register_code), None),
            )
            line_net = _money(amount * price.unit_price) if price else None
            if price:
                net += line_net
                vat += _money(line_net * price.vat_rate / 100)
            lines.append(
                EstimateLine(
                    history.register, amount, meter_report.meter.get_unit_display(), price, line_net
                )
            )
            starts.append(start)
            ends.append(end)
    if not lines:
        return None
    return Estimate(min(starts), max(ends), lines, net, vat)
