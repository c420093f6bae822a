"""Messages from the company to customers, with delivery and read receipts per user;
shipments the ERP reports; the dashboard each segment sees."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.fields import RichTextField
from wagtail.models import Orderable

from documents.storage import private_storage

from .customers import Customer, Segment

MESSAGE_FEATURES = ["bold", "italic", "link", "ol", "ul", "h3"]
"""What staff may format in a message; anything else is stripped when it is saved."""


class InboxMessageQuerySet(models.QuerySet):
    def published(self) -> "InboxMessageQuerySet":
        return self.filter(published_at__isnull=False)

    def for_customer(self, customer) -> "InboxMessageQuerySet":
        """Messages addressed to this customer: to everyone, its segments, or it alone.

        The customer may be an instance, an id or an id expression (a subquery).
        """
        return self.published().filter(pk__in=addressed_to(customer))

    def for_membership(self, membership) -> "InboxMessageQuerySet":
        return self.for_customer(membership.customer)


def addressed_to(customer) -> models.QuerySet:
    """The ids of the messages addressed to a customer, as one UNION of three index lookups.

    An OR across the two audience tables joined to the messages cannot use an index, so
    with hundreds of thousands of messages it read them all for each page; each arm here
    reads only the rows it returns.
    """
    audience = InboxMessage.Audience
    to_everyone = InboxMessage.objects.filter(audience=audience.EVERYONE).order_by().values("pk")
    to_segments = InboxMessage.segments.through.objects.filter(
        segment__customers=customer, inboxmessage__audience=audience.SEGMENTS
    ).values("inboxmessage_id")
    to_customer = InboxMessage.customers.through.objects.filter(
        customer=customer, inboxmessage__audience=audience.CUSTOMERS
    ).values("inboxmessage_id")
    return to_everyone.union(to_segments, to_customer, all=True)


class InboxMessage(ClusterableModel):
    """A message staff write once for one customer, some segments or everyone."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("every customer")
        SEGMENTS = "segments", _("customers in chosen segments")
        CUSTOMERS = "customers", _("chosen customers")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    body = RichTextField(_("text"), features=MESSAGE_FEATURES)
    audience = models.CharField(
        _("to"), max_length=20, choices=Audience.choices, default=Audience.CUSTOMERS
    )
    segments = ParentalManyToManyField(Segment, verbose_name=_("segments"), blank=True)
    customers = ParentalManyToManyField(Customer, verbose_name=_("customers"), blank=True)
    published_at = models.DateTimeField(
        _("sent"), null=True, blank=True, help_text=_("Empty: a draft, not shown to anyone.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message to customers")
        verbose_name_plural = _("messages to customers")
        ordering = ["-published_at", "-created_at"]
        indexes = [
            models.Index(fields=["id"], condition=Q(audience="everyone"), name="inbox_to_everyone")
        ]

    def __str__(self) -> str:
        return self.subject


def message_attachment_path(instance, filename: str) -> str:
    return f"message-attachments/{uuid.uuid4().hex}"


class MessageAttachment(Orderable):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = ParentalKey(InboxMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=message_attachment_path, storage=private_storage)
    name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("type"), max_length=100, blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class MessageReceipt(models.Model):
    """When a user first saw a message in their inbox list, and when they opened it."""

    wagtail_reference_index_ignore = True

    message = models.ForeignKey(InboxMessage, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_receipts"
    )
    delivered_at = models.DateTimeField(_("delivered"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("message receipt")
        verbose_name_plural = _("message receipts")
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_receipt_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.message} → {self.user}"


class ShipmentQuerySet(models.QuerySet):
    def for_membership(self, membership) -> "ShipmentQuerySet":
        return self.filter(customer_id=membership.customer_id)


class Shipment(models.Model):
    """A letter or parcel the company sent a customer, as the ERP reports it."""

    wagtail_reference_index_ignore = True

    class Carrier(models.TextChoices):
        POCZTA_POLSKA = "poczta_polska", "Poczta Polska"
        INPOST = "inpost", "InPost"
        DPD = "dpd", "DPD"
        DHL = "dhl", "DHL"
        OTHER = "other", _("other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="shipments"
    )
    carrier = models.CharField(_("carrier"), max_length=20, choices=Carrier.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=60)
    description = models.CharField(_("what was sent"), max_length=200)
    sent_on = models.DateField(_("sent on"))
    external_id = models.CharField(_("ERP key"), max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-sent_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} {self.tracking_number}"


class DashboardLayout(ClusterableModel):
    """Which widgets a segment's dashboard shows, in order; without one, all of them."""

    segment = models.OneToOneField(
        Segment,
        verbose_name=_("segment"),
        on_delete=models.CASCADE,
        related_name="dashboard_layout",
    )

    class Meta:
        verbose_name = _("dashboard layout")
        verbose_name_plural = _("dashboard layouts")

    def __str__(self) -> str:
        return str(self.segment)


class DashboardLayoutItem(Orderable):
    layout = ParentalKey(DashboardLayout, on_delete=models.CASCADE, related_name="items")
    widget = models.CharField(_("widget"), max_length=40)

    class Meta(Orderable.Meta):
        verbose_name = _("widget")
        verbose_name_plural = _("widgets")

    def __str__(self) -> str:
        return self.widget
