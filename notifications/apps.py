from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The outbox and the channels that deliver it."""

    name = "notifications"
    verbose_name = _("Notifications")
