from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceDeskConfig(AppConfig):
    """Requests, complaints and their handling."""

    name = "servicedesk"
    verbose_name = _("Service desk")
