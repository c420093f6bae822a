"""The Celery app: tasks survive a dying worker and leave only after a commit.

Workers acknowledge a task after it finishes (`acks_late`) and hand it back to the
broker when the worker process is killed (`task_reject_on_worker_lost`), so tasks
must be idempotent. Tasks enqueued inside a transaction are published when it
commits and never for one that rolls back.
"""

import logging
import os
import time
from functools import partial
from pathlib import Path

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.schedules import crontab
from celery.utils import uuid
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

logger = logging.getLogger(__name__)

SWEPT_RETRY_AFTER = 5.0
"""Seconds a process leaves an unreachable broker alone before publishing swept tasks again;
meanwhile their rows wait for the sweeper, and a request does not wait for the broker."""
SWEPT_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
"""A swept task's publish tries a fresh connection once, not three times over 0.4 s: what
does not reach the broker now, the sweeper sends a little later."""
_broker = {"down_until": 0.0}


class OnCommitTask(DjangoTask):
    """A task whose `delay`/`apply_async` waits for the surrounding transaction to commit.

    Outside a transaction it is published at once. A task retrying itself from a
    worker is re-published at once too, since the transaction that wraps the
    retry is about to roll back and would take the retry with it.

    A `swept` task does work that a periodic sweeper hands out again (the outbox's rows
    wait, pending, until sent): when the broker cannot be reached, its publish is logged
    and skipped instead of failing the request or transaction that asked for it.
    """

    swept = False

    def apply_async(self, args=None, kwargs=None, task_id=None, **options):
        if self.swept:
            options.setdefault("retry_policy", SWEPT_RETRY_POLICY)
        publish = partial(super().apply_async, args, kwargs, **options)
        if self.swept:
            publish = partial(_publish_or_leave_for_the_sweeper, self, publish)
        if self.request.id or not transaction.get_connection().in_atomic_block:
            return publish(task_id=task_id)
        task_id = task_id or uuid()
        transaction.on_commit(partial(publish, task_id=task_id))
        return self.AsyncResult(task_id)


def _publish_or_leave_for_the_sweeper(task, publish, task_id=None):
    if time.monotonic() < _broker["down_until"]:
        return task.AsyncResult(task_id or uuid())
    try:
        return publish(task_id=task_id)
    except OperationalError as error:
        _broker["down_until"] = time.monotonic() + SWEPT_RETRY_AFTER
        logger.warning("Broker unreachable; %s left for the sweeper: %s", task.name, error)
        return task.AsyncResult(task_id or uuid())


app = Celery("okienko", task_cls=OnCommitTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.include = ["config.tasks"]
app.autodiscover_tasks()

# The filesystem broker and result store of the embedded mode need their folders first.
if (app.conf.broker_url or "").startswith("filesystem://"):
    for folder in ("data_folder_in", "control_folder"):
        Path(app.conf.broker_transport_options[folder]).mkdir(parents=True, exist_ok=True)
if (app.conf.result_backend or "").startswith("file://"):
    Path(app.conf.result_backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)

app.conf.beat_schedule = {
    "clear-expired-sessions": {
        "task": "config.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    "flush-outbox": {
        "task": "notifications.tasks.flush_outbox",
        "schedule": float(getattr(settings, "OUTBOX_FLUSH_SECONDS", 60)),
    },
    "remind-reading-windows": {
        "task": "metering.tasks.remind_reading_windows",
        "schedule": crontab(hour=8, minute=0),
    },
    "check-service-desk-deadlines": {
        "task": "servicedesk.tasks.check_deadlines",
        "schedule": crontab(minute="*/15"),
    },
    # Daily reminders; each notice has its outbox key, so a rerun tells nobody twice. They
    # run by day, so that an SMS does not wait for the morning after the quiet hours.
    "remind-invoices": {
        "task": "billing.tasks.remind_invoices",
        "schedule": crontab(hour=9, minute=0),
    },
    "remind-contracts-ending": {
        "task": "customers.tasks.remind_contracts_ending",
        "schedule": crontab(hour=9, minute=30),
    },
    "remind-appointments-tomorrow": {
        "task": "servicedesk.tasks.remind_appointments_tomorrow",
        "schedule": crontab(hour=16, minute=0),
    },
    # Work a lost task would leave undone: an announcement's fan-out whose task never
    # reached the broker, and PDFs stored by an import that rolled back.
    "resume-announcement-fan-outs": {
        "task": "announcements.tasks.resume_fan_outs",
        "schedule": float(getattr(settings, "OUTBOX_FLUSH_SECONDS", 60)),
    },
    "sweep-import-files": {
        "task": "integrations.tasks.sweep_import_files",
        "schedule": crontab(hour=3, minute=45),
    },
}
