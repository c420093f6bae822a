import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .customers import Customer


class ChangeRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ChangeRequestQuerySet":
        return self.filter(customer__in=Customer.objects.visible_to(user))

    def pending(self) -> "ChangeRequestQuerySet":
        return self.filter(status=ChangeRequest.Status.PENDING)


class ChangeRequest(models.Model):
    """A customer's request to change billing data; back office approves or rejects it."""

    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    TRANSITIONS = {Status.PENDING: {Status.APPROVED, Status.REJECTED}}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    changes = models.JSONField(_("changes"), help_text=_("field: [old value, new value]"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.customer.number} {self.created_at:%Y-%m-%d} ({self.get_status_display()})"

    def set_status(self, status: str) -> None:
        """The one way to change the status; refuses a transition that is not allowed."""
        if status not in self.TRANSITIONS.get(self.status, set()):
            raise ValueError(f"A change request cannot go from {self.status} to {status}.")
        self.status = status
