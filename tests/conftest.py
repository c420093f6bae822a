import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from wagtail.models import Collection, Locale, Page, Site

from home import page_cache
from tests.factories import CompanySettingsFactory, HomePageFactory


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Uploaded files of one test never meet another's."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Wagtail caches site root paths across test rollbacks; every test starts clean."""
    cache.clear()
    page_cache.forget_local_copies()
    Site.clear_site_root_paths_cache()
    yield
    cache.clear()


def ensure_wagtail_tree() -> Page:
    """Wagtail's rows made by migrations (locale, root page and collection).

    A transactional test flushes them with everything else; the next one needs them.
    """
    locale, _ = Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(title="Root", locale=locale)
    if not Collection.get_first_root_node():
        Collection.add_root(name="Root")
    return root


@pytest.fixture
def home_page(db):
    """The default site rooted at a published HomePage, with the company's details."""
    home = HomePageFactory(parent=ensure_wagtail_tree())
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True)
    site.root_page = home
    site.save()
    CompanySettingsFactory(site=site)
    return home


def _desk_world(key, customer, user, points) -> dict:
    """Service-desk objects of one side: request types only its segment may file, requests
    (one per service point) with a file, a confirmed appointment and a cost item."""
    from datetime import time, timedelta
    from decimal import Decimal

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from servicedesk.models import (
        AppointmentSlot,
        Attachment,
        CostItem,
        Request,
        RequestType,
        WorkingCalendar,
    )
    from tests.factories import SegmentFactory

    segment = SegmentFactory(code=f"desk-{key}")
    customer.segments.add(segment)
    calendar = WorkingCalendar.objects.create(
        name=f"BOK {key}", opens_at=time(8), closes_at=time(16)
    )
    types = []
    for n in range(2):
        request_type = RequestType.objects.create(
            slug=f"typ-{key}-{n}",
            name=f"Typ {key}{n}",
            name_en=f"Type {key}{n}",
            category="service",
            calendar=calendar,
        )
        request_type.segments.set([segment])
        types.append(request_type)
    now = timezone.now()
    requests, attachments, slots = [], [], []
    for n, point in enumerate(points):
        request = Request.objects.create(
            customer=customer,
            filed_by=user,
            request_type=types[0],
            service_point=point,
            subject=f"Zgłoszenie {key.upper()}{n}",
            first_response_due=now + timedelta(hours=8),
            resolution_due=now + timedelta(days=5),
        )
        requests.append(request)
        attachments.append(
            Attachment.objects.create(
                request=request,
                file=ContentFile(b"%PDF-1.4 skan", name="skan.pdf"),
                original_name="skan.pdf",
                content_type="application/pdf",
                size=13,
                uploaded_by=user,
            )
        )
        slots.append(
            AppointmentSlot.objects.create(
                request=request,
                starts_at=now + timedelta(days=3),
                ends_at=now + timedelta(days=3, hours=1),
                status=AppointmentSlot.Status.CONFIRMED,
            )
        )
        CostItem.objects.create(
            request=request,
            kind=CostItem.Kind.LABOUR,
            description="Praca",
            quantity=Decimal("1"),
            unit_price=Decimal("100.00"),
        )
    return {
        "request_types": types,
        "requests": requests,
        "attachments": attachments,
        "slots": slots,
    }


