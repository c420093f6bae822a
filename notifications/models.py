"""The outbox, and what people chose to receive.

A Delivery row is written in the same transaction as the change that causes it; a
Celery task sends it. Its `key` is unique, so the same notice (this announcement to
this user by this channel) is never written, nor sent, twice.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("webhook")


class Category(models.TextChoices):
    """What a notice is about; people choose channels per category."""

    ACCOUNT = "account", _("account and security")
    BILLING = "billing", _("invoices and payments")
    READINGS = "readings", _("meter readings")
    REQUESTS = "requests", _("requests and complaints")
    MESSAGES = "messages", _("messages from us")
    OUTAGES = "outages", _("outages and planned works")
    ANNOUNCEMENTS = "announcements", _("news and announcements")
    MARKETING = "marketing", _("offers (marketing)")


ALWAYS_ON = {Category.ACCOUNT}
"""Notices the law or the account's safety requires: they cannot be switched off."""

AT_LEAST_ONE_CHANNEL = {Category.OUTAGES, Category.MESSAGES}
"""Categories that may change channel but not be silenced entirely."""

DEFAULT_CHANNELS = {
    Category.ACCOUNT: {Channel.EMAIL},
    Category.BILLING: {Channel.EMAIL},
    Category.READINGS: {Channel.EMAIL},
    Category.REQUESTS: {Channel.EMAIL},
    Category.MESSAGES: {Channel.EMAIL},
    Category.OUTAGES: {Channel.EMAIL, Channel.SMS},
    Category.ANNOUNCEMENTS: {Channel.EMAIL},
    Category.MARKETING: set(),  # only with a recorded consent
}


class DeliveryQuerySet(models.QuerySet):
    def due(self, now) -> "DeliveryQuerySet":
        """Waiting to be sent and not held back (quiet hours, a retry's backoff)."""
        return self.filter(status=Delivery.Status.PENDING, not_before__lte=now)


class Delivery(models.Model):
    """One message to one address by one channel: the outbox row."""

    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("not sent")

    key = models.CharField(_("key"), max_length=200, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    to = models.CharField(_("to"), max_length=500)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    not_before = models.DateTimeField(_("not before"), db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    response_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to}: {self.subject or self.body[:40]}"


class Preference(models.Model):
    """A user's choice for one category and channel; no row means the default."""

    wagtail_reference_index_ignore = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category", "channel"], name="one_preference_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.category}/{self.channel} = {self.enabled}"


class Consent(models.Model):
    """A marketing consent given or withdrawn, with the text the person saw: the history is
    kept, the newest row is what holds."""

    wagtail_reference_index_ignore = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=20, default=Category.MARKETING)
    given = models.BooleanField(_("given"))
    text = models.TextField(_("text shown"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.purpose}: {self.given}"
