from celery import shared_task


@shared_task
def fan_out_announcement(page_id: int) -> int:
    """Send a published announcement to its audience (idempotent: the outbox keys say who
    was told already, so a retry or a re-publication sends nothing twice)."""
    from .services import notify_audience

    return notify_audience(page_id)
