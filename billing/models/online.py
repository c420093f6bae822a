import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from .invoices import Invoice
from .payments import MONEY, AdvanceInstalment, CustomerOwnedQuerySet, Payment


class OnlinePayment(models.Model):
    """One online payment at a provider: what the customer chose to pay and how it ended."""

    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        CREATED = "created", _("started")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")

    TRANSITIONS = {Status.CREATED: {Status.PAID, Status.FAILED}}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="online_payments",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paid by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    provider = models.CharField(_("provider"), max_length=20)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    invoices = models.ManyToManyField(
        Invoice, verbose_name=_("invoices"), blank=True, related_name="+"
    )
    instalments = models.ManyToManyField(
        AdvanceInstalment, verbose_name=_("instalments"), blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CREATED
    )
    provider_order_id = models.CharField(_("provider's order id"), max_length=100, blank=True)
    payment = models.OneToOneField(
        Payment,
        verbose_name=_("booked payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="online_payment",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = CustomerOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("online payment")
        verbose_name_plural = _("online payments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.currency} ({self.get_status_display()})"

    def set_status(self, status: str) -> None:
        """The one way to change the status; refuses a transition that is not allowed."""
        if status not in self.TRANSITIONS.get(self.status, set()):
            raise ValueError(f"An online payment cannot go from {self.status} to {status}.")
        self.status = status
