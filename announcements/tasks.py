from celery import shared_task


@shared_task
def fan_out_announcement(page_id: int) -> int:
    """Send a published announcement to its audience, cut into parts that the workers
    share (idempotent: the outbox keys say who was told already, so a retry or a
    re-publication sends nothing twice). Returns how many notices it wrote itself."""
    from .services import audience_parts, notify_audience

    parts = audience_parts(page_id)
    if len(parts) == 1:
        return notify_audience(page_id)
    for after, up_to in parts:
        fan_out_announcement_part.delay(page_id, after, up_to)
    return 0


@shared_task
def fan_out_announcement_part(page_id: int, after: int, up_to: int | None) -> int:
    """Tell the audience's users with a pk after `after` up to `up_to` (None: the rest)."""
    from .services import notify_audience

    return notify_audience(page_id, after=after, up_to=up_to)
