"""Tasks enqueued inside a transaction are published only when it commits."""

from unittest import mock

import pytest
from django.db import transaction

from config import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    """Record what would reach the broker instead of sending it."""
    with mock.patch("celery.app.task.Task.apply_async", autospec=True) as apply_async:
        yield apply_async


def test_task_waits_for_the_commit(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        result = tasks.ping.delay()
        assert published.call_count == 0
    assert len(callbacks) == 1
    assert published.call_count == 1
    assert published.call_args.kwargs["task_id"] == result.id


def test_task_of_a_rolled_back_transaction_is_never_published(
    published, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        tasks.ping.delay()
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert published.call_count == 0


def test_task_outside_a_transaction_is_published_at_once(published, transactional_db):
    tasks.ping.delay()
    assert published.call_count == 1
