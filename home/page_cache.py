"""Whole public pages for anonymous visitors, from the shared cache.

Rendering a Wagtail page runs the full middleware stack, the page's route and its
template: tens of milliseconds for a page that reads the same for every stranger. A page
served to a visitor with no session and no credentials is kept, whole, for
`PAGE_CACHE_SECONDS` and served to the next such visitor of the same address, host and
language without touching the database.

What is never kept: anything but a 200 from Wagtail's page serving, a page with a view
restriction, a response that used the CSRF token, set a cookie or said `private`,
`no-store` or `no-cache`. A visitor with a session or message cookie or an
`Authorization` header never gets a kept page.

Every entry carries the generation it was rendered in; a change to anything pages show
(pages, sites, settings, redirects, restrictions, collections, documents, images, tags)
starts a new generation at once and again when the transaction commits, so a page
rendered from the old data is not served afterwards. Content that changes by the clock
alone (announcements that start or end, price lists in force "today") caps how long an
entry lives: rooms answer the `page_cache_valid_until` hook with the next such moment.

A per-process cache (locmem) would keep serving a page another process has changed, so
the page cache is off unless the default cache is shared. Each process does keep copies
of the pages it served last, checked against the shared generation every
GENERATION_RECHECK_SECONDS: a change shows in the other processes within that second.
"""

import datetime
import hashlib
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re, get_max_age
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.i18n import set_language as django_set_language
from taggit.models import Tag, TaggedItem
from wagtail import hooks
from wagtail.contrib.redirects.models import Redirect
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import (
    Collection,
    CollectionViewRestriction,
    Page,
    PageViewRestriction,
    Site,
)
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

GENERATION_KEY = "okienko:page-cache:generation"
VALID_UNTIL_HOOK = "page_cache_valid_until"
STATUS_HEADER = "X-Page-Cache"
# Each process keeps the pages it served last (at most LOCAL_ENTRIES), so that most hits
# need no round trip to the shared cache; it asks for the generation again after this
# long. A change made in another process shows here within it; one made here, at once.
GENERATION_RECHECK_SECONDS = 1.0
LOCAL_ENTRIES = 256
_KEY_PREFIX = "okienko:page-cache:page:"
_CACHEABLE_METHODS = ("GET", "HEAD")
_UNCACHEABLE_CONTROL = ("private", "no-store", "no-cache")
# Request headers a kept page may vary on: the key holds the language; the session
# cookie sends the visitor around the cache.
_VARY_ALLOWED = {"cookie", "accept-language"}


