"""Taking a customer's reading: the checks, the plausibility judgement, and staff review."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEvent
from notifications.events import emit
from notifications.models import Category
from notifications.services import notify

from . import consumption
from .formats import format_quantity
from .models import Meter, MeteringSettings, Reading, Register
from .windows import WindowState

MIN_COVERED_DAYS = 28
"""Less history than four weeks says nothing about what is normal."""


def field_name(register: Register) -> str:
    return f"register_{register.pk}"


def history(register: Register) -> list[consumption.Point]:
    return [
        consumption.Point(read_on, value)
        for read_on, value in register.readings.accepted()
        .chronological()
        .values_list("read_on", "value")
    ]


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def expected_daily(intervals: list[consumption.Interval], start: date, end: date) -> Decimal | None:
    """Normal daily consumption for (start, end]: the same days a year before, else the last year."""
    year_ago = _year_before(start), _year_before(end)
    amount, covered = consumption.between(intervals, *year_ago)
    if covered >= max(1, (year_ago[1] - year_ago[0]).days // 2):
        return amount / covered
    amount, covered = consumption.between(intervals, start - timedelta(days=365), start)
    if covered >= MIN_COVERED_DAYS:
        return amount / covered
    return None


@dataclass
class Assessment:
    register: Register
    value: Decimal
    previous: Reading | None
    consumption: Decimal | None = None
    rollover: bool = False
    review_reason: str = ""


def check_value_format(meter: Meter, value: Decimal) -> None:
    """The value must fit the meter's dial: its digits before and after the decimal point."""
    if value < 0:
        raise ValidationError(_("A meter reading cannot be negative."), code="negative")
    sign, digits, exponent = value.normalize().as_tuple()
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    if value >= meter.capacity:
        raise ValidationError(
            _("This meter shows at most %(digits)s digits before the decimal point.")
            % {"digits": meter.digits},
            code="too_many_digits",
        )
    if decimals > meter.decimals:
        if meter.decimals == 0:
            message = _("This meter shows whole numbers only; leave out the decimal part.")
        else:
            message = _("This meter shows at most %(decimals)s digits after the decimal point.") % {
                "decimals": meter.decimals
            }
        raise ValidationError(message, code="too_many_decimals")


def _previous_accepted(register: Register, replacing_window: date | None) -> Reading | None:
    readings = register.readings.accepted()
    if replacing_window is not None:
        readings = readings.exclude(
            source=Reading.Source.CUSTOMER, window_opened_on=replacing_window
        )
    return readings.order_by("-read_on", "-created_at", "-pk").first()


def _judge(assessment: Assessment, meter: Meter, read_on: date, factor: Decimal) -> str:
    """Why the consumption looks wrong for this time of year, or '' when it looks normal."""
    previous = assessment.previous
    if previous is None or assessment.consumption is None:
        return ""
    days = (read_on - previous.read_on).days
    if days <= 0:
        return ""
    past = consumption.intervals(
        [p for p in history(assessment.register) if p.read_on <= previous.read_on],
        meter.capacity,
        meter.multiplier,
    )
    expected = expected_daily(past, previous.read_on, read_on)
    if expected is None:
        return ""
    rate = assessment.consumption / days
    difference = abs(assessment.consumption - expected * days)
    if difference <= meter.multiplier:  # a unit on the dial is never implausible
        return ""
    if rate > expected * factor or rate * factor < expected:
        return _(
            "Daily consumption %(rate)s %(unit)s against %(expected)s %(unit)s usually at this "
            "time of year (factor %(factor)s)."
        ) % {
            "rate": number_format(rate, 2),
            "expected": number_format(expected, 2),
            "unit": meter.get_unit_display(),
            "factor": number_format(factor, 1),
        }
    return ""


def assess(
    meter: Meter,
    values: dict[Register, Decimal],
    read_on: date,
    *,
    today: date,
    window: WindowState | None = None,
    factor: Decimal | None = None,
) -> list[Assessment]:
    """Check a submission; every problem is raised at once, under the field it concerns."""
    errors: dict[str, list[str]] = {}
    if read_on > today:
        errors["read_on"] = [_("The reading date cannot be in the future.")]
    elif read_on < meter.installed_on:
        errors["read_on"] = [
            _("The meter was installed on %(date)s.") % {"date": date_format(meter.installed_on)}
        ]
    elif window is not None and window.opened_on and read_on < window.opened_on:
        errors["read_on"] = [
            _("Give a reading from the current reading window, which opened on %(date)s.")
            % {"date": date_format(window.opened_on)}
        ]
    if factor is None:
        factor = MeteringSettings.load().plausibility_factor
    replacing = window.opened_on if window is not None else None
    assessments = []
    for register, value in values.items():
        name = field_name(register)
        try:
            check_value_format(meter, value)
        except ValidationError as error:
            errors[name] = error.messages
            continue
        previous = _previous_accepted(register, replacing)
        assessment = Assessment(register, value, previous)
        if previous is not None:
            if "read_on" not in errors and read_on < previous.read_on:
                errors["read_on"] = [
                    _("The last accepted reading is from %(date)s; a new one cannot be older.")
                    % {"date": date_format(previous.read_on)}
                ]
            if value < previous.value and not consumption.is_rollover(
                previous.value, value, meter.capacity
            ):
                errors[name] = [
                    _(
                        "%(value)s is lower than the last accepted reading, %(previous)s of "
                        "%(date)s. Check the digits on the meter's display."
                    )
                    % {
                        "value": format_quantity(value),
                        "previous": format_quantity(previous.value),
                        "date": date_format(previous.read_on),
                    }
                ]
                continue
            assessment.rollover = value < previous.value
            assessment.consumption = (
                consumption.delta(previous.value, value, meter.capacity) * meter.multiplier
            )
        assessments.append(assessment)
    if errors:
        raise ValidationError(errors)
    for assessment in assessments:
        assessment.review_reason = _judge(assessment, meter, read_on, factor)
    return assessments


