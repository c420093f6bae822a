from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from .payments import MONEY, Payment


class BankCredit(models.Model):
    """A credit line from an imported bank statement: booked as a payment, or left for review."""

    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        MATCHED = "matched", _("booked")
        UNMATCHED = "unmatched", _("to review")
        IGNORED = "ignored", _("ignored")

    account = models.CharField(_("statement account"), max_length=40)
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    title = models.TextField(_("title"), blank=True)
    reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    dedupe_key = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payment = models.OneToOneField(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bank_credit",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    source = models.CharField(_("statement file"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank credit")
        verbose_name_plural = _("bank credits")
        ordering = ["-booked_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.booked_on:%Y-%m-%d} {self.amount} {self.currency}"
