"""Meters (with registers) and their readings."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import ServicePoint
from metering.models import Meter, Reading, Register
from metering.services import check_value_format

from ..columns import Column
from .base import Kind, KindWithChildren, Record

REGISTER_COLUMNS = [
    Column("register_code", True, field="code", example="1.8.1"),
    Column("register_name", True, field="name", example="strefa dzienna"),
]
REGISTER_KEYS = {"code", "name"}


class TextColumn(Column):
    """A value the kind itself looks up (not a model field), e.g. a register code."""

    def model_field(self):
        return None

    def clean(self, value: Any) -> Any:
        if value is None:
            return None
        text = str(value).strip()
        return text or None


class MeterKind(KindWithChildren):
    """A meter with its registers: CSV repeats the meter columns on each register's row (the
    rows of one meter follow each other); JSON Lines gives a `registers` array of
    {code, name}. Registers are matched by code; one the file leaves out is removed unless it
    has readings, which are never deleted."""

    name = "meters"
    model = Meter
    columns = [
        Column("external_id", True, example="L-000123"),
        Column("service_point", True, references=ServicePoint, example="PP-0001"),
        Column("serial_number", True, example="30012345"),
        Column("medium", True, example="electricity"),
        Column("unit", True, example="kWh"),
        Column("multiplier", example="1"),
        Column("digits", example="6"),
        Column("decimals", example="0"),
        Column("installed_on", True, example="2023-01-15"),
        Column("removed_on", example=""),
        Column("replaces", field="replaced_meter", references=Meter, example="L-000100"),
    ]
    child_model = Register
    child_columns = REGISTER_COLUMNS
    children_key = "registers"
    child_prefix = "register_"

    def __init__(self):
        super().__init__()
        self.in_file: set[str] = set()

    def no_children_message(self):
        return _("a meter needs at least one register")

    def child_not_object_message(self):
        return _("a register is an object with code and name")

    def differs_message(self):
        return _("differs from the meter's first row")

    # -- rows to records: the column a register problem is reported under --
    def csv_record(self, number, row):
        record = super().csv_record(number, row)
        record.register_column = "register_code"
        return record

    def json_record(self, number, row):
        record = self.clean_row(number, row)
        record.register_column = "registers"
        return super().json_record(number, row, record)

    def check_child_keys(self, record, child):
        unknown = sorted(set(child) - REGISTER_KEYS)
        if unknown:
            record.fail("registers", _("unknown register keys: %s") % ", ".join(unknown))

    def child_values(self, record, values):
        values["sort_order"] = len(record.lines)
        return values

    def checked(self, record: Record) -> Record:
        """What one meter's own values must satisfy, before the database is asked."""
        self.in_file.add(record.external_id)
        record.replaces = None
        record.deferred_replaces = False
        codes = [register["code"] for register in record.lines]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            record.fail(
                record.register_column,
                _("meter %(meter)s repeats register %(codes)s")
                % {"meter": record.external_id, "codes": ", ".join(repeated)},
            )
        installed, removed = record.values.get("installed_on"), record.values.get("removed_on")
        if installed and removed and removed < installed:
            record.fail("removed_on", _("A meter cannot be removed before it was installed."))
        if record.external_id and record.values.get("replaced_meter") == record.external_id:
            record.fail("replaces", _("A meter cannot replace itself."))
        return record

    # -- one chunk --
    def resolve(self, records):
        """A replaced meter may be new in the same chunk: it is linked once it is written."""
        wanted = {r.values["replaced_meter"] for r in records if r.values.get("replaced_meter")}
        known = set(
            Meter.objects.filter(external_id__in=wanted).values_list("external_id", flat=True)
        )
        in_chunk = {record.external_id for record in records}
        for record in records:
            record.replaces = record.values.get("replaced_meter")
            if not record.replaces or record.replaces in known:
                continue
            if record.replaces in in_chunk:
                record.values.pop("replaced_meter")
                record.deferred_replaces = True
            elif record.replaces in self.in_file:
                record.values.pop("replaced_meter")
                self._fail_invalid_target(record)
        super().resolve(records)

    def _fail_invalid_target(self, record: Record) -> None:
        record.fail(
            "replaces",
            _("meter %s, which this one replaces, is not imported: see its errors")
            % record.replaces,
        )

    def fetch_existing(self, keys):
        existing = super().fetch_existing(keys)
        registers: dict = {}
        has_readings = Exists(Reading.objects.filter(register=OuterRef("pk")))
        for register in (
            Register.objects.filter(meter__in=existing.values())
            .annotate(has_readings=has_readings)
            .values("pk", "meter_id", "code", "name", "sort_order", "has_readings")
        ):
            registers.setdefault(register["meter_id"], {})[register["code"]] = register
        for meter in existing.values():
            meter.imported_registers = registers.get(meter.pk, {})
        return existing

    def check_unique(self, records, existing):
        super().check_unique(records, existing)
        self._check_removed_registers(records, existing)
        self._check_replaced_once(records)
        self._check_deferred(records)

    def _check_removed_registers(self, records, existing) -> None:
        """A register the file leaves out goes, unless readings hang on it."""
        for record in records:
            meter = existing.get(record.external_id)
            if meter is None:
                continue
            codes = {register["code"] for register in record.lines}
            kept = sorted(
                code
                for code, register in meter.imported_registers.items()
                if code not in codes and register["has_readings"]
            )
            if kept:
                record.fail(
                    record.register_column,
                    _(
                        "meter %(meter)s: register %(codes)s has readings and cannot be "
                        "removed; keep it in the file"
                    )
                    % {"meter": record.external_id, "codes": ", ".join(kept)},
                )

    def _check_replaced_once(self, records) -> None:
        """A meter is replaced by one meter only: in the file and in the database."""
        claimed: dict[str, str] = {}
        for record in records:
            if not record.replaces:
                continue
            if record.replaces in claimed:
                record.fail(
                    "replaces",
                    _("meter %(old)s is already replaced by meter %(new)s")
                    % {"old": record.replaces, "new": claimed[record.replaces]},
                )
            else:
                claimed[record.replaces] = record.external_id
        targets = {
            r.values["replaced_meter_id"] for r in records if r.values.get("replaced_meter_id")
        }
        if not targets:
            return
        by_key = {record.external_id: record for record in records}
        holders = Meter.objects.filter(replaced_meter_id__in=targets).values_list(
            "replaced_meter_id", "external_id", "replaced_meter__external_id"
        )
        for target, holder, target_key in holders:
            moving = by_key.get(holder)
            released = (
                moving is not None
                and not moving.errors
                and moving.values.get("replaced_meter_id") != target
            )
            if released:
                continue
            for record in records:
                if (
                    record.values.get("replaced_meter_id") == target
                    and record.external_id != holder
                ):
                    record.fail(
                        "replaces",
                        _("meter %(old)s is already replaced by meter %(new)s")
                        % {"old": target_key, "new": holder or "?"},
                    )

    def _check_deferred(self, records) -> None:
        """A link to a meter of this chunk holds only if that meter is written too."""
        changed = True
        while changed:
            valid = {record.external_id for record in records if not record.errors}
            changed = False
            for record in records:
                if record.deferred_replaces and not record.errors and record.replaces not in valid:
                    self._fail_invalid_target(record)
                    changed = True

    def write(self, records, existing):
        """Release links that move first: a meter is replaced by one meter at a time."""
        released = [
            meter.pk
            for record in records
            if (meter := existing.get(record.external_id)) is not None
            and meter.replaced_meter_id
            and meter.replaced_meter_id != record.values.get("replaced_meter_id")
        ]
        if released:
            Meter.objects.filter(pk__in=released).update(replaced_meter=None)
        return super().write(records, existing)

    def other_changes(self, record, obj):
        if record.deferred_replaces:
            return True
        wanted = {r["code"]: (r["name"], r["sort_order"]) for r in record.lines}
        stored = {
            code: (register["name"], register["sort_order"])
            for code, register in obj.imported_registers.items()
        }
        return wanted != stored

    def after_write(self, records, existing, created):
        meters = {**existing, **{meter.external_id: meter for meter in created}}
        linked = []
        for record in records:
            if record.deferred_replaces:
                meter = meters[record.external_id]
                meter.replaced_meter_id = meters[record.replaces].pk
                linked.append(meter)
        if linked:
            Meter.objects.bulk_update(linked, ["replaced_meter"])
        self._write_registers(records, meters)

    def _write_registers(self, records, meters) -> None:
        to_create, to_update, to_delete = [], [], []
        for record in records:
            meter = meters[record.external_id]
            stored = getattr(meter, "imported_registers", {})
            for register in record.lines:
                old = stored.get(register["code"])
                if old is None:
                    to_create.append(Register(meter=meter, **register))
                elif (old["name"], old["sort_order"]) != (register["name"], register["sort_order"]):
                    to_update.append(Register(pk=old["pk"], meter_id=meter.pk, **register))
            codes = {register["code"] for register in record.lines}
            to_delete += [old["pk"] for code, old in stored.items() if code not in codes]
        if to_delete:
            Register.objects.filter(pk__in=to_delete).delete()
        if to_update:
            Register.objects.bulk_update(to_update, ["name", "sort_order"])
        if to_create:
            Register.objects.bulk_create(to_create)


