import uuid
from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, ServicePoint
from documents.storage import private_storage

ZERO = Decimal("0.00")
# Open amounts below half a grosz are settled: SQLite sums in floating point, and a
# 1e-17 left over must not keep an invoice unpaid.
HALF_CENT = Decimal("0.005")


def money_expression(expression):
    """Arithmetic on amounts typed as money, so every database hands back an exact Decimal
    (SQLite would otherwise compute in floating point)."""
    return ExpressionWrapper(
        expression, output_field=models.DecimalField(max_digits=14, decimal_places=2)
    )


class VatRate(models.TextChoices):
    """Polish VAT rates as printed on invoices; 'zw' exempt, 'np' not subject, 'oo' reverse charge."""

    RATE_23 = "23", "23%"
    RATE_8 = "8", "8%"
    RATE_5 = "5", "5%"
    RATE_0 = "0", "0%"
    EXEMPT = "zw", _("exempt (zw)")
    NOT_SUBJECT = "np", _("not subject (np)")
    REVERSE_CHARGE = "oo", _("reverse charge (oo)")

    @classmethod
    def percent(cls, rate: str) -> Decimal:
        return Decimal(rate) if rate.isdigit() else ZERO


class InvoiceQuerySet(models.QuerySet):
    def visible_to(self, user) -> "InvoiceQuerySet":
        """Invoices of customers the user is an active member of, within their service points."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(customer__in=Customer.objects.visible_to(user))
            & (
                Q(service_point__isnull=True)
                | Q(service_point__in=ServicePoint.objects.visible_to(user))
            )
        )

    def for_membership(self, membership) -> "InvoiceQuerySet":
        """The invoices one membership reaches: its customer's, within its service points."""
        queryset = self.filter(customer_id=membership.customer_id)
        if membership.is_limited_to_service_points:
            queryset = queryset.filter(
                Q(service_point__isnull=True)
                | Q(service_point__in=membership.service_points.values("pk"))
            )
        return queryset

    def payable(self) -> "InvoiceQuerySet":
        """Invoices that ask for money (a pro-forma does not)."""
        return self.exclude(kind=Invoice.Kind.PRO_FORMA)

    def with_paid(self) -> "InvoiceQuerySet":
        """Annotate `paid` (allocated so far) and `open_amount` (still to pay)."""
        return self.annotate(
            paid=Coalesce(
                Sum("allocations__amount"),
                Value(ZERO),
                output_field=models.DecimalField(max_digits=14, decimal_places=2),
            ),
        ).annotate(open_amount=money_expression(F("gross_total") - F("paid")))

    def unpaid(self) -> "InvoiceQuerySet":
        return self.payable().with_paid().filter(open_amount__gte=HALF_CENT)

    def overdue(self, on: date | None = None) -> "InvoiceQuerySet":
        return self.unpaid().filter(due_date__lt=on or timezone.localdate())


class Invoice(models.Model):
    """An invoice from the ERP (or made here), with its lines; money is Decimal, to the grosz."""

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        VAT = "vat", _("VAT invoice")
        CORRECTIVE = "corrective", _("corrective invoice")
        PRO_FORMA = "proforma", _("pro-forma invoice")
        ADVANCE = "advance", _("advance invoice")

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("unpaid")
        PARTLY_PAID = "partly_paid", _("partly paid")
        PAID = "paid", _("paid")
        OVERDUE = "overdue", _("overdue")
        NOT_PAYABLE = "not_payable", _("not for payment")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="invoices",
        db_index=False,  # the (customer, issue date) index serves
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.VAT)
    number = models.CharField(_("number"), max_length=40)
    corrected_invoice = models.ForeignKey(
        "self",
        verbose_name=_("corrected invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    issue_date = models.DateField(_("issue date"))
    sale_date = models.DateField(_("sale date"))
    due_date = models.DateField(_("due date"), db_index=True)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    net_total = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat_total = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    gross_total = models.DecimalField(_("gross"), max_digits=14, decimal_places=2)
    split_payment = models.BooleanField(_("split payment"), default=False)
    ksef_number = models.CharField(_("KSeF number"), max_length=64, blank=True)
    erp_pdf = models.FileField(
        _("original PDF"), upload_to="invoices/", storage=private_storage, blank=True
    )
    # NULL, not "", for an invoice without an ERP key: the unique constraint lets many be.
    external_id = models.CharField(_("ERP key"), max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-number"]
        indexes = [models.Index(fields=["customer", "-issue_date"])]
        # Unique by constraint, not `unique=True`: on PostgreSQL that adds a second index
        # for LIKE 'prefix%' that nothing asks, and every invoice written updates it.
        constraints = [
            models.UniqueConstraint(fields=["number"], name="invoice_number_unique"),
            models.UniqueConstraint(fields=["external_id"], name="invoice_external_id_unique"),
        ]

    def __str__(self) -> str:
        return self.number

    def status(self, on: date | None = None, paid: Decimal | None = None) -> str:
        """Derived from the allocations: unpaid, partly paid, paid, overdue."""
        if self.kind == self.Kind.PRO_FORMA:
            return self.Status.NOT_PAYABLE
        if paid is None:
            paid = getattr(self, "paid", None)
        if paid is None:
            paid = self.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
        if self.gross_total - paid < HALF_CENT:
            return self.Status.PAID
        if self.due_date < (on or timezone.localdate()):
            return self.Status.OVERDUE
        return self.Status.PARTLY_PAID if paid > 0 else self.Status.UNPAID

    def get_status_display(self) -> str:
        return self.Status(self.status()).label

    def vat_summary(self) -> list[dict]:
        """Net, VAT and gross per rate, as the VAT summary of the invoice prints them."""
        rows = {}
        for line in self.lines.all():
            row = rows.setdefault(
                line.vat_rate, {"rate": line.vat_rate, "net": ZERO, "vat": ZERO, "gross": ZERO}
            )
            row["net"] += line.net
            row["vat"] += line.vat
            row["gross"] += line.gross
        return [rows[rate] for rate in sorted(rows, key=lambda r: (not r.isdigit(), r))]


class InvoiceLine(models.Model):
    wagtail_reference_index_ignore = True
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.CASCADE,
        related_name="lines",
        db_index=False,  # the unique (invoice, position) index serves
    )
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20)
    unit_net_price = models.DecimalField(_("net unit price"), max_digits=14, decimal_places=4)
    vat_rate = models.CharField(_("VAT rate"), max_length=2, choices=VatRate.choices)
    net = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    gross = models.DecimalField(_("gross"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="one_line_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.invoice.number}/{self.position} {self.description}"
