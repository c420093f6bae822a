"""Utility-scale data for the benchmarks, loaded with COPY in batches of customers.

Every row is one the app could have made: invoice lines add up to the header, payments
are allocated to the invoice they name, readings rise month by month and the invoices
bill what the meters counted. Scale rows are marked (ERP keys `SCALE-…`, users at
SCALE_EMAIL_DOMAIN) so that `--replace` finds them, and nothing else, again.
"""

import calendar
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models.deletion import get_candidate_relations_to_delete
from django.utils import timezone
from stdnum import iban
from stdnum.pl import nip

from billing.models import Allocation, Invoice, InvoiceLine, Payment, VatRate
from customers.demo import FIRST_NAMES, LAST_NAMES, LOCALITIES, STREETS
from customers.models import Customer, InboxMessage, Membership, MessageReceipt, ServicePoint, User
from customers.models.access import Role
from integrations.importer.upsert import copy_rows, preparer
from metering.models import Medium, Meter, Reading, Register, Unit
from servicedesk.models import Event, FormField, Message, Request, RequestType
from servicedesk.models.requests import REFERENCE_ALPHABET
from servicedesk.services import route
from servicedesk.sla import BusinessClock

SCALE_PREFIX = "SCALE-"
SCALE_EMAIL_DOMAIN = "scale.example.pl"
SCALE_PASSWORD = "Okienko-bench-2026"  # noqa: S105 - published benchmark credential
BATCH_CUSTOMERS = 500
INVOICE_MONTHS = 24
READING_MONTHS = 36
CENT = Decimal("0.01")
MILLI = Decimal("0.001")
K = FormField.Kind
S = Request.Status


def scale_email(index: int) -> str:
    return f"klient{index:07d}@{SCALE_EMAIL_DOMAIN}"


# What each kind of service point bills: (description, unit, net unit price, VAT rate,
# per unit consumed (True) or per month (False)). The first line is the commodity.
TARIFF_LINES = {
    ServicePoint.ServiceKind.ELECTRICITY: [
        ("Energia elektryczna czynna", "kWh", "0.5050", VatRate.RATE_23, True),
        ("Opłata dystrybucyjna zmienna", "kWh", "0.2810", VatRate.RATE_23, True),
        ("Opłata jakościowa", "kWh", "0.0321", VatRate.RATE_23, True),
        ("Opłata dystrybucyjna stała", "mies.", "11.4000", VatRate.RATE_23, False),
        ("Opłata abonamentowa", "mies.", "0.7500", VatRate.RATE_23, False),
        ("Opłata mocowa", "mies.", "5.4600", VatRate.RATE_23, False),
    ],
    ServicePoint.ServiceKind.GAS: [
        ("Paliwo gazowe", "kWh", "0.2398", VatRate.RATE_23, True),
        ("Opłata dystrybucyjna zmienna", "kWh", "0.0612", VatRate.RATE_23, True),
        ("Opłata dystrybucyjna stała", "mies.", "8.3700", VatRate.RATE_23, False),
        ("Opłata abonamentowa", "mies.", "6.8100", VatRate.RATE_23, False),
    ],
    ServicePoint.ServiceKind.WATER: [
        ("Dostawa wody", "m3", "6.2000", VatRate.RATE_8, True),
        ("Odprowadzanie ścieków", "m3", "8.9000", VatRate.RATE_8, True),
        ("Opłata abonamentowa", "mies.", "4.1000", VatRate.RATE_8, False),
    ],
    ServicePoint.ServiceKind.HEAT: [
        ("Ciepło", "GJ", "99.5000", VatRate.RATE_23, True),
        ("Opłata przesyłowa zmienna", "GJ", "38.2000", VatRate.RATE_23, True),
        ("Opłata za moc zamówioną", "mies.", "142.3000", VatRate.RATE_23, False),
        ("Opłata przesyłowa stała", "mies.", "61.8000", VatRate.RATE_23, False),
    ],
}
KIND_WEIGHTS = [
    (ServicePoint.ServiceKind.ELECTRICITY, 50),
    (ServicePoint.ServiceKind.GAS, 25),
    (ServicePoint.ServiceKind.WATER, 15),
    (ServicePoint.ServiceKind.HEAT, 10),
]


@dataclass(frozen=True)
class MeterShape:
    """How a kind of point is metered: medium, unit, digits, registers, monthly use."""

    medium: str
    unit: str
    digits: int
    decimals: int
    registers: list[tuple[str, str]]
    monthly: tuple[float, float]  # the range of a customer's average monthly use
    seasonal: float  # 0: flat all year; 1: nothing in July, twice the average in January
    billed_per_unit: Decimal  # billed units per metered unit (gas: kWh per m³)
    tariffs: tuple[str, ...]


