from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def deliver_email(to: str, subject: str, body: str) -> None:
    """Hand one e-mail to the mail server; retried with backoff when it is unreachable."""
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
