from django.db.models.signals import post_save
from wagtail.signals import page_published

from .models import AnnouncementIndexPage, AnnouncementPage


def announcement_published(sender, instance: AnnouncementPage, revision, **kwargs) -> None:
    """Also sent for a first publication scheduled for later: act only once it is live."""
    if instance.live and instance.live_revision_id == revision.pk:
        from .services import announcement_published as published

        published(instance)


def board_created(sender, instance: AnnouncementIndexPage, created: bool, raw=False, **kwargs):
    """A new announcement board gets the outage approval workflow."""
    if created and not raw:
        from .moderation import ensure_outage_workflow

        ensure_outage_workflow(instance)


def register_signal_handlers() -> None:
    page_published.connect(
        announcement_published, sender=AnnouncementPage, dispatch_uid="announcement_published"
    )
    post_save.connect(board_created, sender=AnnouncementIndexPage, dispatch_uid="board_created")
