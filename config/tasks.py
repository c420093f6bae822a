"""Housekeeping tasks that belong to no domain room."""

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions, which Django never removes by itself."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


@shared_task
def ping() -> str:
    """Answer from a worker; tells a health check that a worker consumes the queue."""
    return "pong"
