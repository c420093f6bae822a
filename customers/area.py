"""The customer area's frame: menu entries and dashboard widgets that rooms contribute.

A room registers `customer_menu_items` and `customer_dashboard_widgets` hooks in its
wagtail_hooks.py; the frame shows what the active membership's role may see.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .models import Customer, DashboardLayoutItem, Membership

KNOWN_WIDGETS: list[tuple[str, str]] = [
    ("customer_summary", _("Your account")),
    ("account_manager", _("Your account manager")),
    ("balance", _("Balance")),
    ("next_payment", _("Next payment")),
    ("latest_invoices", _("Latest invoices")),
    ("service_points", _("Service points")),
    ("consumption", _("Consumption")),
    ("reading_due", _("Meter reading due")),
    ("open_requests", _("Open requests")),
    ("unread_messages", _("Unread messages")),
    ("announcements", _("Announcements")),
    ("documents", _("Documents")),
]
"""The dashboard widgets a segment's layout may name: each room's widget `key`, with a label
for staff. A widget a room adds gets its key here too, or no layout can show it."""

SEGMENTS_VERSION_KEY = "okienko:customer-segments:version"
SEGMENTS_CACHE_TIMEOUT = 60 * 60  # a safety net; a change drops the entries long before

SEARCH_RESULTS_PER_KIND = 5
"""How many of a customer's invoices, contracts, messages… the site search lists at most."""


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    ability: str
    order: int = 100

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass
class Widget:
    """A dashboard widget. Its `context` may be a function, called only when the dashboard
    shows the widget, so that a widget the segment's layout leaves out costs nothing; the
    function answers None when there is nothing to show."""

    template: str
    context: dict | Callable[[], dict | None] = field(default_factory=dict)
    order: int = 100
    key: str = ""  # names the widget in a segment's dashboard layout

    def loaded(self) -> "Widget | None":
        """The widget with its context worked out; None when it has nothing to show."""
        if not callable(self.context):
            return self
        context = self.context()
        return None if context is None else replace(self, context=context)


def menu_for(membership: Membership) -> list[MenuItem]:
    items = [item for fn in hooks.get_hooks("customer_menu_items") for item in fn()]
    return sorted((i for i in items if membership.can(i.ability)), key=lambda i: i.order)


@dataclass(frozen=True)
class SearchResult:
    """One of the customer's own things the site search found (rooms answer `customer_search`)."""

    title: str
    url: str
    kind: str
    date: datetime.date | datetime.datetime | None = None


def layout_for(membership: Membership) -> list[str] | None:
    """The widget keys of the customer's dashboard layout, in order; None without one.

    A customer in several segments gets the layout of the first of them by segment name
    that has one; a layout without widgets counts as none. From the shared cache (see
    `forget_segment_caches`); else one query.
    """
    return _cached(
        "layout", membership.customer_id, lambda: _layout_of_customer(membership.customer_id)
    )


def segment_ids_of(customer_id: int) -> frozenset[int]:
    """The ids of the customer's segments, from the shared cache; else one query."""
    return _cached(
        "segments",
        customer_id,
        lambda: frozenset(
            Customer.segments.through.objects.filter(customer_id=customer_id).values_list(
                "segment_id", flat=True
            )
        ),
    )


def _cached(kind: str, customer_id: int, load: Callable):
    key = f"okienko:customer-segments:{_segments_version()}:{kind}:{customer_id}"
    entry = cache.get(key)
    if entry is None:
        entry = {"value": load()}  # a dict: a cached None is told from a miss
        cache.set(key, entry, SEGMENTS_CACHE_TIMEOUT)
    return entry["value"]


def _segments_version() -> int:
    version = cache.get(SEGMENTS_VERSION_KEY)
    if version is None:
        version = 1
        cache.add(SEGMENTS_VERSION_KEY, version, None)
    return version


def _drop_segment_caches() -> None:
    try:
        cache.incr(SEGMENTS_VERSION_KEY)
    except ValueError:
        cache.add(SEGMENTS_VERSION_KEY, 2, None)


def forget_segment_caches(**kwargs) -> None:
    """Customers' segments and dashboard layouts are set by staff and read on every
    dashboard, so they are cached per customer. A layout, a segment, its group's name or a
    customer's segments changed: every entry is stale (a new version leaves the old ones to
    expire) — now, and again after the commit, in case a request in between cached what was
    there before."""
    _drop_segment_caches()
    transaction.on_commit(_drop_segment_caches)


def _layout_of_customer(customer_id: int) -> list[str] | None:
    rows = (
        DashboardLayoutItem.objects.filter(layout__segment__customers=customer_id)
        .order_by("layout__segment__group__name", "layout_id", "sort_order", "pk")
        .values_list("layout_id", "widget")
    )
    first_layout, keys = None, []
    for layout_id, key in rows:
        if first_layout is None:
            first_layout = layout_id
        elif layout_id != first_layout:
            break
        keys.append(key)
    return keys if first_layout is not None else None


def widgets_for(request, membership: Membership) -> list[Widget]:
    """The dashboard's widgets: a segment's layout (its widgets only, in its order), else all
    in the rooms' order. A widget the role may not see is None from its room and never shown;
    only the widgets shown load their data."""
    widgets = [fn(request, membership) for fn in hooks.get_hooks("customer_dashboard_widgets")]
    widgets = [w for w in widgets if w is not None]
    layout = layout_for(membership)
    if layout is None:
        widgets = sorted(widgets, key=lambda w: w.order)
    else:
        position = {key: index for index, key in enumerate(dict.fromkeys(layout))}
        widgets = sorted((w for w in widgets if w.key in position), key=lambda w: position[w.key])
    return [w for w in (widget.loaded() for widget in widgets) if w is not None]