METERING = {
    ServicePoint.ServiceKind.ELECTRICITY: MeterShape(
        Medium.ELECTRICITY,
        Unit.KWH,
        6,
        0,
        [("1.8.0", "całodobowa")],
        (90, 350),
        0.2,
        Decimal(1),
        ("G11", "G12"),
    ),  # fmt: skip
    ServicePoint.ServiceKind.GAS: MeterShape(
        Medium.GAS,
        Unit.M3,
        5,
        3,
        [("1", "gaz")],
        (15, 160),
        0.8,
        Decimal("11.2"),
        ("W-1.1", "W-2.1", "W-3.6"),
    ),  # fmt: skip
    ServicePoint.ServiceKind.WATER: MeterShape(
        Medium.COLD_WATER,
        Unit.M3,
        5,
        3,
        [("1", "woda zimna")],
        (2.5, 12),
        0.1,
        Decimal(1),
        ("W1",),
    ),  # fmt: skip
    ServicePoint.ServiceKind.HEAT: MeterShape(
        Medium.HEAT,
        Unit.GJ,
        6,
        3,
        [("1", "ciepło")],
        (0.8, 6),
        0.95,
        Decimal(1),
        ("C1",),
    ),  # fmt: skip
}
DAY_NIGHT = [("1.8.1", "strefa dzienna"), ("1.8.2", "strefa nocna")]

