"""The Wagtail site and its site settings of a request, from Django's cache.

Every page's frame names the site (menu, title) and the company's details (a site setting):
two queries a request that change only when staff edit a site, its root page or a
setting. They are kept in the shared cache (Redis in production) and dropped on save, so
each web process reads them once. Wagtail's own per-request caches (`request._wagtail_site`,
a setting's `get_cache_attr_name()`) are filled from here, so `Site.find_for_request` and
`Setting.for_request` work as usual.

`pages_version` serves the other rooms: what they cache of pages (the announcements on the
customer's dashboard) is keyed with it, and any change of a page moves it on — when the
change is saved, not when it commits (publishing runs no on-commit work), so a request
reading in between may cache the old pages under the new number: such entries are kept
briefly.
"""

from django.apps import apps
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from wagtail.contrib.settings.models import BaseSiteSetting
from wagtail.contrib.settings.registry import registry
from wagtail.models import Page, Site

VERSION_KEY = "okienko:site-cache:version"
PAGES_VERSION_KEY = "okienko:pages:version"
TIMEOUT = 60 * 60  # a safety net; saves drop the entries long before
_MISSING = "none"  # cached "no site answers this host" (None cannot be told from a miss)


def _version(key: str = VERSION_KEY) -> int:
    version = cache.get(key)
    if version is None:
        version = 1
        cache.add(key, version, None)
    return version


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, 2, None)


def pages_version() -> int:
    """A number that changes whenever any page is saved or deleted (published, unpublished,
    moved, its audience edited…): what a room caches of pages is keyed with it."""
    return _version(PAGES_VERSION_KEY)


def _pages_changed(**kwargs) -> None:
    _bump(PAGES_VERSION_KEY)


def _page_changed(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        _pages_changed()


def _key(version: int, *parts) -> str:
    return f"okienko:site-cache:{version}:" + urlencode({"k": parts}, doseq=True)


def site_for(request) -> Site | None:
    """The Wagtail site answering the request, from the cache; stored on the request the way
    `Site.find_for_request` does."""
    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    key = _key(_version(), "site", request._get_raw_host(), request.get_port())
    site = cache.get(key)
    if site is None:
        site = Site._find_for_request(request)
        if site is not None:
            site.root_page  # noqa: B018 - cached with the site: the menu starts from it
        cache.set(key, site if site is not None else _MISSING, TIMEOUT)
    request._wagtail_site = None if site == _MISSING else site
    return request._wagtail_site


def _setting_for(model: type[BaseSiteSetting], request):
    site = site_for(request)
    if site is None:
        raise model.DoesNotExist(f"{model} does not exist for site None.")
    key = _key(_version(), "setting", model._meta.label_lower, site.pk)
    instance = cache.get(key)
    if instance is None:
        instance = model.for_site(site)
        cache.set(key, instance, TIMEOUT)
    instance._request = request  # as `for_request` does, for page URLs in settings
    return instance


def prime(request) -> None:
    """Let Wagtail find the site and every site setting of this request in the cache.

    Settings are loaded when first used (a template asks for them), not here.
    """
    site_for(request)
    for model in registry:
        if issubclass(model, BaseSiteSetting):
            attr = model.get_cache_attr_name()
            if not hasattr(request, attr):
                setattr(request, attr, SimpleLazyObject(lambda m=model: _setting_for(m, request)))


class SiteCacheMiddleware:
    """Primes every request (public pages too) from the cache; see `prime`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        prime(request)
        return self.get_response(request)


def remember(name: str, compute):
    """A value made from the sites and their settings alone (the company that issues
    documents), cached until a site or a setting changes like the rest of this module."""
    key = _key(_version(), "derived", name)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value if value is not None else _MISSING, TIMEOUT)
    return None if value == _MISSING else value


def invalidate(**kwargs) -> None:
    """Drop every cached site and setting: a new version leaves the old entries to expire."""
    _bump(VERSION_KEY)


def _page_saved(sender, instance, **kwargs) -> None:
    """A site's root page was edited (its title and path are cached with the site)."""
    if isinstance(instance, Page) and Site.objects.filter(root_page_id=instance.pk).exists():
        invalidate()


def connect_signals() -> None:
    """Called from the app's `ready()`: any save of a site, a root page or a setting; and
    for `pages_version`, any change of any page."""
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(invalidate, sender=Site, dispatch_uid=f"site-cache-site-{name}")
        signal.connect(_page_saved, dispatch_uid=f"site-cache-page-{name}")
        signal.connect(_page_changed, dispatch_uid=f"pages-version-{name}")
        for model in registry:
            if issubclass(model, BaseSiteSetting):
                signal.connect(
                    invalidate,
                    sender=model,
                    dispatch_uid=f"site-cache-{model._meta.label_lower}-{name}",
                )
    # A page's many-to-many values changed from the other side (no page is saved then).
    for model in apps.get_models():
        if issubclass(model, Page):
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _pages_changed,
                    sender=field.remote_field.through,
                    dispatch_uid=f"pages-version-{model._meta.label_lower}-{field.name}",
                )
