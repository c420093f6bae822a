from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet):
    def logins_of(self, user) -> "AuditEventQuerySet":
        return self.filter(
            models.Q(actor=user) | models.Q(subject_email__iexact=user.email),
            action__in=[
                AuditEvent.Action.LOGIN,
                AuditEvent.Action.LOGIN_FAILED,
                AuditEvent.Action.LOCKED_OUT,
            ],
        )


class AuditEvent(models.Model):
    """One thing that happened, kept for good: who did what, for which customer, from where.

    Rows are only ever added; the admin shows them read-only.
    """

    wagtail_reference_index_ignore = True

    class Action(models.TextChoices):
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("login failed")
        LOCKED_OUT = "locked_out", _("locked out")
        LOGOUT = "logout", _("logged out")
        SESSIONS_ENDED = "sessions_ended", _("other sessions ended")
        ACTIVATED = "activated", _("account activated")
        ACTIVATION_FAILED = "activation_failed", _("activation failed")
        ACCESS_GENERATED = "access_generated", _("portal access generated")
        MEMBER_REVOKED = "member_revoked", _("user access removed")
        DOWNLOAD = "download", _("document downloaded")
        DATA_CHANGED = "data_changed", _("data changed")
        IMPERSONATION = "impersonation", _("viewed as customer")
        READING_SUBMITTED = "reading_submitted", _("meter reading submitted")
        READING_REVIEWED = "reading_reviewed", _("meter reading reviewed")
        REQUEST_FILED = "request_filed", _("request filed")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject_email = models.CharField(
        _("login name"), max_length=254, blank=True, help_text=_("As typed, for failed logins.")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("device"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class UserSession(models.Model):
    """A signed-in browser of a user, so they can see it and end it from elsewhere."""

    wagtail_reference_index_ignore = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="portal_sessions",
    )
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("device"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("signed in"), auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
