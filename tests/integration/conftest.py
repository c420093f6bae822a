"""A real Celery worker process, reading the test database through the real broker."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app
from config.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    """The URL of the database this test run created, for the worker to open."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker for the session, started once the test database exists."""
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": app.conf.result_backend,
    }
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
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
                name,
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
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_until_ready(log: Path) -> None:
    started = time.monotonic()
    app.conf.task_always_eager = False
    try:
        ping.delay().get(timeout=90)
    except Exception:
        pytest.fail(
            f"worker did not answer in {time.monotonic() - started:.0f} s:\n{log.read_text()}"
        )
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def celery_worker_process(_celery_worker_session, transactional_db):
    """A running worker; the test's rows are committed, so the worker can read them."""
    app.conf.task_always_eager = False
    yield _celery_worker_session
    app.conf.task_always_eager = True
