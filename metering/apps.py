from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeteringConfig(AppConfig):
    """Meters, readings and consumption."""

    name = "metering"
    verbose_name = _("Metering")

    def ready(self) -> None:
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
