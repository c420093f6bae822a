from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(swept=True)
def fan_out_announcement(page_id: int) -> int:
    """Send a published announcement to its audience, cut into parts that the workers
    share (idempotent: the outbox keys say who was told already, so a retry or a
    re-publication sends nothing twice). Returns how many notices it wrote itself.

    The page's pending mark is cleared at the end, once every part is with the broker;
    a run that fails before that is started again by `resume_fan_outs`.
    """
    from .models import PendingFanOut
    from .services import audience_parts, notify_audience

    started = timezone.now()
    parts = audience_parts(page_id)
    written = 0
    if len(parts) == 1:
        written = notify_audience(page_id)
    else:
        for after, up_to in parts:
            fan_out_announcement_part.delay(page_id, after, up_to)
    PendingFanOut.objects.filter(page_id=page_id, since__lte=started).delete()
    return written


@shared_task
def fan_out_announcement_part(page_id: int, after: int, up_to: int | None) -> int:
    """Tell the audience's users with a pk after `after` up to `up_to` (None: the rest)."""
    from .services import notify_audience

    return notify_audience(page_id, after=after, up_to=up_to)


@shared_task
def resume_fan_outs() -> int:
    """Start again the fan-outs still pending a while after publication (their task was
    lost: the broker was down at commit time, or the run failed). Returns how many."""
    from .models import PendingFanOut

    grace = timedelta(seconds=getattr(settings, "FAN_OUT_GRACE_SECONDS", 120))
    stale = PendingFanOut.objects.filter(since__lt=timezone.now() - grace)
    page_ids = list(stale.values_list("page_id", flat=True))
    for page_id in page_ids:
        fan_out_announcement.delay(page_id)
    return len(page_ids)
