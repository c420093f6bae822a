"""Sending messages to people. Rooms hand over a rendered message; delivery is a task.

Messages are rendered at once, in the recipient's language, and handed to a Celery
task that publishes only when the surrounding transaction commits.
"""

from django.template.loader import render_to_string
from django.utils import translation

from .tasks import deliver_email


def send_email(to: str, template: str, context: dict, language: str = "pl") -> None:
    """Render `<template>_subject.txt` and `<template>_body.txt` and queue the e-mail."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    deliver_email.delay(to=to, subject=subject, body=body)
