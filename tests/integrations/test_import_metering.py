"""Importing meters (with registers) and readings from the ERP."""

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from customers.models import AuditEvent
from integrations.importer import import_file
from metering.models import Meter, Reading, Register
from metering.reports import service_point_reports
from notifications.events import domain_event
from tests.factories import MeterFactory, ReadingFactory, ServicePointFactory

pytestmark = pytest.mark.django_db

D = Decimal

METER_HEADER = (
    "external_id;service_point;serial_number;medium;unit;multiplier;digits;decimals;"
    "installed_on;removed_on;replaces;register_code;register_name\n"
)
METERS = METER_HEADER + (
    "L1;P1;SN-1;electricity;kWh;1;6;0;2023-01-01;2024-06-30;;1.8.1;strefa dzienna\n"
    "L1;P1;SN-1;electricity;kWh;1;6;0;2023-01-01;2024-06-30;;1.8.2;strefa nocna\n"
    "L2;P1;SN-2;electricity;kWh;2,5;6;1;2024-06-30;;L1;1.8.1;strefa dzienna\n"
    "L2;P1;SN-2;electricity;kWh;2,5;6;1;2024-06-30;;L1;1.8.2;strefa nocna\n"
    "W1;P2;WM-1;cold_water;m3;;5;3;2024-01-01;;;1;woda zimna\n"
)

READINGS = (
    "external_id,meter,register,read_on,value,source\n"
    "R1,L2,1.8.1,2025-01-31,1000,\n"
    "R2,L2,1.8.2,2025-01-31,500,collector\n"
    'R3,W1,,2025-01-31,"12,345",estimate\n'
)


def data_file(text: str, name="import.csv") -> io.BytesIO:
    data = io.BytesIO(text.encode("utf-8"))
    data.name = name
    return data


def jsonl(*records, name="import.jsonl") -> io.BytesIO:
    return data_file("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), name)


def counts(report) -> tuple[int, int, int]:
    return report.created, report.updated, report.unchanged


def registers_of(external_id: str) -> list[tuple[str, str, int]]:
    return list(
        Register.objects.filter(meter__external_id=external_id)
        .order_by("sort_order")
        .values_list("code", "name", "sort_order")
    )


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched by their English words; Polish is the site's default."""
    with translation.override("en"):
        yield


@pytest.fixture
def points():
    return (
        ServicePointFactory(external_id="P1"),
        ServicePointFactory(external_id="P2"),
    )


@pytest.fixture
def meters(points):
    report = import_file("meters", data_file(METERS))
    assert report.ok, report.error_lines()
    return report


# -- meters --


def test_meters_with_registers_from_csv(meters, points):
    assert counts(meters) == (3, 0, 0)
    old, new, water = (Meter.objects.get(external_id=key) for key in ("L1", "L2", "W1"))
    assert new.replaced_meter == old
    assert old.removed_on == date(2024, 6, 30)
    assert new.multiplier == D("2.5") and new.decimals == 1
    assert water.multiplier == D("1") and water.unit == "m3"
    assert water.service_point == points[1]
    assert registers_of("L1") == [("1.8.1", "strefa dzienna", 0), ("1.8.2", "strefa nocna", 1)]
    assert registers_of("W1") == [("1", "woda zimna", 0)]


def test_the_same_meters_file_again_changes_nothing(meters):
    again = import_file("meters", data_file(METERS))
    assert counts(again) == (0, 0, 3)
    assert Register.objects.count() == 5
    assert Meter.objects.get(external_id="L2").replaced_meter.external_id == "L1"


def test_meters_from_json_lines_with_a_registers_array(points):
    record = {
        "external_id": "G1",
        "service_point": "P2",
        "serial_number": "GAS-1",
        "medium": "gas",
        "unit": "m3",
        "digits": 5,
        "decimals": 2,
        "installed_on": "2024-03-01",
        "registers": [{"code": "1", "name": "gaz"}],
    }
    report = import_file("meters", jsonl(record))
    assert report.ok, report.error_lines()
    assert counts(report) == (1, 0, 0)
    meter = Meter.objects.get(external_id="G1")
    assert (meter.medium, meter.digits, meter.decimals) == ("gas", 5, 2)
    assert registers_of("G1") == [("1", "gaz", 0)]
    assert counts(import_file("meters", jsonl(record))) == (0, 0, 1)


def test_a_meter_without_registers_in_json_lines_is_refused(points):
    record = {
        "external_id": "G1",
        "service_point": "P2",
        "serial_number": "GAS-1",
        "medium": "gas",
        "unit": "m3",
        "installed_on": "2024-03-01",
        "registers": [],
    }
    report = import_file("meters", jsonl(record))
    assert [(e.row, e.column) for e in report.errors] == [(1, "registers")]
    assert Meter.objects.count() == 0


def test_unknown_register_keys_in_json_lines_are_refused(points):
    record = {
        "external_id": "G1",
        "service_point": "P2",
        "serial_number": "GAS-1",
        "medium": "gas",
        "unit": "m3",
        "installed_on": "2024-03-01",
        "registers": [{"code": "1", "name": "gaz", "zone": "x"}, "2"],
    }
    report = import_file("meters", jsonl(record))
    assert [(e.column, e.message) for e in report.errors] == [
        ("registers", "unknown register keys: zone"),
        ("registers", "a register is an object with code and name"),
    ]
    assert Meter.objects.count() == 0


def test_one_bad_meter_row_writes_nothing_and_names_row_and_column(points):
    bad = METERS.replace("W1;P2;WM-1;cold_water", "W1;P2;WM-1;lemonade")
    report = import_file("meters", data_file(bad))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(5, "medium")]
    assert Meter.objects.count() == 0 and Register.objects.count() == 0
    assert counts(report) == (0, 0, 0)


