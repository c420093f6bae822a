"""A customer's request, its thread, attachments, history, appointments, costs and order."""

import secrets
import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, ServicePoint
from documents.storage import private_storage

from .types import CatalogueItem, Priority, RequestType

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone


def new_reference() -> str:
    """A reference a customer can read out, not guessable and not counting requests: ZG-7KQM-4XPT."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"ZG-{body[:4]}-{body[4:]}"


class RequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> "RequestQuerySet":
        """Requests of the user's customers; a member limited to some service points sees
        the requests about those points and the ones they filed themselves."""
        from customers.models import Membership

        if not user.is_authenticated:
            return self.none()
        memberships = Membership.objects.active().filter(user=user)
        whole_customers = (
            memberships.annotate(limited=models.Count("service_points"))
            .filter(limited=0)
            .values("customer")
        )
        return self.filter(
            Q(customer__in=whole_customers)
            | Q(service_point__in=memberships.values("service_points"))
            | Q(filed_by=user, customer__in=memberships.values("customer"))
        )

    def for_membership(self, membership) -> "RequestQuerySet":
        queryset = self.filter(customer_id=membership.customer_id)
        if membership.is_limited_to_service_points:
            queryset = queryset.filter(
                Q(service_point__in=membership.service_points.values("pk"))
                | Q(filed_by_id=membership.user_id)
            )
        return queryset

    def open(self) -> "RequestQuerySet":
        return self.exclude(status__in=Request.CLOSED_STATUSES)


class Request(models.Model):
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        NEW = "new", _("new")
        ASSIGNED = "assigned", _("assigned")
        IN_PROGRESS = "in_progress", _("in progress")
        WAITING = "waiting", _("waiting for customer")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")
        REJECTED = "rejected", _("rejected")
        REOPENED = "reopened", _("reopened")

    CLOSED_STATUSES = (Status.CLOSED, Status.REJECTED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(
        _("reference"), max_length=14, unique=True, default=new_reference, editable=False
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="requests"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    request_type = models.ForeignKey(
        RequestType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="requests"
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    subject = models.CharField(_("subject"), max_length=200)
    data = models.JSONField(_("form data"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    team = models.ForeignKey(
        Group,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desk_requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desk_requests",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    statutory_due = models.DateField(_("statutory deadline"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    paused_at = models.DateTimeField(
        _("SLA paused since"), null=True, blank=True, help_text=_("While waiting for the customer.")
    )
    first_response_left = models.DurationField(null=True, blank=True, editable=False)
    resolution_left = models.DurationField(null=True, blank=True, editable=False)
    first_response_breached = models.BooleanField(_("first response late"), default=False)
    resolution_breached = models.BooleanField(_("resolution late"), default=False)
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("comment on the rating"), blank=True)
    external_id = models.CharField(_("ERP key"), max_length=64, unique=True, null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.reference} — {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class Message(models.Model):
    """A line of the thread: a public reply (customer or staff) or a staff-only note."""

    wagtail_reference_index_ignore = True

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_staff = models.BooleanField(_("from staff"), default=False)
    internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Never shown or sent to the customer.")
    )
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request.reference}: {self.body[:40]}"


def attachment_path(instance, filename: str) -> str:
    """A generated name in a private store; the customer's file name is kept only as data."""
    return f"request-attachments/{uuid.uuid4().hex}"


class Attachment(models.Model):
    wagtail_reference_index_ignore = True
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    internal = models.BooleanField(_("staff only"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return Path(self.original_name).suffix.lower()


class Event(models.Model):
    """The request's history, every change, in order; `public` ones the customer sees too."""

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        CREATED = "created", _("filed")
        STATUS = "status", _("status changed")
        ASSIGNED = "assigned", _("assigned")
        REPLY = "reply", _("reply")
        NOTE = "note", _("internal note")
        PRIORITY = "priority", _("priority changed")
        BREACH = "breach", _("deadline missed")
        WARNING = "warning", _("deadline near")
        RATED = "rated", _("rated")
        APPOINTMENT = "appointment", _("appointment")
        COST = "cost", _("cost report")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    public = models.BooleanField(default=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request.reference}: {self.get_kind_display()}"


class AppointmentSlot(models.Model):
    """A proposed time for a visit or meeting; one of them is confirmed."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    proposed_by_staff = models.BooleanField(_("proposed by staff"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    location = models.CharField(_("place"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.request.reference} {self.starts_at:%Y-%m-%d %H:%M}"


class CostItem(models.Model):
    """A line of the cost report staff prepare: labour, parts, travel or other."""

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        LABOUR = "labour", _("labour")
        PARTS = "parts", _("parts")
        TRAVEL = "travel", _("travel")
        OTHER = "other", _("other")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="cost_items")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Hours for labour, pieces for parts, kilometres for travel."),
    )
    unit = models.CharField(_("unit"), max_length=20, default="h")
    unit_price = models.DecimalField(
        _("net unit price"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("23")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cost item")
        verbose_name_plural = _("cost items")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.description


class OrderLine(models.Model):
    """A line of an order or a quote request: a price list item and a quantity."""

    wagtail_reference_index_ignore = True

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="order_lines")
    item = models.ForeignKey(CatalogueItem, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField(_("unit"), max_length=20)
    unit_price = models.DecimalField(_("net unit price"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"
