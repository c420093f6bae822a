"""The outbox with a real Celery worker process and the real broker (Redis when
CELERY_BROKER_URL names it, else the embedded filesystem broker).

The worker runs `worker_settings`: a mail server that refuses the first message to each
"flaky" address, and a queue of these tests' own, so that the shared integration worker
(tests/integration) takes none of their tasks.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.celery import app
from notifications.models import Delivery
from notifications.services import queue_many, send_email
from notifications.tasks import flush_outbox
from tests.integration.conftest import ROOT, _test_database_url, _wait_until_ready

pytestmark = pytest.mark.integration
NOTICE = "customers/email/security_change"


class Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("flaky-mail")


@pytest.fixture(scope="module")
def _outbox_worker(django_db_setup, django_db_blocker, tmp_path_factory, mail_dir):
    """A worker of its own, on a queue of its own, with the flaky mail server."""
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path_factory.mktemp("outbox-worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": app.conf.result_backend,
        "FLAKY_MAIL_DIR": str(mail_dir),
        "FLAKY_MAIL_FAILURES": "1",
        "OUTBOX_TEST_QUEUE": queue,
    }
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue  # what this process publishes goes to that worker
    with log.open("w") as log_file:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--hostname",
                f"{queue}@%h",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(log)
        yield log
    finally:
        app.conf.task_default_queue = default_queue
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.fixture
def outbox_worker(_outbox_worker, transactional_db):
    """The running worker; the test's rows are committed, so the worker reads them."""
    app.conf.task_always_eager = False
    yield _outbox_worker
    app.conf.task_always_eager = True


def wait_for(condition, log: Path, timeout: float = 60):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if result := condition():
            return result
        time.sleep(0.2)
    pytest.fail(f"gave up waiting after {timeout} s; the worker's log:\n{log.read_text()}")


def notice(to: str, key: str):
    return send_email(
        to, NOTICE, {"user": None, "what": "hasło", "when": timezone.localtime()}, key=key
    )


def test_a_failed_delivery_is_retried_and_sent(outbox_worker, mail_dir):
    with transaction.atomic():
        delivery = notice("flaky-retry@example.pl", "worker:retry")

    failed = wait_for(
        lambda: Delivery.objects.filter(pk=delivery.pk, attempts=1).first(), outbox_worker
    )
    assert failed.status == "pending"
    assert "451 try again later" in failed.last_error
    assert failed.not_before > timezone.now(), "held back for its backoff"
    assert not (mail_dir / "flaky-retry@example.pl.sent").exists()

    # The backoff's minute passes; the beat's flush hands the row to `deliver` again.
    Delivery.objects.filter(pk=delivery.pk).update(not_before=timezone.now())
    assert flush_outbox.delay().get(timeout=60) == 1

    sent = wait_for(
        lambda: Delivery.objects.filter(pk=delivery.pk, status="sent").first(), outbox_worker
    )
    assert sent.attempts == 2 and sent.sent_at is not None
    tries = (mail_dir / "flaky-retry@example.pl.attempts").read_text().splitlines()
    assert len(tries) == 2
    assert (mail_dir / "flaky-retry@example.pl.sent").read_text().splitlines() == [tries[0]]
    assert flush_outbox.delay().get(timeout=60) == 0, "nothing left to send"


def test_a_delivery_whose_cause_rolled_back_is_never_sent(outbox_worker, mail_dir):
    with pytest.raises(Rollback), transaction.atomic():
        assert notice("rolled-back@example.pl", "worker:rolled-back")
        raise Rollback
    with transaction.atomic():
        notice("after@example.pl", "worker:after")

    # The worker takes tasks in order: once the later notice is out, the lost one would be.
    wait_for(lambda: (mail_dir / "after@example.pl.sent").exists(), outbox_worker)
    assert flush_outbox.delay().get(timeout=60) == 0
    assert not Delivery.objects.filter(key__startswith="worker:rolled-back").exists()
    assert not (mail_dir / "rolled-back@example.pl.attempts").exists()
    assert list(Delivery.objects.values_list("key", "status")) == [("worker:after", "sent")]


def test_a_batch_sends_its_rows_and_backs_off_the_failing_one(outbox_worker, mail_dir):
    addresses = ["batch-1@example.pl", "flaky-batch@example.pl", "batch-2@example.pl"]
    now = timezone.now()
    with transaction.atomic():
        ids = queue_many(
            [
                Delivery(
                    key=f"worker:batch:{address}",
                    channel="email",
                    category="billing",
                    to=address,
                    subject=address,
                    body="b",
                    not_before=now,
                )
                for address in addresses
            ]
        )
    assert len(ids) == 3

    def settled():
        rows = Delivery.objects.filter(pk__in=ids)
        return rows.filter(status="sent").count() == 2 and rows.filter(attempts=1).count() == 3

    wait_for(settled, outbox_worker)
    flaky = Delivery.objects.get(to="flaky-batch@example.pl")
    assert flaky.status == "pending" and flaky.not_before > timezone.now()
    assert "451 try again later" in flaky.last_error
    assert all((mail_dir / f"{a}.sent").exists() for a in addresses if a != flaky.to)

    Delivery.objects.filter(pk=flaky.pk).update(not_before=timezone.now())
    assert flush_outbox.delay().get(timeout=60) == 1
    wait_for(lambda: Delivery.objects.filter(pk=flaky.pk, status="sent").exists(), outbox_worker)
    assert Delivery.objects.get(pk=flaky.pk).attempts == 2