def _inbox_world(key, customer) -> dict:
    """Two sent messages addressed to this customer alone, each with a file."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from customers.models import InboxMessage, MessageAttachment

    messages, attachments = [], []
    for n in range(2):
        message = InboxMessage.objects.create(
            subject=f"Wiadomość {key.upper()}{n}",
            body=f"<p>Treść wiadomości {key.upper()}{n}</p>",
            audience=InboxMessage.Audience.CUSTOMERS,
            published_at=timezone.now(),
        )
        message.customers.set([customer])
        message.save()  # parental relations are written on save
        messages.append(message)
        attachments.append(
            MessageAttachment.objects.create(
                message=message,
                file=ContentFile(b"%PDF-1.4 pismo", name="pismo.pdf"),
                name="pismo.pdf",
                content_type="application/pdf",
            )
        )
    return {"messages": messages, "message_attachments": attachments}


@pytest.fixture
def two_customers(db):
    """Customers A and B: each an owner, a billing-only user, a technician limited to the
    second of two service points."""
    return build_two_customers()


@pytest.fixture(scope="module")
def two_customers_for_the_module(django_db_setup, django_db_blocker):
    """`two_customers` built once for a module whose tests only read it (no transactional
    tests there): as Django's `TestCase.setUpTestData`, the rows live in a transaction
    around the module, each test's own transaction is a savepoint inside it, and it is all
    rolled back when the module is done."""
    from django.db import transaction

    with django_db_blocker.unblock():
        module_transaction = transaction.atomic()
        module_transaction.__enter__()
        try:
            world = build_two_customers()
        except BaseException:
            module_transaction.__exit__(*sys.exc_info())
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        module_transaction.__exit__(None, None, None)


def build_two_customers():
    """The rows of `two_customers` (see there)."""
    from datetime import date, timedelta
    from types import SimpleNamespace

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from billing.models import OnlinePayment
    from customers.models import Contract, ContractDocument, Invitation
    from tests.factories import (
        CustomerFactory,
        InvoiceFactory,
        MembershipFactory,
        MeterFactory,
        ReadingFactory,
        ServicePointFactory,
        UserFactory,
        png_bytes,
    )

    world = {}
    for key in ("a", "b"):
        customer = CustomerFactory(name=f"Klient {key.upper()}", number=f"7000{ord(key)}")
        points = [ServicePointFactory(customer=customer) for _ in range(2)]
        owner = MembershipFactory(
            customer=customer, role="owner", user=UserFactory(email=f"owner-{key}@example.pl")
        )
        billing = MembershipFactory(
            customer=customer, role="billing", user=UserFactory(email=f"billing-{key}@example.pl")
        )
        technician = MembershipFactory(
            customer=customer, role="technical", user=UserFactory(email=f"tech-{key}@example.pl")
        )
        technician.service_points.set([points[1]])
        invitations = [
            Invitation.objects.create(
                customer=customer,
                email=f"invited-{key}{n}@example.pl",
                role="read_only",
                token_hash=f"{key}{n}".ljust(64, "0"),
                invited_by=owner.user,
                expires_at=timezone.now() + timedelta(days=7),
            )
            for n in range(2)
        ]
        invoices = [
            InvoiceFactory(
                customer=customer, service_point=points[n], number=f"FV/{key.upper()}/{n + 1}"
            )
            for n in range(2)
        ]
        online_payments = [
            OnlinePayment.objects.create(
                customer=customer,
                provider="sandbox",
                amount=invoice.gross_total,
                provider_order_id=f"SANDBOX-{key}{n}",
            )
            for n, invoice in enumerate(invoices)
        ]
        contracts = [
            Contract.objects.create(
                customer=customer,
                number=f"UK/{key.upper()}/{n}",
                kind="comprehensive",
                start_date=date(2025, 1, 1),
            )
            for n in range(2)
        ]
        documents = [
            ContractDocument.objects.create(
                contract=contract,
                version=1,
                title="Umowa",
                requires_acceptance=True,
                file=ContentFile(b"%PDF-1.4 umowa", name=f"umowa-{key}{n}.pdf"),
            )
            for n, contract in enumerate(contracts)
        ]
        meters = [
            MeterFactory(service_point=point, serial_number=f"SN-{key.upper()}-{n}")
            for n, point in enumerate(points)
        ]
        readings = [
            ReadingFactory(
                register=meter.registers.get(),
                value=1000 + n,
                photo=ContentFile(png_bytes(), name="licznik.png"),
            )
            for n, meter in enumerate(meters)
        ]
        desk = _desk_world(key, customer, owner.user, points)
        inbox = _inbox_world(key, customer)
        world[key] = SimpleNamespace(
            **desk,
            **inbox,
            meters=meters,
            readings=readings,
            contracts=contracts,
            documents=documents,
            online_payments=online_payments,
            invoices=invoices,
            technician=technician.user,
            invitations=invitations,
            customer=customer,
            service_points=points,
            service_point=points[0],
            owner=owner.user,
            owner_membership=owner,
            billing=billing.user,
            billing_membership=billing,
            membership=billing,
        )
    return SimpleNamespace(**world)


def verify_with_second_factor(client, user):
    """Sign `user` in on the test client as if they had entered a TOTP code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="default", confirmed=True
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def staff_client(admin_user):
    """A superuser signed in with a verified second factor, as the admin requires.

    A client of its own, so a test can act as a customer and as staff side by side.
    """
    from django.test import Client

    client = Client()
    verify_with_second_factor(client, admin_user)
    return client


class RepeatedQueries(AssertionError):
    """The same SQL, but for its values, ran more often than allowed: an N+1 pattern."""


def sql_shape(sql: str) -> str:
    """A statement with its values taken out: quoted strings, numbers and IN lists."""
    import re

    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"\((?:\s*\?\s*,)*\s*\?\s*\)", "(?)", sql)


@pytest.fixture
def no_repeated_queries():
    """A context manager that fails when one SQL shape runs more than `times` times inside it:

    with no_repeated_queries(times=1) as captured:
        client.get(url)
    """
    from collections import Counter
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def check(times: int = 1):
        with CaptureQueriesContext(connection) as captured:
            yield captured
        shapes = Counter(
            sql_shape(q["sql"])
            for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        )
        repeated = {shape: n for shape, n in shapes.items() if n > times}
        if repeated:
            raise RepeatedQueries(
                "\n\n".join(f"{n} times: {shape[:400]}" for shape, n in repeated.items())
            )

    return check