class ReadingKind(Kind):
    """A reading the ERP knows (the meter reader's, the billing's, an estimate): a fact, so
    it is stored accepted without the plausibility review or the customer's event."""

    name = "readings"
    model = Reading
    columns = [
        Column("external_id", True, example="O-2025-000001"),
        Column("meter", True, references=Meter, example="L-000123"),
        TextColumn(
            "register",
            example="1.8.1",
            note="register code (empty: the meter's only register)",
        ),
        Column("read_on", True, example="2025-01-31"),
        Column("value", True, example="12345,6"),
        Column("source", example="erp"),
        Column("status", example="accepted"),
    ]
    sources = (Reading.Source.ERP, Reading.Source.COLLECTOR, Reading.Source.ESTIMATE)
    statuses = (Reading.Status.ACCEPTED, Reading.Status.REJECTED, Reading.Status.REPLACED)

    def clean_row(self, number, row, columns=None):
        if columns is None and not str(row.get("source") or "").strip():
            row = {**row, "source": Reading.Source.ERP}
        record = super().clean_row(number, row, columns)
        if record.values.get("source") == Reading.Source.CUSTOMER:
            record.fail(
                "source",
                _("a customer's reading comes from the portal; allowed here: %s")
                % ", ".join(self.sources),
            )
        if record.values.get("status") == Reading.Status.REVIEW:
            record.fail(
                "status",
                _("ERP readings are not reviewed; allowed here: %s") % ", ".join(self.statuses),
            )
        return record

    def resolve(self, records):
        """Meter and register from one query per chunk; then what the meter allows."""
        wanted = {r.values["meter"] for r in records if r.values.get("meter")}
        meters: dict[str, Meter] = {}
        registers: dict[str, dict[str, int]] = {}
        for row in (
            Meter.objects.filter(external_id__in=wanted)
            .order_by()
            .values(
                "pk",
                "external_id",
                "digits",
                "decimals",
                "installed_on",
                "removed_on",
                "registers__pk",
                "registers__code",
            )
        ):
            key = row["external_id"]
            if key not in meters:
                meters[key] = Meter(
                    pk=row["pk"],
                    external_id=key,
                    digits=row["digits"],
                    decimals=row["decimals"],
                    installed_on=row["installed_on"],
                    removed_on=row["removed_on"],
                )
                registers[key] = {}
            if row["registers__pk"] is not None:
                registers[key][row["registers__code"]] = row["registers__pk"]
        today = timezone.localdate()
        for record in records:
            key = record.values.pop("meter")
            code = record.values.pop("register", None)
            meter = meters.get(key)
            if meter is None:
                record.fail("meter", _("no record with external_id %s") % key)
                continue
            record.values["register_id"] = self._register(record, key, code, registers[key])
            self._check_value(record, meter)
            self._check_day(record, meter, today)

    def _register(self, record: Record, meter: str, code: str | None, codes: dict) -> int | None:
        if code is None:
            if len(codes) == 1:
                return next(iter(codes.values()))
            record.fail(
                "register",
                _("meter %(meter)s has %(count)s registers; name one of: %(codes)s")
                % {"meter": meter, "count": len(codes), "codes": ", ".join(sorted(codes)) or "—"},
            )
            return None
        if code not in codes:
            record.fail(
                "register",
                _("meter %(meter)s has no register %(code)s (it has: %(codes)s)")
                % {"meter": meter, "code": code, "codes": ", ".join(sorted(codes)) or "—"},
            )
            return None
        return codes[code]

    def _check_value(self, record: Record, meter: Meter) -> None:
        try:
            check_value_format(meter, record.values["value"])
        except ValidationError as error:
            record.fail("value", "; ".join(error.messages))

    def _check_day(self, record: Record, meter: Meter, today) -> None:
        read_on = record.values["read_on"]
        if read_on > today:
            record.fail("read_on", _("The reading date cannot be in the future."))
        elif read_on < meter.installed_on:
            record.fail(
                "read_on",
                _("meter %(meter)s was installed on %(date)s")
                % {"meter": meter.external_id, "date": date_format(meter.installed_on)},
            )
        elif meter.removed_on and read_on > meter.removed_on:
            record.fail(
                "read_on",
                _("meter %(meter)s was removed on %(date)s")
                % {"meter": meter.external_id, "date": date_format(meter.removed_on)},
            )


KINDS_HERE = (MeterKind, ReadingKind)
