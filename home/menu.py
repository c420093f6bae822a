"""The main menu from the cache: every page draws it, and it changes only when pages do.

Any save or deletion of a page, a view restriction or a site forgets the menus.
"""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site

TIMEOUT = 3600


def _key(site_id: int) -> str:
    return f"main-menu:{site_id}"


def menu_entries(site: Site, request) -> list[dict]:
    """The root page and its live, public children marked "show in menus", in tree order:
    title, URL and tree path of each."""
    entries = cache.get(_key(site.pk))
    if entries is None:
        root = site.root_page
        pages = [root, *root.get_children().live().public().in_menu()]
        entries = [
            {"pk": page.pk, "title": page.title, "url": page.get_url(request), "path": page.path}
            for page in pages
        ]
        cache.set(_key(site.pk), entries, TIMEOUT)
    return entries


def forget(**kwargs) -> None:
    cache.delete_many([_key(pk) for pk in Site.objects.values_list("pk", flat=True)])


def _page_changed(sender, **kwargs) -> None:
    if issubclass(sender, Page):
        forget()


def connect_signals() -> None:
    """Called from the app's `ready()`."""
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_page_changed, dispatch_uid=f"main-menu-page-{name}")
        for model in (PageViewRestriction, Site):
            signal.connect(forget, sender=model, dispatch_uid=f"main-menu-{model.__name__}-{name}")
