"""Demo meters: three years of readings with the seasons in them.

The household has a two-zone electricity meter, a gas meter and a water meter; the
cooperative reads heat at its two buildings (one heat meter replaced last year) and
water at its connection; the business has a meter behind current transformers. One
cooperative reading waits for staff review. Generated households get an electricity
meter with a year of readings.
"""

import math
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from customers.models import Customer, Segment, ServicePoint

from .models import Medium, Meter, Reading, ReadingWindow, Register, TariffPrice, Unit

D = Decimal


def _months_back(today: date, count: int) -> list[date]:
    """The 28th of each of the last `count` months, oldest first, ending last month."""
    days = []
    for back in range(count, 0, -1):
        index = today.year * 12 + today.month - 1 - back
        days.append(date(index // 12, index % 12 + 1, 28))
    return days


def _seasonal(day: date, winter_share: float) -> float:
    """1 on average over a year, 1 + winter_share in January, 1 - winter_share in July."""
    return 1 + winter_share * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)


def _meter(
    point,
    serial,
    medium,
    unit,
    registers,
    *,
    installed_on,
    digits=6,
    decimals=0,
    multiplier=1,
    removed_on=None,
    replaced=None,
):
    meter = Meter.objects.create(
        service_point=point,
        serial_number=serial,
        medium=medium,
        unit=unit,
        digits=digits,
        decimals=decimals,
        multiplier=D(multiplier),
        installed_on=installed_on,
        removed_on=removed_on,
        replaced_meter=replaced,
        external_id=f"ERP-M-{serial}",
    )
    for order, (code, name) in enumerate(registers):
        Register.objects.create(meter=meter, code=code, name=name, sort_order=order)
    return meter


def _readings(
    meter, days, daily, start_values, rng, *, customer_every=2, source_default=Reading.Source.ERP
):
    """Readings on the given days; every `customer_every`-th by the customer, the rest from the ERP."""
    registers = list(meter.registers.all())
    values = [D(v) for v in start_values]
    previous = days[0]
    readings = []
    quantum = D(1).scaleb(-meter.decimals)
    for index, day in enumerate(days):
        source = (
            Reading.Source.CUSTOMER
            if customer_every and index % customer_every == 1
            else source_default
        )
        for position, register in enumerate(registers):
            if index:
                amount = sum(
                    daily[position](previous + timedelta(days=n))
                    for n in range((day - previous).days)
                )
                values[position] = (
                    values[position] + D(str(round(amount * rng.uniform(0.92, 1.08), 3)))
                ).quantize(quantum)
                values[position] %= meter.capacity
            readings.append(
                Reading(
                    register=register,
                    value=values[position],
                    read_on=day,
                    source=source,
                    status=Reading.Status.ACCEPTED,
                    external_id=None
                    if source == Reading.Source.CUSTOMER
                    else f"ERP-R-{meter.serial_number}-{register.code}-{day:%Y%m%d}",
                )
            )
        previous = day
    Reading.objects.bulk_create(readings)
    return values


def seed_demo_metering(context) -> None:
    with transaction.atomic():
        _windows_and_prices()
        today = date.today()
        rng = context.rng
        household = Customer.objects.get(number="100001")
        if not Meter.objects.filter(service_point__customer=household).exists():
            _household(household, today, rng)
        cooperative = Customer.objects.get(number="300001")
        if not Meter.objects.filter(service_point__customer=cooperative).exists():
            _cooperative(cooperative, today, rng)
        business = Customer.objects.get(number="200001")
        if not Meter.objects.filter(service_point__customer=business).exists():
            point = ServicePoint.objects.get(code="PL0037200001000001")
            meter = _meter(
                point,
                "EMH-41022871",
                Medium.ELECTRICITY,
                Unit.KWH,
                [("1.8.0", "Energia czynna")],
                installed_on=today - timedelta(days=4 * 365),
                multiplier=30,
            )
            _readings(
                meter,
                _months_back(today, 24),
                [lambda d: 95 * _seasonal(d, 0.15)],
                [D("10250")],
                rng,
                customer_every=0,
            )
        generated = ServicePoint.objects.filter(
            customer__number__startswith="9", meters__isnull=True
        )
        for point in generated:
            meter = _meter(
                point,
                f"G{point.code[-8:]}",
                Medium.ELECTRICITY,
                Unit.KWH,
                [("1.8.0", "Całodobowa")],
                installed_on=today - timedelta(days=3 * 365),
            )
            _readings(
                meter,
                _months_back(today, 12),
                [lambda d: rng.uniform(4, 9) * _seasonal(d, 0.25)],
                [D(rng.randint(1000, 40000))],
                rng,
            )
    context.notes.append(
        "Meter readings: the general reading window runs from the 25th to the 5th; water "
        "meters may be read on any day. One cooperative reading waits in the admin under "
        "'Readings to review'."
    )


def _household(customer, today, rng) -> None:
    start = today - timedelta(days=3 * 365 + 60)
    electricity = _meter(
        ServicePoint.objects.get(code="PL0037100001000001"),
        "ZE-1120045871",
        Medium.ELECTRICITY,
        Unit.KWH,
        [("1.8.1", "Strefa dzienna"), ("1.8.2", "Strefa nocna")],
        installed_on=start,
    )
    _readings(
        electricity,
        _months_back(today, 36),
        [lambda d: 4.2 * _seasonal(d, 0.3), lambda d: 2.6 * _seasonal(d, 0.35)],
        [D("18342"), D("9120")],
        rng,
    )
    gas = _meter(
        ServicePoint.objects.get(code="8018590365500000000001"),
        "GZ-G4-7781204",
        Medium.GAS,
        Unit.M3,
        [("1", "Licznik")],
        installed_on=start,
        digits=5,
        decimals=3,
    )
    _readings(
        gas,
        _months_back(today, 36),
        [lambda d: max(0.15, 1.6 * _seasonal(d, 0.9))],
        [D("4312.118")],
        rng,
    )
    water = _meter(
        ServicePoint.objects.get(code="WOD-100001-01"),
        "WM-DN15-552190",
        Medium.COLD_WATER,
        Unit.M3,
        [("1", "Licznik")],
        installed_on=start,
        digits=5,
        decimals=3,
    )
    _readings(
        water, _months_back(today, 36), [lambda d: 0.21 * _seasonal(d, -0.1)], [D("512.340")], rng
    )


def _cooperative(customer, today, rng) -> None:
    def heating(day):
        return 0.0 if 5 <= day.month <= 9 else 1.9 * _seasonal(day, 0.6)

    building_a = ServicePoint.objects.get(code="CW-PRZYLESIE-01")
    replaced_on = _months_back(today, 12)[0]
    old = _meter(
        building_a,
        "MC-601-22871",
        Medium.HEAT,
        Unit.GJ,
        [("1", "Energia cieplna")],
        installed_on=today - timedelta(days=6 * 365),
        removed_on=replaced_on,
        decimals=2,
    )
    _readings(
        old,
        _months_back(today, 36)[:25],
        [heating],
        [D("8120.40")],
        rng,
        customer_every=0,
        source_default=Reading.Source.COLLECTOR,
    )
    new = _meter(
        building_a,
        "MC-603-40192",
        Medium.HEAT,
        Unit.GJ,
        [("1", "Energia cieplna")],
        installed_on=replaced_on,
        decimals=2,
        replaced=old,
    )
    _readings(
        new,
        [replaced_on, *_months_back(today, 11)],
        [heating],
        [D("0.00")],
        rng,
        customer_every=0,
        source_default=Reading.Source.COLLECTOR,
    )
    building_b = ServicePoint.objects.get(code="CW-PRZYLESIE-02")
    heat_b = _meter(
        building_b,
        "MC-601-22904",
        Medium.HEAT,
        Unit.GJ,
        [("1", "Energia cieplna")],
        installed_on=today - timedelta(days=6 * 365),
        decimals=2,
    )
    _readings(
        heat_b,
        _months_back(today, 36),
        [lambda d: heating(d) * 1.3],
        [D("10422.15")],
        rng,
        customer_every=0,
        source_default=Reading.Source.COLLECTOR,
    )
    water_point = ServicePoint.objects.get(code="WOD-PRZYLESIE-01")
    water = _meter(
        water_point,
        "WM-DN50-118820",
        Medium.COLD_WATER,
        Unit.M3,
        [("1", "Licznik główny")],
        installed_on=today - timedelta(days=5 * 365),
        digits=6,
        decimals=1,
    )
    values = _readings(
        water, _months_back(today, 36), [lambda d: 38 * _seasonal(d, -0.1)], [D("152300.0")], rng
    )
    last_day = _months_back(today, 1)[0]
    Reading.objects.create(
        register=water.registers.get(),
        value=values[0] + D("9800.0"),
        read_on=min(today, last_day + timedelta(days=20)),
        source=Reading.Source.CUSTOMER,
        status=Reading.Status.REVIEW,
        review_reason="Zużycie dobowe wielokrotnie wyższe niż w tym samym okresie rok temu.",
        submitted_by=customer.memberships.first().user if customer.memberships.exists() else None,
    )


def _windows_and_prices() -> None:
    if not ReadingWindow.objects.exists():
        ReadingWindow.objects.create(name="Okno odczytów (25.–5.)", start_day=25, end_day=5)
        ReadingWindow.objects.create(
            name="Woda — odczyt w dowolnym dniu", start_day=1, end_day=31, tariff="W1"
        )
        heat = ReadingWindow.objects.create(
            name="Ciepło — odczyty inkasenta", start_day=1, end_day=3, tariff="A2"
        )
        heat.segments.set(Segment.objects.filter(code="vip"))
    if TariffPrice.objects.exists():
        return
    valid_from = date(date.today().year, 1, 1)
    for tariff, register_code, name, price in [
        ("G11", "", "Energia czynna z dystrybucją zmienną", "0.88400"),
        ("G12", "1.8.1", "Energia czynna, strefa dzienna, z dystrybucją", "1.02100"),
        ("G12", "1.8.2", "Energia czynna, strefa nocna, z dystrybucją", "0.56300"),
        ("C11", "", "Energia czynna z dystrybucją zmienną", "0.97200"),
        ("C21", "", "Energia czynna z dystrybucją zmienną", "0.91500"),
        ("W-1.1", "", "Paliwo gazowe z dystrybucją (m³)", "3.48000"),
        ("W1", "", "Woda i odprowadzanie ścieków", "16.42000"),
        ("A2", "", "Ciepło", "78.30000"),
    ]:
        TariffPrice.objects.create(
            tariff=tariff,
            register_code=register_code,
            name=name,
            unit_price=D(price),
            vat_rate=D("8") if tariff in {"W1"} else D("23"),
            valid_from=valid_from,
        )