def test_a_register_row_whose_meter_columns_differ_is_an_error(points):
    bad = METERS.replace(
        "L1;P1;SN-1;electricity;kWh;1;6;0;2023-01-01;2024-06-30;;1.8.2",
        "L1;P1;SN-9;electricity;kWh;1;6;0;2023-01-01;2024-06-30;;1.8.2",
    )
    report = import_file("meters", data_file(bad))
    assert [(e.row, e.column) for e in report.errors] == [(2, "serial_number"), (3, "replaces")]
    assert "first row" in report.errors[0].message
    assert "L1" in report.errors[1].message and "not imported" in report.errors[1].message
    assert Meter.objects.count() == 0


def test_removed_before_installed_and_replacing_itself_are_refused(points):
    bad = METERS.replace("2023-01-01;2024-06-30", "2023-01-01;2022-12-31").replace(
        ";L1;1.8.", ";L2;1.8."
    )
    report = import_file("meters", data_file(bad))
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(1, "removed_on"), (3, "replaces")}
    assert any("itself" in e.message for e in report.errors)
    assert Meter.objects.count() == 0


def test_a_repeated_register_code_names_the_meter(points):
    bad = METERS.replace(";1.8.2;strefa nocna\nL2", ";1.8.1;strefa nocna\nL2")
    report = import_file("meters", data_file(bad))
    assert [(e.row, e.column) for e in report.errors] == [(1, "register_code"), (3, "replaces")]
    assert "L1" in report.errors[0].message and "1.8.1" in report.errors[0].message
    assert Meter.objects.count() == 0


def test_an_unknown_service_point_or_replaced_meter_is_a_row_error(points):
    bad = METERS.replace(";P2;WM-1", ";P9;WM-1").replace(";L1;1.8.", ";L0;1.8.")
    report = import_file("meters", data_file(bad))
    assert {(e.row, e.column) for e in report.errors} == {(3, "replaces"), (5, "service_point")}
    assert Meter.objects.count() == 0


def test_a_meter_already_replaced_by_another_cannot_be_replaced_again(meters):
    text = METER_HEADER + "L3;P1;SN-3;electricity;kWh;1;6;0;2024-07-01;;L1;1.8.0;całodobowa\n"
    report = import_file("meters", data_file(text))
    assert [(e.row, e.column) for e in report.errors] == [(1, "replaces")]
    assert "L2" in report.errors[0].message
    assert not Meter.objects.filter(external_id="L3").exists()


