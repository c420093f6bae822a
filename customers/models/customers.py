import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from stdnum.pl import nip, regon

from customers.validators import (
    compact_bank_account,
    format_bank_account,
    validate_bank_account,
    validate_nip,
    validate_regon,
)


class Segment(models.Model):
    """A customer group (households, business, VIP…) backed by a Django group.

    Being a Django group, a segment is what Wagtail's page and collection privacy
    ("visible to these groups") checks; users get the groups of the customers they
    belong to.
    """

    group = models.OneToOneField(
        Group, verbose_name=_("group"), on_delete=models.CASCADE, related_name="segment"
    )
    code = models.SlugField(_("code"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    requires_two_factor = models.BooleanField(
        _("requires two-factor login"),
        default=False,
        help_text=_("Users of customers in this segment must sign in with a second factor."),
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["group__name"]

    def __str__(self) -> str:
        return self.group.name

    @property
    def name(self) -> str:
        return self.group.name


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CustomerQuerySet":
        """Customers the user is an active member of; nothing for anonymous users."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user, memberships__status="active").distinct()

    def search(self, text: str) -> "CustomerQuerySet":
        return self.filter(
            Q(number__icontains=text)
            | Q(name__icontains=text)
            | Q(nip__icontains=text.replace("-", ""))
            | Q(email__icontains=text)
        )


class Customer(models.Model):
    """The billing account: whom the company invoices and serves."""

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        COMPANY = "company", _("company")
        COOPERATIVE = "cooperative", _("housing cooperative")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("customer number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    nip = models.CharField(_("NIP"), max_length=13, blank=True, validators=[validate_nip])
    regon = models.CharField(_("REGON"), max_length=14, blank=True, validators=[validate_regon])
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    billing_street = models.CharField(_("street and number"), max_length=200)
    billing_postal_code = models.CharField(_("postal code"), max_length=6)
    billing_city = models.CharField(_("city"), max_length=100)
    correspondence_street = models.CharField(
        _("correspondence street and number"), max_length=200, blank=True
    )
    correspondence_postal_code = models.CharField(
        _("correspondence postal code"), max_length=6, blank=True
    )
    correspondence_city = models.CharField(_("correspondence city"), max_length=100, blank=True)

    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
        limit_choices_to={"is_staff": True},
    )
    segments = models.ManyToManyField(
        Segment, verbose_name=_("segments"), blank=True, related_name="customers"
    )
    bank_account = models.CharField(
        _("individual account for transfers"),
        max_length=34,
        blank=True,
        validators=[validate_bank_account],
    )
    refund_bank_account = models.CharField(
        _("refund bank account"), max_length=34, blank=True, validators=[validate_bank_account]
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    e_invoice_consent = models.BooleanField(_("consent to e-invoices"), default=False)
    external_id = models.CharField(_("ERP key"), max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "number"]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    def clean(self) -> None:
        super().clean()
        self.nip = nip.compact(self.nip) if self.nip else ""
        self.regon = regon.compact(self.regon) if self.regon else ""
        self.bank_account = compact_bank_account(self.bank_account)
        self.refund_bank_account = compact_bank_account(self.refund_bank_account)
        self.external_id = self.external_id or None

    @property
    def formatted_nip(self) -> str:
        return nip.format(self.nip) if self.nip else ""

    @property
    def formatted_bank_account(self) -> str:
        return format_bank_account(self.bank_account)

    @property
    def formatted_refund_bank_account(self) -> str:
        return format_bank_account(self.refund_bank_account)

    @property
    def billing_address_lines(self) -> list[str]:
        return [self.billing_street, f"{self.billing_postal_code} {self.billing_city}"]

    @property
    def correspondence_address_lines(self) -> list[str]:
        """Where letters go: the correspondence address when given, else the billing one."""
        if self.correspondence_street:
            return [
                self.correspondence_street,
                f"{self.correspondence_postal_code} {self.correspondence_city}",
            ]
        return self.billing_address_lines


class ServicePointQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ServicePointQuerySet":
        """Service points the user may see: all of a customer's, or the membership's subset."""
        from .access import Membership

        if not user.is_authenticated:
            return self.none()
        memberships = Membership.objects.active().filter(user=user)
        whole_customers = (
            memberships.annotate(limited=Count("service_points"))
            .filter(limited=0)
            .values("customer")
        )
        chosen = memberships.values("service_points")
        return self.filter(Q(customer__in=whole_customers) | Q(pk__in=chosen))

    def for_membership(self, membership) -> "ServicePointQuerySet":
        """The service points one membership reaches (its subset, or all of its customer's)."""
        queryset = self.filter(customer_id=membership.customer_id)
        if membership.is_limited_to_service_points:
            queryset = queryset.filter(pk__in=membership.service_points.values("pk"))
        return queryset

    def active(self) -> "ServicePointQuerySet":
        return self.filter(status=ServicePoint.Status.ACTIVE)


class ServicePoint(models.Model):
    """The place a customer is served at: a metering point (PPE, PPG), a flat, a line."""

    wagtail_reference_index_ignore = True

    class ServiceKind(models.TextChoices):
        ELECTRICITY = "electricity", _("electricity")
        GAS = "gas", _("gas")
        WATER = "water", _("water and sewage")
        HEAT = "heat", _("heat")
        TELECOM = "telecom", _("telecommunications")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        TERMINATED = "terminated", _("terminated")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="service_points",
    )
    code = models.CharField(
        _("code"), max_length=40, unique=True, help_text=_("e.g. the PPE or PPG number")
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=6)
    city = models.CharField(_("city"), max_length=100)
    service_kind = models.CharField(
        _("service"), max_length=20, choices=ServiceKind.choices, default=ServiceKind.ELECTRICITY
    )
    tariff = models.CharField(_("tariff"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    external_id = models.CharField(_("ERP key"), max_length=64, unique=True, null=True, blank=True)

    objects = ServicePointQuerySet.as_manager()

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["customer", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.address}"

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"

    def clean(self) -> None:
        super().clean()
        self.external_id = self.external_id or None
