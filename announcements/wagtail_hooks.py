from collections import defaultdict

from django.core.cache import cache
from django.db.models import Q
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import messages

from customers.area import MenuItem, Widget, segment_ids_of
from customers.gate import request_service_points
from customers.models import Ability
from customers.site_cache import pages_version

from . import audience
from .moderation import needs_moderation

WIDGET_SIZE = 5
BOARD_CACHE_TIMEOUT = 60
"""Seconds the announcements stay cached: any change of a page leaves the entry behind at
once, but one cached by a request that read while the change was being committed would
be out of date, so no entry lives longer than this."""

OUTAGE_NEEDS_APPROVAL = _(
    "An outage announcement is published by a moderator's approval: submit it for "
    "moderation instead. Your changes are saved as a draft."
)


@hooks.register("customer_menu_items")
def announcements_menu_items():
    return [MenuItem(_("Announcements"), "announcements:list", Ability.VIEW_ACCOUNT, 60)]


@hooks.register("customer_dashboard_widgets")
def announcements_widget(request, membership):
    """What is meant for the customer and valid now, pinned first, at most five."""
    if not membership.can(Ability.VIEW_ACCOUNT):
        return None

    def context():
        # Meant for the customer, so its areas are all of the customer's service points: the
        # ones the dashboard has loaded already, unless the membership reaches only some.
        points = None
        if not membership.is_limited_to_service_points:
            points = request_service_points(request, membership)
        announcements = current_announcements_for(membership.customer, points)[:WIDGET_SIZE]
        return {"announcements": announcements} if announcements else None

    return Widget("announcements/widgets/announcements.html", context, order=5, key="announcements")


def current_announcements_for(customer, service_points=None) -> list:
    """What `AnnouncementPage.objects.live().for_customer(customer).current()
    .in_display_order()` finds, from the cached announcements, with no query but for the
    customer's areas (none when `service_points`, all of the customer's, are given)."""
    reader = audience.reader(
        customer.pk, segment_ids_of(customer.pk), audience.areas_of(customer, service_points)
    )
    now = timezone.now()
    found = [
        page
        for page, segment_ids, customer_ids in announcements_not_ended()
        if page.valid_from <= now
        and (page.valid_to is None or page.valid_to > now)
        and audience.is_meant_for(page, segment_ids, customer_ids, reader)
    ]
    return sorted(found, key=lambda page: (page.pinned, page.valid_from, page.pk), reverse=True)


def announcements_not_ended() -> list[tuple]:
    """Every live announcement that has not ended, with the ids of its segments and of its
    customers: from the shared cache, which any change of a page leaves behind."""
    key = f"okienko:announcements-not-ended:{pages_version()}"
    entries = cache.get(key)
    if entries is None:
        from .models import AnnouncementPage

        pages = list(
            AnnouncementPage.objects.live()
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=timezone.now()))
            .defer_streamfields()
        )
        segments, customers = defaultdict(set), defaultdict(set)
        page_ids = [page.pk for page in pages]
        for through, column, ids in (
            (AnnouncementPage.segments.through, "segment_id", segments),
            (AnnouncementPage.customers.through, "customer_id", customers),
        ):
            rows = through.objects.filter(announcementpage_id__in=page_ids)
            for page_id, related_id in rows.values_list("announcementpage_id", column):
                ids[page_id].add(related_id)
        entries = [
            (page, frozenset(segments[page.pk]), frozenset(customers[page.pk])) for page in pages
        ]
        cache.set(key, entries, BOARD_CACHE_TIMEOUT)
    return entries


@hooks.register("seed_demo", order=50)
def seed_demo_announcements(context):
    from .demo import seed_demo_announcements as seed

    seed(context)


# Outage announcements: no direct publishing but by moderators (see moderation.py).


@hooks.register("construct_page_action_menu")
def hide_publish_of_outages(menu_items, request, context):
    page = context.get("page")
    if page is not None and needs_moderation(page, request.user):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


@hooks.register("before_publish_page")
def refuse_publishing_outages(request, page):
    """The edit and create views' "Publish": the draft is saved, the publishing refused."""
    if needs_moderation(page, request.user):
        if page.live_revision_id is None:
            # The create view adds a new page as live before asking: keep it a draft.
            type(page).objects.filter(pk=page.pk).update(live=False, has_unpublished_changes=True)
        messages.error(request, OUTAGE_NEEDS_APPROVAL)
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_bulk_action")
def refuse_bulk_publishing_outages(request, action_type, objects, action_class_instance):
    if action_type != "publish":
        return None
    for page in objects:
        if needs_moderation(page.get_latest_revision_as_object(), request.user):
            messages.error(request, OUTAGE_NEEDS_APPROVAL)
            return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_copy_page")
def refuse_publishing_copies_of_outages(request, page):
    """A copy kept live would be a new outage announcement published past moderation."""
    publishing = request.method == "POST" and request.POST.get("publish_copies")
    if publishing and needs_moderation(page.specific, request.user):
        messages.error(request, OUTAGE_NEEDS_APPROVAL)
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("page_cache_valid_until")
def next_announcement_change(now):
    """Public pages kept whole (home.page_cache) list what is valid now: they must be
    rendered again when a live announcement starts or ends, with no save in between."""
    from django.db.models import Min, Q

    from .models import AnnouncementPage

    moments = AnnouncementPage.objects.live().aggregate(
        start=Min("valid_from", filter=Q(valid_from__gt=now)),
        end=Min("valid_to", filter=Q(valid_to__gt=now)),
    )
    return min(filter(None, moments.values()), default=None)