def test_a_replacement_link_can_move_to_another_meter(meters):
    moved = METERS.replace(";L1;1.8.", ";;1.8.") + (
        "L3;P1;SN-3;electricity;kWh;1;6;0;2024-07-01;;L1;1.8.0;całodobowa\n"
    )
    report = import_file("meters", data_file(moved))
    assert report.ok, report.error_lines()
    assert counts(report) == (1, 1, 2)
    assert Meter.objects.get(external_id="L3").replaced_meter.external_id == "L1"
    assert Meter.objects.get(external_id="L2").replaced_meter is None


def test_chunks_link_a_replaced_meter_written_earlier(points):
    report = import_file("meters", data_file(METERS), chunk_size=1)
    assert report.ok, report.error_lines()
    assert Meter.objects.get(external_id="L2").replaced_meter.external_id == "L1"
    assert Register.objects.count() == 5


def test_a_replaced_meter_later_in_the_same_chunk_is_linked(points):
    lines = METERS.splitlines(keepends=True)
    reordered = lines[0] + "".join(lines[3:5]) + "".join(lines[1:3]) + lines[5]
    report = import_file("meters", data_file(reordered))
    assert report.ok, report.error_lines()
    assert Meter.objects.get(external_id="L2").replaced_meter.external_id == "L1"
    assert counts(import_file("meters", data_file(reordered))) == (0, 0, 3)


# -- registers: added, renamed, removed, kept --


def test_registers_are_matched_by_code(meters):
    changed = METERS.replace(";1.8.2;strefa nocna\nL2", ";1.8.2;noc\nL2") + (
        "W1;P2;WM-1;cold_water;m3;;5;3;2024-01-01;;;2;woda zimna ogrodowa\n"
    )
    kept = Register.objects.get(meter__external_id="L1", code="1.8.2").pk
    report = import_file("meters", data_file(changed))
    assert report.ok, report.error_lines()
    assert counts(report) == (0, 2, 1)
    assert registers_of("L1") == [("1.8.1", "strefa dzienna", 0), ("1.8.2", "noc", 1)]
    assert Register.objects.get(meter__external_id="L1", code="1.8.2").pk == kept
    assert registers_of("W1") == [("1", "woda zimna", 0), ("2", "woda zimna ogrodowa", 1)]


def test_a_register_without_readings_left_out_of_the_file_is_removed(meters):
    without_night = (
        "".join(
            line for line in METERS.splitlines(keepends=True) if not line.startswith("L1;P1;SN-1;e")
        )
        + "L1;P1;SN-1;electricity;kWh;1;6;0;2023-01-01;2024-06-30;;1.8.1;strefa dzienna\n"
    )
    report = import_file("meters", data_file(without_night))
    assert report.ok, report.error_lines()
    assert counts(report) == (0, 1, 2)
    assert registers_of("L1") == [("1.8.1", "strefa dzienna", 0)]


def test_a_register_with_readings_left_out_is_an_error_naming_the_meter(meters):
    night = Register.objects.get(meter__external_id="L1", code="1.8.2")
    ReadingFactory(register=night, value=D("700"), read_on=date(2024, 1, 31))
    without_night = METERS.replace(
        "L1;P1;SN-1;electricity;kWh;1;6;0;2023-01-01;2024-06-30;;1.8.2;strefa nocna\n", ""
    ).replace("strefa dzienna\nL2", "dzień\nL2", 1)
    report = import_file("meters", data_file(without_night))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(1, "register_code")]
    assert "L1" in report.errors[0].message and "1.8.2" in report.errors[0].message
    assert registers_of("L1") == [("1.8.1", "strefa dzienna", 0), ("1.8.2", "strefa nocna", 1)]
    assert night.readings.count() == 1


