"""The Celery app: tasks survive a dying worker and leave only after a commit.

Workers acknowledge a task after it finishes (`acks_late`) and hand it back to the
broker when the worker process is killed (`task_reject_on_worker_lost`), so tasks
must be idempotent. Tasks enqueued inside a transaction are published when it
commits and never for one that rolls back.
"""

import os
from functools import partial
from pathlib import Path

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.schedules import crontab
from celery.utils import uuid
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


class OnCommitTask(DjangoTask):
    """A task whose `delay`/`apply_async` waits for the surrounding transaction to commit.

    Outside a transaction it is published at once. A task retrying itself from a
    worker is re-published at once too, since the transaction that wraps the
    retry is about to roll back and would take the retry with it.
    """

    def apply_async(self, args=None, kwargs=None, task_id=None, **options):
        publish = partial(super().apply_async, args, kwargs, **options)
        if self.request.id or not transaction.get_connection().in_atomic_block:
            return publish(task_id=task_id)
        task_id = task_id or uuid()
        transaction.on_commit(partial(publish, task_id=task_id))
        return self.AsyncResult(task_id)


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
        "schedule": 60.0,
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
}
