from decimal import Decimal

import factory
import wagtail_factories
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import Site

from home.models import CompanySettings, HomePage, StandardPage

PASSWORD = "correct-horse-battery-staple"


def png_bytes(size: tuple[int, int] = (4, 3)) -> bytes:
    """A real PNG picture, as a phone would send of a meter's display."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.pl")
    first_name = "Anna"
    last_name = "Nowak"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class HomePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = HomePage

    title = "Okienko"
    slug = "portal"
    hero_title = "Twoje sprawy z nami"
    hero_text = "Faktury, odczyty i zgłoszenia w jednym miejscu."


class StandardPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = StandardPage

    title = factory.Sequence(lambda n: f"Strona {n}")
    intro = "Wprowadzenie"


class CompanySettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanySettings

    site = factory.LazyFunction(lambda: Site.objects.get(is_default_site=True))
    name = "Okienko Energia Sp. z o.o."
    street = "ul. Elektryczna 12"
    postal_code = "00-950"
    city = "Warszawa"
    nip = "5260250274"
    regon = "012345675"
    bank_account = "PL61109010140000071219812874"
    phone = "+48 22 100 20 30"
    email = "bok@example.pl"


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Segment"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"segment-{n}")
    group = factory.LazyAttribute(lambda o: Group.objects.create(name=f"Segment {o.code}"))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Customer"

    number = factory.Sequence(lambda n: f"{500000 + n}")
    kind = "person"
    name = factory.Sequence(lambda n: f"Klient {n}")
    email = factory.Sequence(lambda n: f"klient{n}@example.pl")
    billing_street = "ul. Polna 1"
    billing_postal_code = "00-001"
    billing_city = "Warszawa"


class ServicePointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.ServicePoint"

    customer = factory.SubFactory(CustomerFactory)
    code = factory.Sequence(lambda n: f"PL0037{n:012d}")
    street = "ul. Polna 1"
    postal_code = "00-001"
    city = "Warszawa"
    tariff = "G11"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Membership"

    user = factory.SubFactory(UserFactory)
    customer = factory.SubFactory(CustomerFactory)
    role = "owner"


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An invoice with one 23% line; pass `lines` to the `with_lines` helper for more."""

    class Meta:
        model = "billing.Invoice"
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"FV/2026/{n + 1:06d}")
    issue_date = factory.LazyFunction(lambda: __import__("datetime").date(2026, 10, 1))
    sale_date = factory.SelfAttribute("issue_date")
    due_date = factory.LazyAttribute(
        lambda o: o.issue_date + __import__("datetime").timedelta(days=14)
    )
    net_total = Decimal("100.00")
    vat_total = Decimal("23.00")
    gross_total = Decimal("123.00")

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        """(description, quantity, unit, unit_net_price, vat_rate) tuples; one line if none."""
        if not create:
            return
        from billing.models import InvoiceLine
        from billing.services import line_amounts

        specs = extracted or [("Energia czynna", Decimal("1"), "szt.", self.net_total, "23")]
        for position, (description, quantity, unit, price, rate) in enumerate(specs, 1):
            net, vat, gross = line_amounts(Decimal(quantity), Decimal(price), rate)
            InvoiceLine.objects.create(
                invoice=self,
                position=position,
                description=description,
                quantity=quantity,
                unit=unit,
                unit_net_price=price,
                vat_rate=rate,
                net=net,
                vat=vat,
                gross=gross,
            )
        if extracted:
            lines = list(self.lines.all())
            self.net_total = sum(line.net for line in lines)
            self.vat_total = sum(line.vat for line in lines)
            self.gross_total = sum(line.gross for line in lines)
            self.save(update_fields=["net_total", "vat_total", "gross_total"])


class MeterFactory(factory.django.DjangoModelFactory):
    """An electricity meter with one register, "1.8.0"; pass `registers=[(code, name), …]` for more."""

    class Meta:
        model = "metering.Meter"
        skip_postgeneration_save = True

    service_point = factory.SubFactory(ServicePointFactory)
    serial_number = factory.Sequence(lambda n: f"SN-{n:08d}")
    medium = "electricity"
    unit = "kWh"
    digits = 6
    decimals = 0
    installed_on = factory.LazyFunction(lambda: __import__("datetime").date(2023, 1, 1))

    @factory.post_generation
    def registers(self, create, extracted, **kwargs):
        if not create:
            return
        from metering.models import Register

        for order, (code, name) in enumerate(extracted or [("1.8.0", "Całodobowa")]):
            Register.objects.create(meter=self, code=code, name=name, sort_order=order)


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "metering.Reading"

    register = factory.LazyAttribute(lambda o: MeterFactory().registers.first())
    value = Decimal("1000")
    read_on = factory.LazyFunction(lambda: __import__("datetime").date(2026, 1, 1))
    source = "erp"
    status = "accepted"


class ReadingWindowFactory(factory.django.DjangoModelFactory):
    """Open every day of the month unless told otherwise; for every customer."""

    class Meta:
        model = "metering.ReadingWindow"

    name = factory.Sequence(lambda n: f"Okno {n}")
    start_day = 1
    end_day = 31


def monthly_readings(meter, start_value=Decimal(10000), per_day=Decimal(5), months=24, last=None):
    """Accepted ERP readings on the 28th of `months` + 1 months ending with `last` (by default
    the 28th of the month before last), `per_day` units a day; returns the last value."""
    from datetime import date

    if last is None:
        today = date.today()
        index = today.year * 12 + today.month - 3
        last = date(index // 12, index % 12 + 1, 28)
    days = []
    for back in range(months, -1, -1):
        index = last.year * 12 + last.month - 1 - back
        days.append(date(index // 12, index % 12 + 1, 28))
    value = start_value
    for index, day in enumerate(days):
        if index:
            value += per_day * (day - days[index - 1]).days
        for register in meter.registers.all():
            ReadingFactory(register=register, value=value % meter.capacity, read_on=day)
    return value


COMPLAINT_FIELDS = [
    ("invoice", "text", True, ""),
    ("what", "long_text", True, ""),
    ("amount", "number", False, ""),
    ("since", "date", False, ""),
    ("reason", "choice", True, "Za wysoka kwota | Amount too high\nInne | Other"),
    ("agree", "yes_no", False, ""),
    ("point", "service_point", False, ""),
    ("scan", "file", False, ""),
]


def complaint_type(team=None, calendar=None):
    """A complaint about a bill with a field of every kind but order lines, 8–16 on workdays,
    answered within 8 and resolved within 40 business hours, 14 days by law."""
    from datetime import time

    from servicedesk.models import FormField, RequestType, WorkingCalendar

    calendar = calendar or WorkingCalendar.objects.create(
        name="BOK", opens_at=time(8), closes_at=time(16)
    )
    complaint = RequestType.objects.create(
        slug="reklamacja",
        name="Reklamacja",
        name_en="Complaint",
        category="complaint",
        team=team,
        calendar=calendar,
        first_response_hours=8,
        resolution_hours=40,
        statutory_days=14,
    )
    for order, (key, kind, required, choices) in enumerate(COMPLAINT_FIELDS):
        FormField.objects.create(
            request_type=complaint,
            sort_order=order,
            key=key,
            label=key.title(),
            label_en=key.title(),
            kind=kind,
            required=required,
            choices=choices,
        )
    return complaint
