"""Readings and consumption of a service point as CSV, as a Polish spreadsheet opens it:
UTF-8 with a BOM, semicolons, decimal commas."""

import csv
import io
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import Reading
from .reports import service_point_reports

# A spreadsheet runs a cell starting with these as a formula; staff type register names.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",") if value else "0"


def _text(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv(header: list[str], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def readings_csv(point, start: date, end: date) -> bytes:
    """Every reading given in the period, whatever its status, oldest first."""
    readings = (
        Reading.objects.filter(
            register__meter__service_point=point, read_on__gte=start, read_on__lte=end
        )
        .select_related("register__meter")
        .order_by("read_on", "register__meter__serial_number", "register__sort_order", "pk")
    )
    return _csv(
        [_("Meter"), _("Register"), _("Read on"), _("Value"), _("Unit"), _("Source"), _("Status")],
        (
            [
                _text(r.register.meter.serial_number),
                _text(r.register.name or r.register.code),
                r.read_on.isoformat(),
                _number(r.value),
                r.register.meter.get_unit_display(),
                r.get_source_display(),
                r.get_status_display(),
            ]
            for r in readings
        ),
    )


def consumption_csv(point, start: date, end: date) -> bytes:
    """Consumption between consecutive accepted readings, per register, of the periods that
    end within the chosen dates."""
    report = service_point_reports([point])[point.pk]
    rows = []
    for meter_report in reversed(report.meters):
        for history in meter_report.registers:
            for interval in history.intervals:
                if start <= interval.end <= end:
                    rows.append(
                        (
                            interval.start,
                            [
                                _text(meter_report.meter.serial_number),
                                _text(history.register.name or history.register.code),
                                interval.start.isoformat(),
                                interval.end.isoformat(),
                                _number(interval.consumption),
                                meter_report.meter.get_unit_display(),
                            ],
                        )
                    )
    rows.sort(key=lambda row: row[0])
    return _csv(
        [_("Meter"), _("Register"), _("From"), _("To"), _("Consumption"), _("Unit")],
        (row for _start, row in rows),
    )


KINDS = {"readings": readings_csv, "consumption": consumption_csv}
