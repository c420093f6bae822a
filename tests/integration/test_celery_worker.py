"""Tasks reach a real worker only for transactions that commit."""

from datetime import timedelta

import pytest
from celery.result import AsyncResult
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from config.tasks import clear_expired_sessions, ping

pytestmark = pytest.mark.integration


class Rollback(Exception):
    pass


def test_task_enqueued_in_a_committed_transaction_runs(celery_worker_process):
    with transaction.atomic():
        result = ping.delay()
    assert result.get(timeout=60) == "pong"


def test_task_enqueued_in_a_rolled_back_transaction_never_runs(celery_worker_process):
    with pytest.raises(Rollback), transaction.atomic():
        lost = ping.delay()
        raise Rollback
    # The worker takes tasks in order; once a later one has run, an earlier one would have too.
    assert ping.delay().get(timeout=60) == "pong"
    assert AsyncResult(lost.id).state == "PENDING"


def test_worker_sees_committed_rows_of_the_test_database(celery_worker_process):
    now = timezone.now()
    Session.objects.create(
        session_key="expired", session_data="", expire_date=now - timedelta(days=1)
    )
    Session.objects.create(
        session_key="current", session_data="", expire_date=now + timedelta(days=1)
    )

    clear_expired_sessions.delay().get(timeout=60)

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]
