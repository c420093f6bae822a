from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """Public pages, the landing page and the company's site settings."""

    name = "home"
    verbose_name = _("Home and site pages")

    def ready(self) -> None:
        from . import menu, page_cache, search_terms

        menu.connect_signals()
        page_cache.connect_signals()
        search_terms.quote_fts5_phrases()
