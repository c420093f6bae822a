from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """Customers, their users and access to their data."""

    name = "customers"
    verbose_name = _("Customers")
