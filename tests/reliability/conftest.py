"""Real services for fault tests: a private redis-server (broker and cache) that a test may
kill, and Celery workers, beat and gunicorn started with the production settings against
this test run's PostgreSQL database, each in a process group of its own so that a test can
kill -9 one of them with its children.

E-mail leaves through Django's file backend into a folder of the test's own; every message
carries its outbox key (X-Okienko-Delivery), so `mailed_keys` counts what was handed to the
mail server, key by key.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from tests.integration.conftest import _test_database_url

BASE_DIR = Path(__file__).resolve().parents[2]
DELIVERY_HEADER = re.compile(rb"^X-Okienko-Delivery: (.+?)\r?$", re.MULTILINE)

# The production settings with one change: static files as they are in the source tree
# (the manifest storage would need a collectstatic first, which has no bearing here).
SERVICE_SETTINGS = """
from config.settings.production import *  # noqa: F403

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
"""


SHARES_THE_DATABASE = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="processes the test starts share its database: needs PostgreSQL",
    ),
]
"""The marks of a test whose web or worker processes read the test's own database."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.1, state=None):
    """Poll `condition` until it holds; on timeout fail, saying what `state()` then was."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    pytest.fail(f"waited {timeout:.0f} s for {what}" + (f"; {state()}" if state else ""))


def mailed_keys(folder: Path) -> Counter:
    """How many messages the mail server took for each outbox key."""
    keys = Counter()
    for path in folder.glob("*.log"):
        keys.update(key.decode() for key in DELIVERY_HEADER.findall(path.read_bytes()))
    return keys


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence: stopped and
    started again it comes back empty, as a crashed cache or broker node does."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, database: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - Debian's redis-server
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def answers():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_for(answers, 20, "redis-server to answer")

    def stop(self) -> None:
        """kill -9: no goodbye to the clients."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """kill -9 of the process and its children (a worker and its pool) at once."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)


@dataclass
class Services:
    """Processes of the portal against this test's database, the private Redis and a mail
    folder; `env` holds what they all read (a test may add to it before starting one)."""

    redis: RedisServer
    folder: Path
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    @property
    def mail(self) -> Path:
        return self.folder / "mail"

    def start(self, name: str, *command: str, **extra_env: str) -> Process:
        log = self.folder / f"{name}-{len(self.processes)}.log"
        with log.open("w") as output:
            popen = subprocess.Popen(  # noqa: S603 - our interpreter
                [sys.executable, *command],
                env={**self.env, **extra_env},
                cwd=BASE_DIR,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for kill -9 of it all
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def worker(self, name: str, **extra_env: str) -> Process:
        """`celery worker` with one pool process; wait for it with `ready`."""
        return self.start(
            name,
            *("-m", "celery", "-A", "config", "worker", "--concurrency", "1"),
            *("--hostname", f"{name}-{secrets.token_hex(3)}@%h", "--loglevel", "INFO"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            **extra_env,
        )

    def beat(self, **extra_env: str) -> Process:
        schedule = self.folder / f"beat-schedule-{len(self.processes)}"
        return self.start(
            "beat",
            *("-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"),
            *("--schedule", str(schedule)),
            **extra_env,
        )

    def web(self, port: int, **extra_env: str) -> Process:
        """gunicorn as production runs it: two sync workers, no control socket."""
        return self.start(
            "gunicorn",
            *("-m", "gunicorn", "config.wsgi:application", "--workers", "2"),
            *("--worker-class", "sync", "--bind", f"127.0.0.1:{port}"),
            *("--no-control-socket", "--log-level", "warning"),
            **extra_env,
        )

    def ready(self, *workers: Process, timeout: float = 90) -> None:
        for worker in workers:

            def started(worker=worker):
                assert worker.popen.poll() is None, worker.log.read_text()[-3000:]
                return " ready." in worker.log.read_text()

            wait_for(started, timeout, f"{worker.name} to start", interval=0.2)

    def send(self, task: str, *args) -> None:
        """Hand a task to the private broker, as a web process's commit or beat would."""
        client = Celery("probe", set_as_current=False)
        with client.connection_for_write(self.redis.url(0)) as broker:
            client.send_task(task, args, connection=broker)

    def stop_all(self) -> None:
        """kill -9 of everything started: nothing of theirs needs keeping."""
        for process in self.processes:
            process.kill()


@pytest.fixture
def services(transactional_db, redis_server, tmp_path) -> Services:
    """The environment of the production settings, pointed at this test's services; the
    processes a test starts are stopped before its database is emptied."""
    (tmp_path / "service_settings.py").write_text(SERVICE_SETTINGS)
    (tmp_path / "mail").mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTEST_XDIST_WORKER", "CELERY_RESULT_BACKEND", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="service_settings",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(BASE_DIR)]),
        SECRET_KEY=settings.SECRET_KEY,  # the sessions the test signs are the server's
        ALLOWED_HOSTS="localhost,127.0.0.1",
        DATABASE_URL=_test_database_url(),
        CACHE_URL=redis_server.url(1).replace("redis://", "rediscache://"),
        CELERY_BROKER_URL=redis_server.url(0),
        EMAIL_URL=f"filemail:///{tmp_path / 'mail'}",  # an absolute path after the ///
        OKIENKO_VAR_DIR=str(tmp_path / "var"),
        LOG_LEVEL="WARNING",
    )
    services = Services(redis_server, tmp_path, env)
    try:
        yield services
    finally:
        services.stop_all()
