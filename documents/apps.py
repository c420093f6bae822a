from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    """Document library, price lists and the PDF kit."""

    name = "documents"
    verbose_name = _("Documents")
