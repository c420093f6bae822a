import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Orderable

from customers.models import Customer, Segment, ServicePoint
from documents.storage import private_storage


class Medium(models.TextChoices):
    ELECTRICITY = "electricity", _("electricity")
    GAS = "gas", _("gas")
    COLD_WATER = "cold_water", _("cold water")
    HOT_WATER = "hot_water", _("hot water")
    HEAT = "heat", _("heat")


class Unit(models.TextChoices):
    KWH = "kWh", "kWh"
    MWH = "MWh", "MWh"
    M3 = "m3", "m³"
    GJ = "GJ", "GJ"


class MeterQuerySet(models.QuerySet):
    def visible_to(self, user) -> "MeterQuerySet":
        """Meters at the service points the user may see."""
        return self.filter(service_point__in=ServicePoint.objects.visible_to(user))

    def for_membership(self, membership) -> "MeterQuerySet":
        """Meters at the service points one membership reaches."""
        return self.filter(service_point__in=ServicePoint.objects.for_membership(membership))

    def with_reading_count(self) -> "MeterQuerySet":
        """Each meter with `reading_count`, its readings of every status, counted in the
        same query (a meter's page shows the number for its pagination)."""
        counted = (
            Reading.objects.filter(register__meter=models.OuterRef("pk"))
            .order_by()
            .values("register__meter")
            .annotate(count=models.Count("pk"))
            .values("count")
        )
        return self.annotate(reading_count=Coalesce(models.Subquery(counted), 0))

    def installed(self, on: date) -> "MeterQuerySet":
        """Meters mounted on that day (a replaced meter is not)."""
        return self.filter(installed_on__lte=on).filter(
            models.Q(removed_on__isnull=True) | models.Q(removed_on__gte=on)
        )


