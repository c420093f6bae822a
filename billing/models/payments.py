import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, ServicePoint

from .invoices import HALF_CENT, ZERO, Invoice, money_expression

MONEY = {"max_digits": 14, "decimal_places": 2}


class CustomerOwnedQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CustomerOwnedQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(customer__in=Customer.objects.visible_to(user))

    def for_membership(self, membership) -> "CustomerOwnedQuerySet":
        return self.filter(customer_id=membership.customer_id)


class AdvanceInstalmentQuerySet(CustomerOwnedQuerySet):
    def with_paid(self) -> "AdvanceInstalmentQuerySet":
        return self.annotate(
            paid=Coalesce(
                Sum("allocations__amount"), Value(ZERO), output_field=models.DecimalField(**MONEY)
            ),
        ).annotate(open_amount=money_expression(F("amount") - F("paid")))

    def unpaid(self) -> "AdvanceInstalmentQuerySet":
        return self.with_paid().filter(open_amount__gte=HALF_CENT)


class AdvanceInstalment(models.Model):
    """One instalment of an advance payment schedule (prognosis) between invoices."""

    wagtail_reference_index_ignore = True

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="advance_instalments",
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    schedule = models.CharField(_("schedule"), max_length=40)
    due_date = models.DateField(_("due date"), db_index=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    external_id = models.CharField(_("ERP key"), max_length=64, unique=True, null=True, blank=True)

    objects = AdvanceInstalmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("advance instalment")
        verbose_name_plural = _("advance instalments")
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return f"{self.schedule} {self.due_date:%Y-%m-%d}"


class Payment(models.Model):
    """Money received from a customer; allocations spread it over invoices and instalments."""

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("bank transfer")
        ONLINE = "online", _("online payment")
        CASH = "cash", _("cash")
        CORRECTION = "correction", _("correction")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    received_on = models.DateField(_("received on"), db_index=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    named_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("for invoice"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("When the payer named an invoice, it is paid first."),
    )
    external_id = models.CharField(
        _("external key"), max_length=80, unique=True, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CustomerOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.received_on:%Y-%m-%d} {self.amount} {self.currency}"

    @property
    def unallocated(self) -> Decimal:
        allocated = self.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
        return self.amount - allocated


class Allocation(models.Model):
    """Part of a payment settling one invoice or one instalment."""

    wagtail_reference_index_ignore = True

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="allocations"
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="allocations",
    )
    instalment = models.ForeignKey(
        AdvanceInstalment,
        verbose_name=_("instalment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="allocations",
    )
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(
                condition=Q(invoice__isnull=False, instalment__isnull=True)
                | Q(invoice__isnull=True, instalment__isnull=False),
                name="allocation_settles_one_thing",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} → {self.invoice or self.instalment}"

    def clean(self) -> None:
        if (self.invoice_id is None) == (self.instalment_id is None):
            raise ValidationError(_("An allocation settles exactly one invoice or instalment."))
