"""What publishing an announcement sets off: its privacy, and the notices to its audience.

A published announcement for customers gets a login restriction (so it stays out of the
site search, menus and the content API, which list public pages only) and, when it has
e-mail or SMS ticked, a Celery task that tells every user of the audience after the
commit. The outbox keys (`announcement:<page>:<user>`) make a re-publication, say a
correction, send nothing more to those told already.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from notifications.models import Category
from notifications.services import notify_many

from .audience import users_for
from .models import AnnouncementPage, Audience, PendingFanOut, Severity

NOTICE_TEMPLATE = "announcements/notifications/announcement"
BATCH_SIZE = 500
"""Users told in one transaction: their rows make one `deliver_batch` task per channel."""
PART_SIZE = 5000
"""Users per fan-out task, so that the workers share a large audience."""


def announcement_published(page: AnnouncementPage) -> None:
    """Keep the page's privacy in step with its audience; queue its notices, if any."""
    restrictions = PageViewRestriction.objects.filter(page=page)
    if page.audience == Audience.PUBLIC:
        restrictions.filter(restriction_type=PageViewRestriction.LOGIN).delete()
    elif not restrictions.exists():
        PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    if page.channels:
        from .tasks import fan_out_announcement

        PendingFanOut.objects.update_or_create(page=page, defaults={"since": timezone.now()})
        page_id = page.pk
        transaction.on_commit(lambda: fan_out_announcement.delay(page_id))


def portal_url(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def notice_context(page: AnnouncementPage) -> dict:
    """What the e-mail and SMS templates show; the same for every recipient."""
    list_url = portal_url(reverse("announcements:list"))
    return {
        "title": page.title,
        "severity": page.severity,
        "severity_label": Severity(page.severity).label,
        "valid_from": page.valid_from,
        "valid_to": page.valid_to,
        "text": page.plain_text(),
        "url": page.get_full_url() or list_url,
        "list_url": list_url,
    }


def notifiable(page_id: int) -> AnnouncementPage | None:
    """The live announcement, if it has channels and is not over yet: worth telling."""
    page = AnnouncementPage.objects.live().filter(pk=page_id).first()
    if page is None or not page.channels:
        return None
    if page.valid_to is not None and page.valid_to <= timezone.now():
        return None  # over already: nothing worth telling
    return page


def audience_parts(page_id: int, size: int | None = None) -> list[tuple[int, int | None]]:
    """The audience cut into runs of `size` users by pk, as (after, up_to) bounds for
    `notify_audience`, so that several workers can share a large fan-out; the last run is
    open-ended, for users who join meanwhile."""
    size = size or PART_SIZE
    page = notifiable(page_id)
    if page is None:
        return []
    user_ids = list(users_for(page).order_by("pk").values_list("pk", flat=True))
    bounds = [0, *user_ids[size - 1 : -1 : size]]
    return [(after, up_to) for after, up_to in zip(bounds, [*bounds[1:], None], strict=True)]


def notify_audience(
    page_id: int, batch_size: int = BATCH_SIZE, *, after: int = 0, up_to: int | None = None
) -> int:
    """Tell the users of a live announcement's audience (those with a pk after `after`, up
    to `up_to`) by its channels, a batch of users per transaction; returns how many notices
    were written (none written twice)."""
    page = notifiable(page_id)
    if page is None:
        return 0
    category = Category.OUTAGES if page.is_outage else Category.ANNOUNCEMENTS
    context = notice_context(page)
    users = users_for(page).filter(pk__gt=after)
    if up_to is not None:
        users = users.filter(pk__lte=up_to)
    user_ids = list(users.order_by("pk").values_list("pk", flat=True))
    User = get_user_model()
    written = 0
    for start in range(0, len(user_ids), batch_size):
        batch = User.objects.filter(pk__in=user_ids[start : start + batch_size]).only(
            "pk", "email", "mobile_phone"
        )
        with transaction.atomic():
            written += len(
                notify_many(
                    list(batch),
                    category=category,
                    template=NOTICE_TEMPLATE,
                    context=context,
                    key=f"announcement:{page.pk}",
                    channels=page.channels,
                )
            )
    return written
