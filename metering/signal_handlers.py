"""What drops the metering room's cached configuration when staff change it."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from customers.models import Segment

from .models import ReadingWindow
from .windows import forget_windows


def register_signal_handlers() -> None:
    """Called from the app's `ready()`: a window saved or deleted, its segments changed, or a
    segment deleted (which removes it from windows without an m2m signal)."""
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(forget_windows, sender=ReadingWindow, dispatch_uid=f"windows-{name}")
    post_delete.connect(forget_windows, sender=Segment, dispatch_uid="windows-segment-delete")
    m2m_changed.connect(
        forget_windows, sender=ReadingWindow.segments.through, dispatch_uid="windows-segments"
    )
