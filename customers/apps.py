from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """Customers, their users and access to their data."""

    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from . import site_cache
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
        site_cache.connect_signals()