@transaction.atomic
def submit_readings(
    meter: Meter,
    values: dict[Register, Decimal],
    read_on: date,
    *,
    user,
    window: WindowState,
    customer,
    request=None,
    photo=None,
    today: date | None = None,
) -> list[Reading]:
    """Store a customer's reading, one per register; a second one in the window replaces the first.

    Implausible values are stored too, but wait for staff review.
    """
    list(Register.objects.select_for_update().filter(meter=meter))  # one submission at a time
    assessments = assess(meter, values, read_on, today=today or timezone.localdate(), window=window)
    readings = []
    for assessment in assessments:
        Reading.objects.filter(
            register=assessment.register,
            source=Reading.Source.CUSTOMER,
            window_opened_on=window.opened_on,
            status__in=[Reading.Status.ACCEPTED, Reading.Status.REVIEW],
        ).update(status=Reading.Status.REPLACED)
        reading = Reading(
            register=assessment.register,
            value=assessment.value,
            read_on=read_on,
            source=Reading.Source.CUSTOMER,
            status=Reading.Status.REVIEW if assessment.review_reason else Reading.Status.ACCEPTED,
            review_reason=assessment.review_reason,
            window_opened_on=window.opened_on,
            submitted_by=user,
        )
        if photo is not None:
            if readings and readings[0].photo:
                reading.photo = readings[0].photo.name
            else:
                reading.photo.save(photo.name, photo, save=False)
        reading.save()
        readings.append(reading)
    audit.record(
        AuditEvent.Action.READING_SUBMITTED,
        request,
        actor=user,
        customer=customer,
        obj=meter,
        readings={str(r.register.code): str(r.value) for r in readings},
        review=[r.register.code for r in readings if r.status == Reading.Status.REVIEW],
    )
    emit(
        "reading.submitted",
        {
            "customer": customer.number,
            "service_point": meter.service_point.code,
            "meter": meter.public_id,
            "serial_number": meter.serial_number,
            "read_on": read_on,
            "readings": [
                {
                    "reading": r.public_id,
                    "register": r.register.code,
                    "value": r.value,
                    "status": r.status,
                }
                for r in readings
            ],
            "by": "customer",
            "at": timezone.now(),
        },
    )
    return readings


class Decision:
    ACCEPT = "accept"
    CORRECT = "correct"
    REJECT = "reject"


@transaction.atomic
def review(
    reading: Reading, *, staff, decision: str, value: Decimal | None = None, reason: str = ""
) -> Reading:
    """Staff decide on a reading waiting for review; the customer who gave it is told."""
    reading = (
        Reading.objects.select_for_update().select_related("register__meter").get(pk=reading.pk)
    )
    if reading.status != Reading.Status.REVIEW:
        raise ValidationError(_("This reading has been reviewed already."))
    if decision == Decision.REJECT:
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the reading is rejected.")})
        reading.status = Reading.Status.REJECTED
        reading.rejection_reason = reason.strip()
    elif decision == Decision.CORRECT:
        if value is None:
            raise ValidationError({"value": _("Enter the corrected value.")})
        try:
            check_value_format(reading.register.meter, value)
        except ValidationError as error:
            raise ValidationError({"value": error.messages}) from error
        reading.submitted_value = reading.value
        reading.value = value
        reading.status = Reading.Status.ACCEPTED
    elif decision == Decision.ACCEPT:
        reading.status = Reading.Status.ACCEPTED
    else:
        raise ValueError(decision)
    reading.reviewed_by = staff
    reading.reviewed_at = timezone.now()
    reading.save()
    meter = reading.register.meter
    audit.record(
        AuditEvent.Action.READING_REVIEWED,
        actor=staff,
        customer=meter.service_point.customer,
        obj=reading,
        decision=decision,
    )
    if reading.submitted_by and reading.submitted_by.is_active:
        notify(
            reading.submitted_by,
            category=Category.READINGS,
            template="metering/email/reading_reviewed",
            context={"reading": reading, "meter": meter, "decision": decision},
            key=f"reading-reviewed:{reading.pk}",
        )
    return reading