INBOX_SUBJECTS = [
    ("Nowe ceny od 1 stycznia", "Od 1 stycznia obowiązuje nowa taryfa. Szczegóły w cenniku."),
    ("Planowana przerwa w dostawie", "W przyszły wtorek w godzinach 8–14 wyłączymy zasilanie."),
    ("Przypomnienie o odczycie", "Zbliża się okres odczytu. Podaj stan licznika w portalu."),
    ("Faktura elektroniczna", "Dziękujemy za zgodę na e-fakturę. Papierowych już nie wyślemy."),
    ("Zmiana numeru konta", "Prosimy o wpłaty na indywidualny numer konta z faktury."),
]
REQUEST_TEXTS = [
    "Proszę o sprawdzenie, bo kwota wydaje się za wysoka.",
    "Licznik pokazuje inny stan niż na fakturze.",
    "Proszę o kontakt telefoniczny w tej sprawie.",
    "Od kilku dni wyświetlacz licznika miga.",
]
STAFF_REPLIES = [
    "Dziękujemy za zgłoszenie, sprawdzamy.",
    "Przekazaliśmy sprawę do działu technicznego.",
    "Prosimy o przesłanie zdjęcia licznika.",
]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months_before(day: date, count: int) -> list[tuple[int, int]]:
    """The `count` whole months before `day`'s month, oldest first."""
    index = day.year * 12 + day.month - 1
    return [((i // 12), (i % 12) + 1) for i in range(index - count, index)]


class Table:
    """Rows for one model, COPYed at once; columns and constant defaults come from _meta.

    A unique column must be given unless it may stay NULL; auto-now columns not given
    are set to the time of the run.
    """

    def __init__(self, model, attnames: list[str], counts: Counter) -> None:
        self.model = model
        self.counts = counts
        fields = {f.attname: f for f in model._meta.concrete_fields}
        given = [fields[name] for name in attnames]
        rest = [f for f in model._meta.concrete_fields if f.attname not in attnames]
        now = timezone.now()
        tail = []
        for f in rest:
            if f.primary_key:
                continue
            if f.unique and not (f.null and f.get_default() is None):
                raise ValueError(f"{model.__name__}.{f.name} is unique: give it per row.")
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            prep = preparer(f)
            tail.append((f, value if prep is None or value is None else prep(value)))
        self.columns = [f.column for f in given] + [f.column for f, _ in tail]
        self.tail = tuple(value for _, value in tail)
        self.prepare = [(i, p) for i, p in enumerate(preparer(f) for f in given) if p]
        self.rows: list[tuple] = []

    def add(self, *values) -> None:
        self.rows.append(values)

    def flush(self) -> None:
        if not self.rows:
            return
        prepare, tail = self.prepare, self.tail

        def ready(row):
            if prepare:
                row = list(row)
                for i, prep in prepare:
                    if row[i] is not None:
                        row[i] = prep(row[i])
                row = tuple(row)
            return row + tail

        copy_rows(self.model._meta.db_table, self.columns, map(ready, self.rows))
        self.counts[self.model._meta.db_table] += len(self.rows)
        self.rows = []


def reserve_ids(model, count: int) -> list[int]:
    """Primary keys from the table's own sequence, so children can point at their parents."""
    if not count:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def through_columns(m2m) -> tuple[type[models.Model], str, str]:
    """The through table of a many-to-many field and its (source, target) key attnames."""
    through = m2m.remote_field.through
    source = next(
        f for f in through._meta.concrete_fields if f.related_model is m2m.model and f.is_relation
    )
    target = next(
        f
        for f in through._meta.concrete_fields
        if f.related_model is m2m.related_model and f.is_relation and f is not source
    )
    return through, source.attname, target.attname


@dataclass
class DeskType:
    """A request type scale customers may file, with what filing it needs worked out once."""

    request_type: RequestType
    specs: list
    clock: BusinessClock
    routes: dict = field(default_factory=dict)


class Generator:
    """Makes the rows of a run of customers; one instance per command run."""

    def __init__(self, *, seed: int, password_hash: str, today: date) -> None:
        self.seed = seed
        self.password_hash = password_hash
        self.today = today
        self.now = timezone.now()
        self.counts: Counter = Counter()
        self.reading_months = months_before(today, READING_MONTHS + 1)  # +1: the start value
        invoice_months = [
            (y, m)
            for (y, m) in months_before(today, INVOICE_MONTHS + 1)
            if self._issue(y, m) <= today
        ]
        self.invoice_months = invoice_months[-INVOICE_MONTHS:]
        self.desk_types = self._desk_types()
        self.references = set(Request.objects.values_list("reference", flat=True))

    @staticmethod
    def _issue(year: int, month: int) -> date:
        return month_end(year, month) + timedelta(days=5)

    def _desk_types(self) -> list[DeskType]:
        """Active types any owner may file that need no file or price-list lines."""
        types = []
        queryset = (
            RequestType.objects.active()
            .filter(segments__isnull=True, allowed_roles__icontains=Role.OWNER)
            .select_related("calendar", "team")
            .prefetch_related("fields", "calendar__holidays")
            .distinct()
        )
        for request_type in queryset:
            specs = list(request_type.fields.all())
            if any(s.required and s.kind in (K.FILE, K.ORDER_LINES) for s in specs):
                continue
            types.append(DeskType(request_type, specs, BusinessClock(request_type.calendar)))
        return types

    def _route(self, desk: DeskType, point) -> tuple:
        """route() answers by the point's postal code and city: asked once per place."""
        key = (point.postal_code, point.city) if point else None
        if key not in desk.routes:
            team, assignee = route(desk.request_type, point)
            if assignee is None and desk.request_type.team_id:
                assignee = desk.request_type.team.lead
            desk.routes[key] = (team.pk if team else None, assignee.pk if assignee else None)
        return desk.routes[key]

    def _uuid(self, rng: random.Random) -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def _reference(self, rng: random.Random) -> str:
        while True:
            body = "".join(rng.choices(REFERENCE_ALPHABET, k=8))
            reference = f"ZG-{body[:4]}-{body[4:]}"
            if reference not in self.references:
                self.references.add(reference)
                return reference

    def batch(self, first: int, count: int) -> None:
        """Generate and COPY customers first … first+count-1, with all they own."""
        rng = random.Random(self.seed * 1_000_003 + first)  # noqa: S311 - repeatable data
        counts = self.counts
        t = {
            "user": Table(User, ["id", "password", "email", "first_name", "last_name",
                                 "is_active", "date_joined", "active_customer_id"], counts),
            "customer": Table(Customer, ["id", "public_id", "number", "kind", "name", "nip",
                                         "email", "phone", "billing_street",
                                         "billing_postal_code", "billing_city", "bank_account",
                                         "e_invoice_consent", "external_id", "created_at",
                                         "updated_at"], counts),
            "membership": Table(Membership, ["public_id", "user_id", "customer_id", "role",
                                             "external_id", "created_at"], counts),
            "point": Table(ServicePoint, ["id", "public_id", "customer_id", "code", "name",
                                          "street", "postal_code", "city", "service_kind",
                                          "tariff", "external_id"], counts),
            "meter": Table(Meter, ["id", "public_id", "service_point_id", "serial_number",
                                   "medium", "unit", "digits", "decimals", "installed_on",
                                   "external_id"], counts),
            "register": Table(Register, ["id", "meter_id", "sort_order", "code", "name"], counts),
            "reading": Table(Reading, ["public_id", "register_id", "value", "read_on", "source",
                                       "status", "created_at", "external_id"], counts),
            "invoice": Table(Invoice, ["id", "public_id", "customer_id", "service_point_id",
                                       "number", "issue_date", "sale_date", "due_date",
                                       "net_total", "vat_total", "gross_total", "external_id",
                                       "created_at"], counts),
            "line": Table(InvoiceLine, ["invoice_id", "position", "description", "quantity",
                                        "unit", "unit_net_price", "vat_rate", "net", "vat",
                                        "gross"], counts),
            "payment": Table(Payment, ["id", "public_id", "customer_id", "kind", "amount",
                                       "received_on", "title", "named_invoice_id",
                                       "external_id", "created_at"], counts),
            "allocation": Table(Allocation, ["payment_id", "invoice_id", "amount"], counts),
            "request": Table(Request, ["id", "public_id", "reference", "customer_id",
                                       "filed_by_id", "request_type_id", "service_point_id",
                                       "subject", "data", "status", "priority", "team_id",
                                       "assignee_id", "created_at", "updated_at",
                                       "first_response_due", "resolution_due", "statutory_due",
                                       "first_responded_at", "resolved_at", "closed_at",
                                       "paused_at", "first_response_left",
                                       "resolution_left", "first_response_breached",
                                       "resolution_breached", "external_id"], counts),
            "event": Table(Event, ["request_id", "kind", "actor_id", "public", "from_status",
                                   "to_status", "text", "created_at"], counts),
            "message": Table(Message, ["request_id", "author_id", "from_staff", "internal",
                                       "body", "created_at"], counts),
            "inbox": Table(InboxMessage, ["id", "public_id", "subject", "body", "audience",
                                          "published_at", "created_at"], counts),
            "receipt": Table(MessageReceipt, ["message_id", "user_id", "delivered_at",
                                              "read_at"], counts),
        }  # fmt: skip
        inbox_through, inbox_source, inbox_target = through_columns(
            InboxMessage._meta.get_field("customers")
        )
        t["inbox_to"] = Table(inbox_through, [inbox_source, inbox_target], counts)

        points_per = [rng.choices((1, 2, 3), weights=(60, 30, 10))[0] for _ in range(count)]
        customer_ids = reserve_ids(Customer, count)
        user_ids = reserve_ids(User, count)
        point_ids = iter(reserve_ids(ServicePoint, sum(points_per)))
        meter_ids = iter(reserve_ids(Meter, sum(points_per)))
        register_ids = iter(reserve_ids(Register, 2 * sum(points_per)))
        months = len(self.invoice_months)
        invoice_ids = iter(reserve_ids(Invoice, months * count))
        payment_ids = iter(reserve_ids(Payment, months * count))
        inbox_ids = iter(reserve_ids(InboxMessage, 3 * count))
        request_ids = iter(reserve_ids(Request, 3 * count))

        for offset in range(count):
            index = first + offset
            self._customer(
                rng, t, index, customer_ids[offset], user_ids[offset], points_per[offset],
                point_ids, meter_ids, register_ids, invoice_ids, payment_ids, inbox_ids,
                request_ids,
            )  # fmt: skip
        for table in t.values():
            table.flush()

    def _customer(self, rng, t, index, customer_id, user_id, point_count, point_ids, meter_ids,
                  register_ids, invoice_ids, payment_ids, inbox_ids, request_ids) -> None:  # fmt: skip
        number = f"S{index:07d}"
        key = f"{SCALE_PREFIX}{number}"
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if first_name.endswith("a") and last_name.endswith("ski"):
            last_name = last_name[:-1] + "a"
        postal_code, city = rng.choice(LOCALITIES)
        street = f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
        if rng.random() < 0.2:
            street += f"/{rng.randint(1, 60)}"
        roll = rng.random()
        if roll < 0.9:
            kind, name, tax_id = Customer.Kind.PERSON, f"{first_name} {last_name}", ""
        else:
            tax_id = _nip(rng)
            if roll < 0.97:
                kind, name = Customer.Kind.COMPANY, f"{last_name} i Wspólnicy sp. j."
            else:
                kind = Customer.Kind.COOPERATIVE
                name = f"Spółdzielnia Mieszkaniowa {rng.choice(STREETS).split(' ', 1)[1]}"
        email = scale_email(index)
        bban = f"10901014{index:016d}"
        account = f"PL{iban.calc_check_digits('PL00' + bban)}{bban}"
        joined = self.now - timedelta(days=rng.randint(3 * 365, 12 * 365))
        t["customer"].add(
            customer_id, self._uuid(rng), number, kind, name, tax_id, email,
            f"+48 6{rng.randint(0, 99):02d} {rng.randint(0, 999):03d} {rng.randint(0, 999):03d}",
            street, postal_code, city, account, rng.random() < 0.6, key, joined, joined,
        )  # fmt: skip
        t["user"].add(
            user_id, self.password_hash, email, first_name, last_name, True,
            joined + timedelta(days=rng.randint(1, 300)), customer_id,
        )  # fmt: skip
        t["membership"].add(self._uuid(rng), user_id, customer_id, Role.OWNER, key, joined)

        kinds = []
        while len(kinds) < point_count:
            kinds.append(rng.choices(*zip(*KIND_WEIGHTS, strict=True))[0])
        points = []
        for position, service_kind in enumerate(kinds, start=1):
            point_id = next(point_ids)
            shape = METERING[service_kind]
            tariff = rng.choice(shape.tariffs)
            code = f"PL9999{index:011d}{position}"
            point_street = street if position == 1 or rng.random() < 0.7 else (
                f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
            )  # fmt: skip
            point = ServicePoint(
                id=point_id, code=code, postal_code=postal_code, city=city,
                service_kind=service_kind,
            )  # fmt: skip
            t["point"].add(
                point_id, self._uuid(rng), customer_id, code,
                ServicePoint.ServiceKind(service_kind).label.capitalize(), point_street,
                postal_code, city, service_kind, tariff, f"{SCALE_PREFIX}PP-{number}-{position}",
            )  # fmt: skip
            usage = self._meter(rng, t, index, position, point_id, next(meter_ids),
                                register_ids, shape, tariff, joined)  # fmt: skip
            points.append((point, usage))
        self._invoices(rng, t, number, customer_id, points, invoice_ids, payment_ids)
        self._requests(rng, t, number, customer_id, user_id, points, request_ids)
        self._inbox(rng, t, customer_id, user_id, inbox_ids)

    def _meter(self, rng, t, index, position, point_id, meter_id, register_ids, shape, tariff,
               joined):  # fmt: skip
        """A meter with its registers and readings; returns billed use per (year, month)."""
        installed = min(joined.date(), month_end(*self.reading_months[0]))
        t["meter"].add(
            meter_id, self._uuid(rng), point_id, f"{rng.randint(10, 99)}{index:08d}{position}",
            shape.medium, shape.unit, shape.digits, shape.decimals, installed,
            f"{SCALE_PREFIX}M-{index}-{position}",
        )  # fmt: skip
        registers = DAY_NIGHT if tariff == "G12" else shape.registers
        shares = (0.65, 0.35) if len(registers) == 2 else (1.0,)
        average = rng.uniform(*shape.monthly)
        step = Decimal(1).scaleb(-shape.decimals)
        usage: dict[tuple[int, int], Decimal] = {}
        for order, ((code, name), share) in enumerate(zip(registers, shares, strict=True)):
            register_id = next(register_ids)
            t["register"].add(register_id, meter_id, order, code, name)
            value = Decimal(rng.uniform(0, 10 ** (shape.digits - 2))).quantize(step)
            for n, (year, month) in enumerate(self.reading_months):
                if n:
                    season = 1 + shape.seasonal * _season(month)
                    used = Decimal(average * share * season * rng.uniform(0.85, 1.15)).quantize(
                        step
                    )
                    value += used
                    usage[(year, month)] = usage.get((year, month), Decimal(0)) + used
                read_on = month_end(year, month)
                t["reading"].add(
                    self._uuid(rng), register_id, value, read_on,
                    Reading.Source.COLLECTOR if rng.random() < 0.7 else Reading.Source.ERP,
                    Reading.Status.ACCEPTED,
                    datetime(read_on.year, read_on.month, read_on.day, 15, tzinfo=UTC)
                    + timedelta(days=1),
                    None,  # the ERP's key: readings are marked by their customer already
                )  # fmt: skip
        return {k: (v * shape.billed_per_unit).quantize(MILLI) for k, v in usage.items()}

    def _invoices(self, rng, t, number, customer_id, points, invoice_ids, payment_ids) -> None:
        """Monthly invoices billing the metered use, and how this customer pays them."""
        per_point = max(2, 8 // len(points))
        payer = rng.random()
        for year, month in self.invoice_months:
            invoice_id = next(invoice_ids)
            lines = []
            for point, usage in points:
                tariff = TARIFF_LINES[point.service_kind]
                take = rng.randint(3, len(tariff)) if len(points) == 1 else per_point
                for description, unit, price, rate, metered in tariff[:take]:
                    quantity = usage[(year, month)] if metered else Decimal(1)
                    price = Decimal(price)
                    net = money(quantity * price)
                    vat = money(net * VatRate.percent(rate) / 100)
                    lines.append((description, quantity, unit, price, rate, net, vat, net + vat))
            net_total = sum((line[5] for line in lines), Decimal(0))
            vat_total = sum((line[6] for line in lines), Decimal(0))
            gross_total = net_total + vat_total
            issue = self._issue(year, month)
            due = issue + timedelta(days=14)
            invoice_number = f"FS/{year}/{month:02d}/{number}"
            t["invoice"].add(
                invoice_id, self._uuid(rng), customer_id,
                points[0][0].id if len(points) == 1 else None, invoice_number, issue,
                month_end(year, month), due, net_total, vat_total, gross_total,
                f"{SCALE_PREFIX}F-{number}-{year}{month:02d}",
                datetime(issue.year, issue.month, issue.day, 6, tzinfo=UTC),
            )  # fmt: skip
            for position, line in enumerate(lines, start=1):
                t["line"].add(invoice_id, position, *line)
            paid_on, amount = self._payment(rng, payer, issue, due, gross_total)
            if paid_on is None:
                continue
            payment_id = next(payment_ids)
            t["payment"].add(
                payment_id, self._uuid(rng), customer_id,
                Payment.Kind.ONLINE if rng.random() < 0.3 else Payment.Kind.TRANSFER, amount,
                paid_on, f"Faktura {invoice_number}", invoice_id,
                f"{SCALE_PREFIX}P-{number}-{year}{month:02d}",
                datetime(paid_on.year, paid_on.month, paid_on.day, 12, tzinfo=UTC),
            )  # fmt: skip
            t["allocation"].add(payment_id, invoice_id, amount)

    def _payment(self, rng, payer: float, issue: date, due: date, gross: Decimal):
        """(received on, amount) or (None, None): most pay on time, some late, a few not."""
        roll = rng.random()
        if payer < 0.8:  # pays on time, very rarely forgets
            late, missing, partial = 0.03, 0.01, 0.0
        elif payer < 0.95:  # often late
            late, missing, partial = 0.35, 0.04, 0.03
        else:  # in debt
            late, missing, partial = 0.3, 0.3, 0.1
        if roll < missing:
            return None, None
        if roll < missing + late:
            paid_on = due + timedelta(days=rng.randint(1, 45))
        else:
            paid_on = issue + timedelta(days=rng.randint(1, 13))
        if paid_on > self.today:
            return None, None
        amount = money(gross * Decimal(rng.choice((30, 50, 70))) / 100)
        return paid_on, amount if rng.random() < partial and amount > 0 else gross

    def _requests(self, rng, t, number, customer_id, user_id, points, request_ids) -> None:
        """A few requests in every state, with the history and replies the workflow writes."""
        if not self.desk_types:
            return
        for _ in range(rng.choices((0, 1, 2, 3), weights=(30, 35, 25, 10))[0]):
            desk = rng.choice(self.desk_types)
            request_type = desk.request_type
            point = rng.choice(points)[0]
            data, subject = self._answers(rng, desk, point, number)
            point_code = data.get("_point")
            data.pop("_point", None)
            chosen = point if point_code else None
            team_id, assignee_id = self._route(desk, chosen)
            closed = rng.random() < 0.6
            age = timedelta(days=rng.randint(20, 700) if closed else rng.randint(0, 10),
                            hours=rng.randint(1, 23), minutes=rng.randint(0, 59))  # fmt: skip
            filed = self.now - age
            first_due = desk.clock.add(filed, timedelta(hours=request_type.first_response_hours))
            resolution_due = desk.clock.add(filed, timedelta(hours=request_type.resolution_hours))
            statutory = (
                timezone.localdate(filed) + timedelta(days=request_type.statutory_days)
                if request_type.statutory_days
                else None
            )
            request_id = next(request_ids)
            filed_status = S.NEW if assignee_id is None else S.ASSIGNED
            if assignee_id is None:
                path = [S.REJECTED] if closed else []
            elif closed:
                path = [S.IN_PROGRESS, S.RESOLVED, S.CLOSED]
            else:
                path = rng.choice([[], [S.IN_PROGRESS], [S.IN_PROGRESS, S.WAITING]])
            moment = filed
            moves = []
            responded = resolved = closed_at = paused = None
            replies = [(user_id, False, rng.choice(REQUEST_TEXTS), filed + timedelta(minutes=5))]
            span = (self.now - filed) / (len(path) + 1)
            for to_status in path:
                step = timedelta(hours=rng.uniform(1, 72)) if closed else span
                moment += step * rng.uniform(0.3, 1.0)
                moves.append((to_status, moment))
                if to_status in (S.WAITING, S.RESOLVED, S.REJECTED) and responded is None:
                    responded = moment
                    replies.append((assignee_id, True, rng.choice(STAFF_REPLIES), moment))
                if to_status == S.WAITING:
                    paused = moment
                if to_status == S.RESOLVED:
                    resolved = moment
                if to_status in Request.CLOSED_STATUSES:
                    closed_at = moment
            status = moves[-1][0] if moves else filed_status
            first_left = resolution_left = None
            if paused:  # the clock stops while we wait; move() keeps what was left
                if responded is None:
                    first_left = desk.clock.between(paused, first_due)
                resolution_left = desk.clock.between(paused, resolution_due)
            first_end = responded or paused or self.now
            resolution_end = resolved or closed_at or paused or self.now
            t["request"].add(
                request_id, self._uuid(rng), self._reference(rng), customer_id, user_id,
                request_type.pk, chosen.id if chosen else None, subject, data, status,
                request_type.priority, team_id, assignee_id, filed,
                max(moment, replies[-1][3]), first_due, resolution_due, statutory, responded,
                resolved, closed_at, paused, first_left, resolution_left, first_end > first_due,
                resolution_end > resolution_due, f"{SCALE_PREFIX}Z-{request_id}",
            )  # fmt: skip
            t["event"].add(request_id, Event.Kind.CREATED, user_id, True, "", filed_status, "",
                           filed)  # fmt: skip
            if assignee_id:
                t["event"].add(request_id, Event.Kind.ASSIGNED, None, False, "", "", "", filed)
            for (before, _at), (after, at) in zip(
                [(filed_status, filed), *moves], moves, strict=False
            ):
                actor = user_id if after == S.CLOSED else assignee_id
                text = "" if after in (S.IN_PROGRESS, S.CLOSED) else rng.choice(STAFF_REPLIES)
                t["event"].add(request_id, Event.Kind.STATUS, actor, True, before, after, text, at)
            for author, from_staff, body, at in replies:
                t["message"].add(request_id, author, from_staff, False, body, at)
                t["event"].add(request_id, Event.Kind.REPLY, author, True, "", "", "", at)

    def _answers(self, rng, desk: DeskType, point, number: str) -> tuple[dict, str]:
        """Form answers as data_to_store() keeps them, and the subject the form makes."""
        data: dict = {}
        subject = desk.request_type.name
        for spec in desk.specs:
            value = None
            if spec.kind == K.TEXT:
                year, month = rng.choice(self.invoice_months)
                value = f"FS/{year}/{month:02d}/{number}"
                if subject == desk.request_type.name:
                    subject = f"{desk.request_type.name}: {value}"[:200]
            elif spec.kind == K.LONG_TEXT:
                value = rng.choice(REQUEST_TEXTS)
            elif spec.kind == K.NUMBER:
                low = spec.min_value if spec.min_value is not None else Decimal(1)
                high = spec.max_value if spec.max_value is not None else low + 500
                value = str(money(Decimal(rng.uniform(float(low), float(high)))))
            elif spec.kind == K.DATE:
                value = (self.today - timedelta(days=rng.randint(1, 60))).isoformat()
            elif spec.kind == K.CHOICE:
                pairs = spec.choice_pairs()
                value = rng.choice(pairs)[0] if pairs else None
            elif spec.kind == K.YES_NO:
                value = rng.random() < 0.5
            elif spec.kind == K.FILE or spec.kind == K.ORDER_LINES:
                value = []
            elif spec.kind == K.SERVICE_POINT:
                value = point.code
                data["_point"] = point.code
            if value is None and not spec.required:
                data[spec.key] = None
                continue
            data[spec.key] = value
        return data, subject

    def _inbox(self, rng, t, customer_id, user_id, inbox_ids) -> None:
        """A few messages addressed to this customer alone, most delivered, some read."""
        for subject, body in rng.sample(INBOX_SUBJECTS, rng.randint(1, 3)):
            message_id = next(inbox_ids)
            sent = self.now - timedelta(days=rng.randint(1, 400), hours=rng.randint(0, 23))
            t["inbox"].add(
                message_id, self._uuid(rng), subject, f"<p>{body}</p>",
                InboxMessage.Audience.CUSTOMERS, sent, sent - timedelta(hours=1),
            )  # fmt: skip
            t["inbox_to"].add(message_id, customer_id)
            if rng.random() < 0.7:
                delivered = sent + timedelta(days=rng.randint(0, 20))
                read = delivered + timedelta(minutes=rng.randint(1, 600))
                t["receipt"].add(
                    message_id, user_id, delivered, read if rng.random() < 0.7 else None
                )


def _nip(rng: random.Random) -> str:
    """A NIP with a valid check digit (a weighted sum of 10 has none: draw again)."""
    while True:
        body = [rng.randint(1, 9), *(rng.randint(0, 9) for _ in range(8))]
        check = sum(w * d for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body, strict=True)) % 11
        if check != 10:
            number = "".join(map(str, body)) + str(check)
            if nip.is_valid(number):
                return number


def _season(month: int) -> float:
    """+1 in January, -1 in July: heating and lighting follow the year."""
    return [1, 0.85, 0.5, 0, -0.5, -0.85, -1, -0.85, -0.5, 0, 0.5, 0.85][month - 1]


def scale_customers() -> models.QuerySet:
    return Customer.objects.filter(external_id__startswith=SCALE_PREFIX)


def scale_users() -> models.QuerySet:
    return User.objects.filter(email__endswith=f"@{SCALE_EMAIL_DOMAIN}")


def delete_scale_data() -> None:
    """Delete the scale customers and users with everything that points at them, in SQL.

    Follows every relation Django's own delete would (PROTECT too: these rows go whole),
    so rows a load test added (sessions, audit, payments) go with them; the ORM's
    collector would load millions of objects to do the same.
    """
    own_messages = (
        InboxMessage.objects.filter(
            audience=InboxMessage.Audience.CUSTOMERS, customers__in=scale_customers()
        )
        .exclude(customers__in=Customer.objects.exclude(pk__in=scale_customers()))
        .distinct()
    )
    roots = [
        ("scale_inbox_ids", InboxMessage, own_messages),
        ("scale_customer_ids", Customer, scale_customers()),
        ("scale_user_ids", User, scale_users()),
    ]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name, _model, queryset in roots:
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
            cursor.execute(f"CREATE TEMP TABLE {quote(name)} ON COMMIT DROP AS {sql}", params)
        for name, model, _queryset in roots:
            where = f"{quote(model._meta.pk.column)} IN (SELECT * FROM {quote(name)})"  # noqa: S608
            _delete(cursor, model, where)


def _delete(cursor, model, where: str, path=()) -> None:
    """DELETE the rows of `model` matching `where`, their dependants first."""
    quote = connection.ops.quote_name
    meta = model._meta
    # Names come from the models' metadata, quoted; values only ever from the ORM's params.
    chosen = f"SELECT {quote(meta.pk.column)} FROM {quote(meta.db_table)} WHERE {where}"  # noqa: S608
    relations = [
        rel for rel in get_candidate_relations_to_delete(meta) if rel.related_model not in path
    ]
    # Rows that point at their siblings go first (a payment names an invoice), so that
    # nulling a key never rewrites rows about to be deleted anyway.
    siblings = {rel.related_model for rel in relations}
    relations.sort(
        key=lambda rel: -sum(
            1 for f in rel.related_model._meta.concrete_fields
            if f.is_relation and f.related_model in siblings and f.related_model is not rel.related_model
        )
    )  # fmt: skip
    for rel in relations:
        related = rel.related_model
        column = quote(rel.field.column)
        condition = f"{column} IN ({chosen})"
        if rel.on_delete is models.SET_NULL:
            cursor.execute(
                f"UPDATE {quote(related._meta.db_table)} SET {column} = NULL "  # noqa: S608
                f"WHERE {condition}"
            )
        elif related is not model:
            _delete(cursor, related, condition, (*path, model))
    cursor.execute(f"DELETE FROM {quote(meta.db_table)} WHERE {where}")  # noqa: S608


class Command(BaseCommand):
    help = (
        "Load utility-scale data (customers with service points, meters, readings, invoices, "
        "payments, requests and messages) into PostgreSQL with COPY, for the benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000,
                            help="How many customers (default 100 000).")  # fmt: skip
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--replace", action="store_true",
                            help="Delete the scale data of an earlier run first.")  # fmt: skip
        parser.add_argument("--logins", type=Path, metavar="FILE",
                            help="Write the scale users' e-mails there, one a line.")  # fmt: skip
        parser.add_argument("--batch", type=int, default=BATCH_CUSTOMERS,
                            help=f"Customers per COPY batch (default {BATCH_CUSTOMERS}).")  # fmt: skip

    def handle(
        self, *args, customers: int, seed: int, replace: bool, logins, batch: int, **options
    ):
        if connection.vendor != "postgresql":
            raise CommandError(
                "seed_scale loads with COPY: set DATABASE_URL to a PostgreSQL database."
            )
        if customers < 1 or batch < 1:
            raise CommandError("--customers and --batch must be 1 or more.")
        started = time.perf_counter()
        existing = scale_customers().count()
        existing_users = scale_users().count()
        if existing or existing_users:
            if not replace:
                raise CommandError(
                    f"Scale data already exists ({existing} customers, {existing_users} users); "
                    "pass --replace to delete it first."
                )
            self.stdout.write(f"Deleting the earlier scale data ({existing} customers)…")
            with transaction.atomic():
                delete_scale_data()
            self.stdout.write(f"  deleted in {time.perf_counter() - started:.1f}s")
        generator = Generator(
            seed=seed, password_hash=make_password(SCALE_PASSWORD), today=timezone.localdate()
        )
        if not generator.desk_types:
            self.stderr.write(
                "No active request type any owner may file without attachments: the customers "
                "get no service requests (seed_demo creates some)."
            )
        loading = time.perf_counter()
        for first in range(1, customers + 1, batch):
            count = min(batch, customers + 1 - first)
            with transaction.atomic():
                # Losing the last batches in a crash costs a re-run, not consistency.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                generator.batch(first, count)
            done = first + count - 1
            spent = time.perf_counter() - loading
            self.stdout.write(
                f"  {done:>9,} / {customers:,} customers  {spent:7.1f}s  "
                f"~{spent / done * (customers - done):.0f}s left"
            )
        with connection.cursor() as cursor:
            for table in generator.counts:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        width = max(len(table) for table in generator.counts)
        self.stdout.write("Rows loaded:")
        for table, rows in generator.counts.items():
            self.stdout.write(f"  {table.ljust(width)}  {rows:>12,}")
        self.stdout.write(f"  {'total'.ljust(width)}  {sum(generator.counts.values()):>12,}")
        if logins:
            logins.write_text("".join(f"{scale_email(i)}\n" for i in range(1, customers + 1)))
            self.stdout.write(f"{customers:,} scale logins written to {logins}.")
        self.stdout.write(
            f"Scale users: {scale_email(1)} … {scale_email(customers)}, "
            f"password {SCALE_PASSWORD} (owner of one customer each)."
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{customers:,} customers in {time.perf_counter() - started:.1f}s (seed {seed})."
            )
        )
