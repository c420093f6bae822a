from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Ability, Membership, ServicePoint
from notifications.models import Category
from notifications.services import notify

from .models import Meter, ReadingReminder
from .windows import applicable_windows, self_reading_at


@shared_task
def remind_reading_windows() -> int:
    """On the day a reading window opens, tell the users who read their meters themselves.

    One reminder per customer and opening (a unique row, and each notice's outbox key), so
    a repeated run sends nothing twice; each user is told by the channels they chose for
    readings. Returns how many users were reminded.
    """
    today = timezone.localdate()
    points = list(
        ServicePoint.objects.active()
        .filter(pk__in=Meter.objects.installed(today).values("service_point"))
        .select_related("customer")
        .prefetch_related("customer__segments")
    )
    windows = applicable_windows(points)
    opening: dict[int, tuple] = {}
    for point in points:
        segment_ids = {segment.pk for segment in point.customer.segments.all()}
        reading = self_reading_at(point, today, windows, segment_ids)
        if reading.is_open and reading.state.opened_on == today:
            opening.setdefault(point.customer_id, (reading.window, point.customer, []))[2].append(
                point
            )
    sent = 0
    for window, customer, customer_points in opening.values():
        try:
            with transaction.atomic():
                ReadingReminder.objects.create(window=window, customer=customer, opened_on=today)
                sent += _remind(customer, customer_points, window)
        except IntegrityError:
            continue  # reminded already
    return sent


def _remind(customer, points, window) -> int:
    reminded = 0
    today = timezone.localdate()
    memberships = (
        Membership.objects.active()
        .filter(customer=customer, user__is_active=True)
        .select_related("user")
        .prefetch_related("service_points")
    )
    for membership in memberships:
        if not membership.can(Ability.SUBMIT_READINGS):
            continue
        limited_to = list(membership.service_points.all())
        reachable = [p for p in points if not limited_to or p in limited_to]
        if not reachable:
            continue
        closes_on = self_reading_at(reachable[0], today, [window]).state.closes_on
        reminded += bool(
            notify(
                membership.user,
                category=Category.READINGS,
                template="metering/notifications/reading_window_open",
                context={
                    "customer": customer,
                    "points": reachable,
                    "closes_on": closes_on,
                    "url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("metering:meters"),
                },
                key=f"reading-window:{window.pk}:{customer.pk}:{today:%Y%m%d}:{membership.user_id}",
            )
        )
    return reminded
