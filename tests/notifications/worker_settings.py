"""Settings of the worker `test_outbox_worker` starts: the test settings, a mail server that
refuses the first message to each "flaky" address, and a queue of the tests' own (so that
no other worker takes their tasks, nor they another's)."""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "tests.notifications.backends.FlakyEmailBackend"
FLAKY_MAIL_DIR = os.environ["FLAKY_MAIL_DIR"]
FLAKY_MAIL_FAILURES = int(os.environ.get("FLAKY_MAIL_FAILURES", "1"))
CELERY_TASK_DEFAULT_QUEUE = os.environ["OUTBOX_TEST_QUEUE"]
