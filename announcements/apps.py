from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnouncementsConfig(AppConfig):
    """Announcements to the public and to chosen customers."""

    name = "announcements"
    verbose_name = _("Announcements")

    def ready(self) -> None:
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