def test_meters_made_in_the_admin_keep_their_registers_in_order(points):
    MeterFactory(
        external_id="L1", service_point=points[0], registers=[("1.8.2", "noc"), ("1.8.1", "dzień")]
    )
    text = METER_HEADER + (
        "L1;P1;SN-1;electricity;kWh;1;6;0;2023-01-01;;;1.8.1;dzień\n"
        "L1;P1;SN-1;electricity;kWh;1;6;0;2023-01-01;;;1.8.2;noc\n"
    )
    report = import_file("meters", data_file(text))
    assert counts(report) == (0, 1, 0)
    assert registers_of("L1") == [("1.8.1", "dzień", 0), ("1.8.2", "noc", 1)]
    assert counts(import_file("meters", data_file(text))) == (0, 0, 1)


# -- readings --


@pytest.fixture
def events():
    heard = []

    def listener(sender, event, payload, **kwargs):
        heard.append(event)

    domain_event.connect(listener)
    yield heard
    domain_event.disconnect(listener)


def test_readings_from_csv_are_stored_accepted_without_review_or_event(
    meters, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = import_file("readings", data_file(READINGS))
    assert report.ok, report.error_lines()
    assert counts(report) == (3, 0, 0)
    day = Reading.objects.get(external_id="R1")
    assert (day.register.meter.external_id, day.register.code) == ("L2", "1.8.1")
    assert (day.value, day.read_on, day.source) == (D("1000"), date(2025, 1, 31), "erp")
    assert Reading.objects.get(external_id="R2").source == "collector"
    water = Reading.objects.get(external_id="R3")
    assert (water.register.code, water.value, water.source) == ("1", D("12.345"), "estimate")
    assert set(Reading.objects.values_list("status", flat=True)) == {"accepted"}
    assert set(Reading.objects.values_list("review_reason", flat=True)) == {""}
    assert events == []
    assert not AuditEvent.objects.filter(action="reading_submitted").exists()


def test_the_same_readings_file_again_changes_nothing(meters):
    import_file("readings", data_file(READINGS))
    again = import_file("readings", data_file(READINGS))
    assert counts(again) == (0, 0, 3)
    changed = import_file(
        "readings",
        data_file(READINGS.replace("R1,L2,1.8.1,2025-01-31,1000", "R1,L2,1.8.1,2025-01-31,1001")),
    )
    assert counts(changed) == (0, 1, 2)
    assert Reading.objects.get(external_id="R1").value == D("1001")
    assert Reading.objects.count() == 3


def test_readings_from_json_lines(meters):
    records = [
        {"external_id": "J1", "meter": "W1", "read_on": "2025-02-28", "value": 15.5},
        {
            "external_id": "J2",
            "meter": "L2",
            "register": "1.8.2",
            "read_on": "2025-02-28",
            "value": "612,4",
            "source": "collector",
            "status": "rejected",
        },
    ]
    report = import_file("readings", jsonl(*records))
    assert report.ok, report.error_lines()
    assert counts(report) == (2, 0, 0)
    assert Reading.objects.get(external_id="J1").value == D("15.5")
    rejected = Reading.objects.get(external_id="J2")
    assert (rejected.register.code, rejected.status) == ("1.8.2", "rejected")
    assert counts(import_file("readings", jsonl(*records))) == (0, 0, 2)


def test_one_bad_reading_writes_nothing_and_names_row_and_column(meters):
    bad = READINGS.replace("R2,L2,1.8.2,2025-01-31,500", "R2,L2,1.8.2,2025-01-31,1234567")
    report = import_file("readings", data_file(bad))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(2, "value")]
    assert "6 digits" in report.errors[0].message
    assert Reading.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        ("R9,L2,1.8.1,2025-01-31,-5,", "value", "negative"),
        ('R9,L2,1.8.1,2025-01-31,"10,25",', "value", "at most 1 digits"),
        ("R9,L1,1.8.1,2022-12-31,10,", "read_on", "installed"),
        ("R9,L1,1.8.1,2024-07-01,10,", "read_on", "removed"),
        ("R9,L2,1.8.1,{tomorrow},10,", "read_on", "future"),
        ("R9,L2,,2025-01-31,10,", "register", "2 registers"),
        ("R9,L2,9.9.9,2025-01-31,10,", "register", "no register 9.9.9"),
        ("R9,NOPE,1.8.1,2025-01-31,10,", "meter", "NOPE"),
        ("R9,L2,1.8.1,2025-01-31,10,customer", "source", "portal"),
        ("R9,L2,1.8.1,2025-01-31,10,reader", "source", "reader"),
    ],
)
def test_each_reading_check_names_its_column(meters, row, column, says):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    text = READINGS + row.replace("{tomorrow}", tomorrow) + "\n"
    report = import_file("readings", data_file(text))
    assert [(e.row, e.column) for e in report.errors] == [(4, column)]
    assert says in report.errors[0].message
    assert Reading.objects.count() == 0


