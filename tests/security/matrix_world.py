"""The world of the access matrix: `two_customers` (tests/conftest.py), and around it the
content each customer's segment alone may read, the back-office rows the admin registers
show, and a staff user who may enter the admin but holds no other permission."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction, Site

from tests.conftest import build_two_customers, ensure_wagtail_tree
from tests.factories import (
    CompanySettingsFactory,
    HomePageFactory,
    StandardPageFactory,
    UserFactory,
    png_bytes,
)

STAFF_EMAIL = "redakcja-bez-uprawnien@example.pl"


def _document(collection, title: str, content: bytes, name: str):
    document = get_document_model()(
        title=title, collection=collection, file=ContentFile(content, name=name)
    )
    document._set_document_file_metadata()
    document.save()
    return document


def _image(collection, title: str):
    import io

    return get_image_model().objects.create(
        title=title,
        collection=collection,
        file=ImageFile(io.BytesIO(png_bytes((8, 6))), name="obraz.png"),
    )


def _private_content(key: str, side, home, shelf) -> None:
    """A page and a collection (a document and an image in it) only `side`'s segment reads."""
    group = side.customer.segments.get(code=f"desk-{key}").group
    upper = key.upper()
    page = StandardPageFactory(
        parent=home, slug=f"dla-segmentu-{key}", title=f"Oferta segmentu {upper}"
    )
    page.intro = f"Rabat poufny {upper}-7341"
    page.save_revision().publish()
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([group])
    collection = shelf.add_child(instance=Collection(name=f"Tylko segment {upper}"))
    collection_restriction = CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=CollectionViewRestriction.GROUPS
    )
    collection_restriction.groups.set([group])
    side.group = group
    side.private_page = page
    side.page_restriction = restriction
    side.collection = collection
    side.collection_restriction = collection_restriction
    side.private_document = _document(
        collection,
        f"Aneks poufny segmentu {upper}",
        f"%PDF-1.4 poufne {upper}-9182".encode(),
        f"aneks-{key}.pdf",
    )
    side.private_image = _image(collection, f"Plan sieci segmentu {upper}")
    side.content_secrets = [
        f"Rabat poufny {upper}-7341",
        f"Aneks poufny segmentu {upper}",
        f"poufne {upper}-9182",
        f"Plan sieci segmentu {upper}",
    ]


def _back_office_rows(key: str, side, staff) -> None:
    """One row of each back-office register that holds `side`'s data."""
    from billing.models import BankCredit, Payment
    from customers.models import AccessBatch, AuditEvent, ChangeRequest, Shipment
    from notifications.models import Consent, Delivery

    upper = key.upper()
    side.change_request = ChangeRequest.objects.create(
        customer=side.customer,
        requested_by=side.owner,
        changes={"phone": ["", f"+48 600 {ord(key)} 001"]},
    )
    side.audit_event = AuditEvent.objects.create(
        action=AuditEvent.Action.LOGIN,
        actor=side.owner,
        subject_email=side.owner.email,
        customer=side.customer,
    )
    side.shipment = Shipment.objects.create(
        customer=side.customer,
        carrier=Shipment.Carrier.values[0],
        tracking_number=f"TRACK-{upper}-55",
        description=f"Przesyłka {upper}",
        sent_on=date(2026, 1, 5),
    )
    side.payment = Payment.objects.create(
        customer=side.customer,
        kind=Payment.Kind.values[0],
        amount=Decimal("12.34"),
        received_on=date(2026, 1, 7),
        title=f"Wpłata {side.invoices[0].number}",
    )
    side.bank_credit = BankCredit.objects.create(
        account="PL61109010140000071219812874",
        booked_on=date(2026, 1, 8),
        amount=Decimal("56.78"),
        currency="PLN",
        title=f"Przelew {side.customer.number}",
        dedupe_key=f"matrix-{key}".ljust(64, "0"),
        customer=side.customer,
    )
    side.delivery = Delivery.objects.create(
        key=f"matrix-{key}",
        channel=Delivery._meta.get_field("channel").choices[0][0],
        category=Delivery._meta.get_field("category").choices[0][0],
        user=side.owner,
        to=side.owner.email,
        subject=f"Faktura {side.invoices[0].number}",
        body="Treść",
        not_before=timezone.now(),
    )
    side.consent = Consent.objects.create(user=side.owner, given=True, text="Zgoda")
    batch = AccessBatch.objects.create(created_by=staff)
    batch.customers.set([side.customer])
    side.access_batch = batch
    side.secrets = [
        side.customer.number,
        side.service_point.code,
        side.owner.email,
        side.billing.email,
        *(invoice.number for invoice in side.invoices),
        *(meter.serial_number for meter in side.meters),
        *(request.reference for request in side.requests),
        *(request.subject for request in side.requests),
        *(message.subject for message in side.messages),
        f"TRACK-{upper}-55",
    ]
    side.technical_secrets = [meter.serial_number for meter in side.meters]


def build_matrix_world() -> SimpleNamespace:
    """The rows of the access matrix's world (see the module's docstring)."""
    from integrations.models import ImportRun, WebhookEndpoint

    world = build_two_customers()
    home = HomePageFactory(parent=ensure_wagtail_tree())
    site = Site.objects.filter(is_default_site=True).first() or Site(
        hostname="localhost", port=80, is_default_site=True
    )
    site.root_page = home
    site.save()
    CompanySettingsFactory(site=site)
    public_page = StandardPageFactory(parent=home, slug="o-nas", title="O nas")

    staff = UserFactory(email=STAFF_EMAIL, is_staff=True)
    staff.user_permissions.set(
        [Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")]
    )

    shelf = Collection.get_first_root_node().add_child(instance=Collection(name="Biblioteka"))
    public_collection = shelf.add_child(instance=Collection(name="Formularze"))
    for key in ("a", "b"):
        side = getattr(world, key)
        _private_content(key, side, home, shelf)
        _back_office_rows(key, side, staff)

    world.home = home
    world.site = site
    world.public_page = public_page
    world.public_document = _document(
        public_collection, "Wniosek ogólny", b"%PDF-1.4 dla wszystkich", "wniosek.pdf"
    )
    world.public_image = _image(public_collection, "Logo")
    world.staff = staff
    world.import_run = ImportRun.objects.create(
        kind="invoices", file_name=f"faktury-{world.a.customer.number}.csv", started_by=staff
    )
    world.webhook = WebhookEndpoint.objects.create(
        name="ERP", url="https://erp.example.pl/hook", events=["invoice.created"]
    )
    world.expires = timezone.now() + timedelta(days=1)
    return world