def is_enabled() -> bool:
    """On when entries live for some time and every process sees the same cache."""
    if getattr(settings, "PAGE_CACHE_SECONDS", 0) <= 0:
        return False
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def may_use_cache(request) -> bool:
    """A stranger's GET or HEAD: no session, no pending messages, no credentials."""
    return (
        request.method in _CACHEABLE_METHODS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def language_for(request) -> str:
    """The language LocaleMiddleware will activate for this request, found the same way."""
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    i18n_patterns_used, _ = is_language_prefix_patterns_used(urlconf)
    return translation.get_language_from_request(request, check_path=i18n_patterns_used)


def key_for(request) -> str:
    """Scheme, host, path with query string and language: everything a stranger's page
    depends on. HEAD shares the GET entry."""
    parts = (request.scheme, request.get_host(), request.get_full_path(), language_for(request))
    digest = hashlib.sha256(urlencode({"k": parts}, doseq=True).encode()).hexdigest()
    return _KEY_PREFIX + digest


def _served_page(request):
    """The live page Wagtail served for this request, or None for any other view."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "wagtail_serve" or getattr(request, "is_preview", False):
        return None
    route = getattr(request, "_wagtail_route_for_request", None)
    return route[0] if route else None


def _is_storable(request, response) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return False
    if response.cookies or response.has_header("Set-Cookie"):
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in _UNCACHEABLE_CONTROL):
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
    if not vary <= _VARY_ALLOWED:
        return False
    page = _served_page(request)
    return page is not None and page.live and not page.get_view_restrictions()


def _next_local_midnight(now: datetime.datetime) -> datetime.datetime:
    """Pages that show what holds "today" change then."""
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))


def seconds_to_keep(response, now: datetime.datetime | None = None) -> int:
    """PAGE_CACHE_SECONDS, or less: the response's own max-age, the next local midnight and
    the next moment any room's public content changes by the clock."""
    now = now or timezone.now()
    seconds = settings.PAGE_CACHE_SECONDS
    max_age = get_max_age(response)
    if max_age is not None:
        seconds = min(seconds, max_age)
    moments = [_next_local_midnight(now)]
    moments += [fn(now) for fn in hooks.get_hooks(VALID_UNTIL_HOOK)]
    for moment in moments:
        if moment is not None:
            seconds = min(seconds, int((moment - now).total_seconds()))
    return max(seconds, 0)


def _generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    return generation


class _LocalCopies:
    """The pages this process served from the shared cache last, and the generation it saw.

    A hit found here costs no round trip to the shared cache. The generation is asked for
    again after GENERATION_RECHECK_SECONDS; a change made in this process sets it at once.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple] = OrderedDict()
        self._generation: str | None = None
        self._checked_at = float("-inf")

    def generation(self) -> str | None:
        """The generation seen last, if seen recently enough to trust."""
        if time.monotonic() - self._checked_at < GENERATION_RECHECK_SECONDS:
            return self._generation
        return None

    def saw_generation(self, generation: str) -> None:
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
            self._generation, self._checked_at = generation, time.monotonic()

    def get(self, key: str, generation: str):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != generation or entry[1] <= time.time():
                return None
            self._entries.move_to_end(key)
            return entry[2]

    def put(self, key: str, entry: tuple) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > LOCAL_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation, self._checked_at = None, float("-inf")


_local = _LocalCopies()


def forget_local_copies(**kwargs) -> None:
    """Drop this process's copies (the shared cache was emptied or replaced)."""
    _local.clear()


def _response_from(stored, request) -> HttpResponse:
    status, headers, content = stored
    response = HttpResponse(b"" if request.method == "HEAD" else content, status=status)
    for name, value in headers:
        response.headers[name] = value
    response[STATUS_HEADER] = "hit"
    return response


class PageCacheMiddleware:
    """Serves kept pages to strangers before the session, locale and CSRF machinery runs;
    keeps those it may. Sits below SecurityMiddleware and WhiteNoise, so HSTS and static
    files work on every answer, and above the rest, whose headers are kept with the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (is_enabled() and may_use_cache(request)):
            return self.get_response(request)
        key = key_for(request)
        generation = _local.generation()
        if generation is not None and (stored := _local.get(key, generation)) is not None:
            return _response_from(stored, request)

        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY) or _generation()
        _local.saw_generation(generation)
        entry = found.get(key)
        if entry is not None and entry[0] == generation and entry[1] > time.time():
            _local.put(key, entry)
            return _response_from(entry[2], request)

        response = self.get_response(request)
        if _is_storable(request, response):
            seconds = seconds_to_keep(response)
            if seconds > 0:
                headers = [
                    (name, value)
                    for name, value in response.items()
                    if name.lower() not in ("set-cookie", STATUS_HEADER.lower())
                ]
                stored = (response.status_code, headers, response.content)
                cache.set(key, (generation, time.time() + seconds, stored), seconds)
        response[STATUS_HEADER] = "miss"
        return response


def invalidate(**kwargs) -> None:
    """Start a new generation now and again when the transaction commits: a page rendered
    before the commit, from the old data, is never served after it."""
    if not is_enabled():
        return
    _new_generation()
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        callback is _new_generation for _sids, callback, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_new_generation)


def _new_generation() -> None:
    generation = f"{time.time_ns():x}-{uuid.uuid4().hex[:8]}"
    cache.set(GENERATION_KEY, generation, None)
    _local.saw_generation(generation)


@csrf_exempt
def set_language(request):
    """Django's language switch, CSRF-checked for signed-in users only.

    A stranger's page comes from the page cache and carries no CSRF token; a forged
    switch could only change the language a stranger reads in. A signed-in user's pages
    carry the token and the check stays.
    """
    if request.user.is_authenticated:
        return csrf_protect(django_set_language)(request)
    return django_set_language(request)


def _page_changed(sender, **kwargs) -> None:
    if issubclass(sender, Page):
        invalidate()


def _settings_changed(setting, **kwargs) -> None:
    if setting in ("CACHES", "PAGE_CACHE_SECONDS"):
        forget_local_copies()


def connect_signals() -> None:
    """Called from the app's `ready()`: every change to what public pages show."""
    models = [
        Site,
        PageViewRestriction,
        CollectionViewRestriction,
        Collection,
        Redirect,
        get_document_model(),
        get_image_model(),
        Tag,
        TaggedItem,
    ]
    models += [m for m in settings_registry if issubclass(m, BaseSiteSetting | BaseGenericSetting)]
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_page_changed, dispatch_uid=f"page-cache-page-{name}")
        for model in models:
            signal.connect(
                invalidate,
                sender=model,
                dispatch_uid=f"page-cache-{model._meta.label_lower}-{name}",
            )
    page_signals = {
        "published": page_published,
        "unpublished": page_unpublished,
        "slug-changed": page_slug_changed,
        "moved": post_page_move,
    }
    for name, signal in page_signals.items():
        signal.connect(invalidate, dispatch_uid=f"page-cache-page-{name}")
    setting_changed.connect(_settings_changed, dispatch_uid="page-cache-settings")
    # Tags are added to documents and images in bulk, with no save signal of their own.
    m2m_changed.connect(invalidate, sender=TaggedItem, dispatch_uid="page-cache-tags")