class Meter(ClusterableModel):
    """A meter at a service point. A replacement is a new meter; the old one keeps its readings."""

    wagtail_reference_index_ignore = True

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        on_delete=models.PROTECT,
        related_name="meters",
    )
    serial_number = models.CharField(_("serial number"), max_length=40)
    medium = models.CharField(_("medium"), max_length=20, choices=Medium.choices)
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices)
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=10,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("Consumption is the difference of readings times this (e.g. a CT ratio)."),
    )
    digits = models.PositiveSmallIntegerField(
        _("digits"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("Digits before the decimal point; the counter goes back to zero after them."),
    )
    decimals = models.PositiveSmallIntegerField(
        _("decimal places"),
        default=0,
        validators=[MaxValueValidator(3)],
        help_text=_("Digits after the decimal point a reading may have."),
    )
    installed_on = models.DateField(_("installed on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    replaced_meter = models.OneToOneField(
        "self",
        verbose_name=_("replaces meter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replacement",
    )
    external_id = models.CharField(_("ERP key"), max_length=64, unique=True, null=True, blank=True)

    objects = MeterQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["service_point", "-installed_on", "serial_number"]

    def __str__(self) -> str:
        return f"{self.serial_number} ({self.get_medium_display()})"

    def clean(self) -> None:
        super().clean()
        self.external_id = self.external_id or None
        if self.removed_on and self.installed_on and self.removed_on < self.installed_on:
            raise ValidationError(
                {"removed_on": _("A meter cannot be removed before it was installed.")}
            )
        if self.replaced_meter_id and self.replaced_meter_id == self.pk:
            raise ValidationError({"replaced_meter": _("A meter cannot replace itself.")})

    @property
    def capacity(self) -> Decimal:
        """The first value the counter cannot show: it rolls over to zero here."""
        return Decimal(10) ** self.digits

    def is_installed(self, on: date) -> bool:
        return self.installed_on <= on and (self.removed_on is None or self.removed_on >= on)


class Register(Orderable):
    """What a meter counts separately and is read separately: a tariff zone, or the only one."""

    meter = ParentalKey(
        Meter, verbose_name=_("meter"), on_delete=models.CASCADE, related_name="registers"
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("e.g. 1.8.1 or T1"))
    name = models.CharField(_("name"), max_length=60, help_text=_("e.g. day zone"))

    class Meta(Orderable.Meta):
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        constraints = [
            models.UniqueConstraint(fields=["meter", "code"], name="register_code_unique_per_meter")
        ]

    def __str__(self) -> str:
        return self.name or self.code


def reading_photo_path(instance, filename: str) -> str:
    """A generated name: the customer's file name never reaches the storage."""
    suffix = Path(filename).suffix.lower()
    return (
        f"reading-photos/{uuid.uuid4().hex}{suffix if suffix in {'.jpg', '.jpeg', '.png'} else ''}"
    )


class ReadingQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ReadingQuerySet":
        return self.filter(register__meter__in=Meter.objects.visible_to(user))

    def for_membership(self, membership) -> "ReadingQuerySet":
        return self.filter(register__meter__in=Meter.objects.for_membership(membership))

    def accepted(self) -> "ReadingQuerySet":
        return self.filter(status=Reading.Status.ACCEPTED)

    def chronological(self) -> "ReadingQuerySet":
        return self.order_by("read_on", "created_at", "pk")


class Reading(models.Model):
    """A value read off one register on one day, by the customer, the ERP or a collector."""

    wagtail_reference_index_ignore = True

    class Source(models.TextChoices):
        CUSTOMER = "customer", _("customer")
        ERP = "erp", _("company (ERP)")
        COLLECTOR = "collector", _("meter reader")
        ESTIMATE = "estimate", _("estimate")

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        REVIEW = "review", _("waiting for review")
        REJECTED = "rejected", _("rejected")
        REPLACED = "replaced", _("replaced by a later reading")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    register = models.ForeignKey(
        Register, verbose_name=_("register"), on_delete=models.PROTECT, related_name="readings"
    )
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=3)
    read_on = models.DateField(_("read on"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACCEPTED
    )
    review_reason = models.TextField(
        _("why it waits for review"),
        blank=True,
        help_text=_("Filled in by the plausibility check."),
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    submitted_value = models.DecimalField(
        _("value as submitted"),
        max_digits=16,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Kept when staff correct the value."),
    )
    photo = models.ImageField(
        _("photo of the meter"),
        upload_to=reading_photo_path,
        storage=private_storage,
        blank=True,
    )
    window_opened_on = models.DateField(
        _("reading window opened on"),
        null=True,
        blank=True,
        help_text=_("The window a customer's reading was given in: one per register and window."),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    external_id = models.CharField(_("ERP key"), max_length=64, unique=True, null=True, blank=True)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["-read_on", "-created_at"]
        indexes = [models.Index(fields=["register", "status", "read_on"])]

    def __str__(self) -> str:
        return f"{self.register.meter.serial_number} {self.register.code}: {self.value} ({self.read_on})"


class ReadingWindow(models.Model):
    """When customers may read their meters themselves, and which customers may.

    The most specific window decides: one for the service point, else one for its
    tariff, else the general one (neither set).
    """

    name = models.CharField(_("name"), max_length=100)
    start_day = models.PositiveSmallIntegerField(
        _("opens on day"),
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Day of the month; 31 means the last day of every month."),
    )
    end_day = models.PositiveSmallIntegerField(
        _("closes after day"),
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Lower than the opening day: the window runs into the next month."),
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reading_windows",
    )
    tariff = models.CharField(_("tariff"), max_length=40, blank=True)
    segments = models.ManyToManyField(
        Segment,
        verbose_name=_("only for segments"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every customer may read their meter themselves."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reading window")
        verbose_name_plural = _("reading windows")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.service_point_id and self.tariff:
            raise ValidationError({"tariff": _("Choose a service point or a tariff, not both.")})


class ReadingReminder(models.Model):
    """One reminder per customer and window opening, however often the task runs."""

    wagtail_reference_index_ignore = True

    window = models.ForeignKey(ReadingWindow, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    opened_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["window", "customer", "opened_on"], name="one_reminder_per_window_opening"
            )
        ]

    def __str__(self) -> str:
        return f"{self.window} → {self.customer} ({self.opened_on})"


class TariffPrice(models.Model):
    """A unit price of a tariff, used to estimate the cost of consumption not yet invoiced."""

    tariff = models.CharField(_("tariff"), max_length=40)
    register_code = models.CharField(
        _("register code"), max_length=20, blank=True, help_text=_("Empty: every register.")
    )
    name = models.CharField(_("name"), max_length=120)
    unit_price = models.DecimalField(
        _("net price per unit"),
        max_digits=12,
        decimal_places=5,
        validators=[MinValueValidator(Decimal("0"))],
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("23"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("tariff price")
        verbose_name_plural = _("tariff prices")
        ordering = ["tariff", "register_code", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.tariff} {self.register_code or '*'}: {self.name}"


@register_setting(icon="time")
class MeteringSettings(BaseGenericSetting):
    plausibility_factor = models.DecimalField(
        _("plausibility factor"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("1.1"))],
        help_text=_(
            "A reading whose daily consumption is this many times above or below the same "
            "period of the previous year goes to staff review."
        ),
    )

    class Meta:
        verbose_name = _("meter readings")
