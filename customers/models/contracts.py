import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.storage import private_storage

from .customers import Customer, ServicePoint


class ContractQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ContractQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(customer__in=Customer.objects.visible_to(user))

    def for_membership(self, membership) -> "ContractQuerySet":
        queryset = self.filter(customer_id=membership.customer_id)
        if membership.is_limited_to_service_points:
            queryset = queryset.filter(
                models.Q(service_points__isnull=True)
                | models.Q(service_points__in=membership.service_points.values("pk"))
            ).distinct()
        return queryset


class Contract(models.Model):
    """A contract with the customer; its signed PDF and annexes are versions."""

    class Kind(models.TextChoices):
        SALE = "sale", _("sale")
        DISTRIBUTION = "distribution", _("distribution")
        COMPREHENSIVE = "comprehensive", _("comprehensive")
        SERVICE = "service", _("service")

    class Status(models.TextChoices):
        ACTIVE = "active", _("in force")
        ENDED = "ended", _("ended")
        TERMINATED = "terminated", _("terminated")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    service_points = models.ManyToManyField(
        ServicePoint, verbose_name=_("service points"), blank=True, related_name="contracts"
    )
    external_id = models.CharField(_("ERP key"), max_length=64, unique=True, null=True, blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-start_date", "number"]

    def __str__(self) -> str:
        return self.number


class ContractDocument(models.Model):
    """One version of a contract's text: the signed contract, an annex, new terms."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="documents"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("PDF"), upload_to="contracts/", storage=private_storage)
    requires_acceptance = models.BooleanField(
        _("customer must accept"),
        default=False,
        help_text=_("New terms the customer accepts in the portal."),
    )
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")
        ordering = ["contract", "version"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "version"], name="one_document_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} v{self.version}: {self.title}"


class ContractAcceptance(models.Model):
    """The customer's acceptance of new terms: who, when, from where. Kept for good."""

    wagtail_reference_index_ignore = True

    document = models.ForeignKey(
        ContractDocument,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="acceptances",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("acceptance of terms")
        verbose_name_plural = _("acceptances of terms")
        constraints = [models.UniqueConstraint(fields=["document"], name="terms_accepted_once")]

    def __str__(self) -> str:
        return f"{self.document} — {self.user} {self.accepted_at:%Y-%m-%d %H:%M}"
