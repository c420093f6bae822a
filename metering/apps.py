from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeteringConfig(AppConfig):
    """Meters, readings and consumption."""

    name = "metering"
    verbose_name = _("Metering")
