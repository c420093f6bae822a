from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import messages

from customers.area import MenuItem, Widget
from customers.models import Ability

from .moderation import needs_moderation

WIDGET_SIZE = 5

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
    from .models import AnnouncementPage

    def context():
        announcements = list(
            AnnouncementPage.objects.live()
            .for_membership(membership)
            .current()
            .in_display_order()
            .defer_streamfields()[:WIDGET_SIZE]
        )
        return {"announcements": announcements} if announcements else None

    return Widget("announcements/widgets/announcements.html", context, order=5, key="announcements")


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