def test_the_review_status_is_not_importable(meters):
    text = "external_id,meter,read_on,value,status\nR1,W1,2025-01-31,1,review\n"
    report = import_file("readings", data_file(text))
    assert [(e.row, e.column) for e in report.errors] == [(1, "status")]


def test_meters_and_registers_resolve_in_one_query_per_chunk(meters):
    rows = "".join(
        f"X{n},L2,1.8.{1 + n % 2},{date(2024, 7, 1) + timedelta(days=n)},{100 + n},\n"
        for n in range(40)
    )
    text = "external_id,meter,register,read_on,value,source\n" + rows
    with CaptureQueriesContext(connection) as queries:
        report = import_file("readings", data_file(text))
    assert report.ok, report.error_lines()
    assert report.created == 40
    touching_meters = [q for q in queries if "metering_meter" in q["sql"]]
    assert len(touching_meters) == 1


def test_imported_readings_feed_consumption(points):
    text = METER_HEADER + "C1;P1;C-1;electricity;kWh;2;4;0;2024-01-01;;;1.8.0;całodobowa\n"
    assert import_file("meters", data_file(text)).ok
    readings = (
        "external_id;meter;read_on;value\n"
        "C-1;C1;2025-01-31;9800\n"
        "C-2;C1;2025-02-28;9950\n"
        "C-3;C1;2025-03-31;50\n"
    )
    report = import_file("readings", data_file(readings))
    assert report.ok, report.error_lines()
    monthly = service_point_reports([points[0]])[points[0].pk].monthly()
    # 150 units in February, 100 across the roll-over in March, times the multiplier 2
    assert monthly == {(2025, 2): D("300"), (2025, 3): D("200")}


def test_partial_skips_a_meter_whose_replaced_meter_is_not_imported(points):
    bad = METERS.replace("L1;P1;SN-1;electricity", "L1;P1;SN-1;steam")
    for chunk_size in (1, 2000):
        report = import_file("meters", data_file(bad), partial=True, chunk_size=chunk_size)
        assert report.ok and report.created == 1
        assert [(e.row, e.column) for e in report.errors] == [(1, "medium"), (3, "replaces")]
        assert list(Meter.objects.values_list("external_id", flat=True)) == ["W1"]
        Meter.objects.all().delete()


def test_partial_skips_a_meter_replacing_one_refused_by_the_database_checks(meters):
    text = METER_HEADER + (
        "L4;P1;SN-4;electricity;kWh;1;6;0;2024-07-01;2024-08-01;L1;1.8.0;całodobowa\n"
        "L5;P1;SN-5;electricity;kWh;1;6;0;2024-08-01;;L4;1.8.0;całodobowa\n"
        "L6;P2;SN-6;electricity;kWh;1;6;0;2024-08-01;;;1.8.0;całodobowa\n"
    )
    report = import_file("meters", data_file(text), partial=True)
    assert [(e.row, e.column) for e in report.errors] == [(1, "replaces"), (2, "replaces")]
    assert "L4" in report.errors[1].message
    assert report.created == 1
    assert not Meter.objects.filter(external_id__in=["L4", "L5"]).exists()
    assert Meter.objects.get(external_id="L6").registers.count() == 1
