"""PostgreSQL stopped under load and started again: while it is away the portal answers a
clean 503 page (Retry-After, no error details), never a 500; once it is back the same
gunicorn workers serve every request again, with no restart.

The test runs its own PostgreSQL cluster (initdb in a temporary folder, a free port) and
stops that one with `pg_ctl stop -m immediate`, as a crash or a failover does; the shared
server is never touched. The portal is a real gunicorn with the production settings and
their persistent connections (CONN_MAX_AGE, CONN_HEALTH_CHECKS), under load from threads
that ask for the public home page and a signed-in customer's dashboard. A second restart
while the portal is idle leaves each worker a connection to nowhere: the health check must
replace it before the next request uses it.

The home page may still come from the page cache while the database is away (a shared
cache only): that is a 200 the database had no part in, and it must say so (X-Page-Cache).
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import translation
from django.utils.translation import gettext

from config.views import server_error

from .conftest import BASE_DIR, SERVICE_SETTINGS, free_port

PG_BIN = next(
    (
        path
        for path in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
        if (path / "pg_ctl").exists()
    ),
    None,
)
# initdb and postgres refuse to run as root.
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

needs_postgresql_programs = pytest.mark.skipif(
    PG_BIN is None or (AS_POSTGRES and shutil.which("runuser") is None),
    reason="needs PostgreSQL's server programs (initdb, pg_ctl) to run a private cluster",
)

LOAD_BEFORE_SECONDS = 2.0
OUTAGE_SECONDS = 3.0
LOAD_AFTER_SECONDS = 3.0
# The 503 page must not tell how the portal is built or where its database is.
DETAILS = ("Traceback", "psycopg", "OperationalError", "InterfaceError", "postgres", "5432")

# Run in a process with the portal's settings: tables straight from the models (as
# pytest-django's --nomigrations does; the migrations take far longer and are checked
# elsewhere), Wagtail's root rows, a home page, a customer with an invoice, and a session
# signed in the way the login view does it.
SEED = """
import json
import django

django.setup()

from django.conf import settings
from django.db import OperationalError
from django.core.management import call_command


class NoMigrations(dict):
    def __contains__(self, app):
        return True

    def __getitem__(self, app):
        return None


settings.MIGRATION_MODULES = NoMigrations()
call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)

from django.urls import reverse
from wagtail.models import Collection, Locale, Page, Site

from bench.targets import sign_in
from tests.factories import (
    CompanySettingsFactory, HomePageFactory, InvoiceFactory, MembershipFactory,
)

locale = Locale.objects.create(language_code=settings.LANGUAGE_CODE)
root = Page.add_root(title="Root", locale=locale)
Collection.add_root(name="Root")
home = HomePageFactory(parent=root)
site = Site.objects.create(hostname="localhost", port=80, is_default_site=True, root_page=home)
CompanySettingsFactory(site=site)
owner = MembershipFactory(role="owner")
InvoiceFactory(customer=owner.customer)
request = sign_in(owner.user)
print(json.dumps({
    "cookie": f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}",
    "home": home.get_url(),
    "account": reverse("customer:dashboard"),
}))
"""


class PrivateCluster:
    """A PostgreSQL cluster of this test's own, in a temporary folder, on a free port."""

    def __init__(self):
        memory = Path("/dev/shm")  # noqa: S108 - a cluster that lives seconds needs no disk
        self.root = Path(
            tempfile.mkdtemp(prefix="okienko-outage-pg-", dir=memory if memory.is_dir() else None)
        )
        self.data = self.root / "data"
        self.port = free_port()
        if AS_POSTGRES:
            shutil.chown(self.root, "postgres", "postgres")
        self._pg(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def _pg(self, program: str, *arguments: str) -> None:
        subprocess.run(  # noqa: S603 - PostgreSQL's own programs
            [*AS_POSTGRES, str(PG_BIN / program), *arguments],
            check=True,
            capture_output=True,
            cwd=self.root,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c dynamic_shared_memory_type=mmap"
        )
        log = str(self.root / "server.log")
        self._pg("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def libpq(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        subprocess.run(  # noqa: S603
            [*AS_POSTGRES, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster():
    cluster = PrivateCluster()
    try:
        cluster.start()
        with psycopg.connect(cluster.libpq("postgres"), autocommit=True) as connection:
            connection.execute("CREATE DATABASE okienko")
        yield cluster
    finally:
        cluster.remove()


def shared_cache_url() -> str:
    """This test process's Redis database when the suite runs on Redis (the page cache is on
    only with a shared cache); otherwise a per-process cache, and no page cache."""
    location = settings.CACHES["default"].get("LOCATION", "")
    if isinstance(location, str) and location.startswith("redis://"):
        return "rediscache://" + location.removeprefix("redis://")
    return "locmemcache://okienko-outage"


@pytest.fixture
def portal(cluster, tmp_path):
    """Gunicorn (two sync workers) with the production settings on the private cluster."""
    (tmp_path / "outage_settings.py").write_text(SERVICE_SETTINGS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "outage_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(BASE_DIR)]),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": cluster.url("okienko"),
        "CACHE_URL": shared_cache_url(),
        "CELERY_BROKER_URL": "memory://",
        "OKIENKO_VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
    }
    # The workers start while the database is filled: they touch it only when asked.
    seeding = subprocess.Popen(  # noqa: S603 - our interpreter
        [sys.executable, "-c", SEED],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603 - our interpreter and gunicorn
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        seeded, errors = seeding.communicate(timeout=180)
        assert seeding.returncode == 0, errors[-3000:]
        paths = json.loads(seeded.strip().splitlines()[-1])
        deadline = time.monotonic() + 60
        while fetch(port, "/healthz/").status != 200:
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz/"
            time.sleep(0.2)
        yield Portal(port=port, process=server, log=log, **paths)
    finally:
        if seeding.poll() is None:
            seeding.kill()
        # Quick shutdown; the workers are gone within a second, the master may linger.
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=3)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class Portal:
    port: int
    process: subprocess.Popen
    log: Path
    cookie: str
    home: str
    account: str

    def workers(self) -> set[int]:
        """The master's children: the same set before and after means no worker restarted."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}


@dataclass
class Answer:
    kind: str
    language: str
    started: float
    ended: float
    status: int
    headers: dict = field(default_factory=dict)
    body: str = ""


def fetch(port: int, path: str, headers: dict | None = None) -> Answer:
    """One GET as the proxy in front sends it (HTTPS said in X-Forwarded-Proto)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("GET", path, headers={"X-Forwarded-Proto": "https", **(headers or {})})
        response = connection.getresponse()
        body = response.read()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        status = response.status
    except OSError as error:
        return Answer("", "", started, time.monotonic(), 0, body=repr(error))
    finally:
        connection.close()
    text = body.decode(errors="replace") if status != 200 else ""
    return Answer("", "", started, time.monotonic(), status, answer_headers, text)


def load(portal: Portal, kind: str, language: str, stop: threading.Event, answers: list):
    path, headers = portal.home, {"Accept-Language": language}
    if kind == "signed-in":
        path, headers["Cookie"] = portal.account, portal.cookie
    while not stop.is_set():
        answer = fetch(portal.port, path, headers)
        answer.kind, answer.language = kind, language
        answers.append(answer)
        if answer.status not in (200, 503):
            time.sleep(0.05)  # a failure fast enough to flood the record; one is enough


def portal_connections(cluster: PrivateCluster) -> int:
    """Connections the portal's workers hold to their database."""
    with psycopg.connect(cluster.libpq("postgres"), autocommit=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = 'okienko' AND backend_type = 'client backend'"
        ).fetchone()[0]


def wait_for_answers(answers: list, counts, seconds: float, least: int = 3) -> None:
    """At least `seconds`, and until each kind of request has `least` answers that `counts`
    (a busy machine may be slow to give them), for at most a minute."""
    began = time.monotonic()
    while time.monotonic() - began < 60:
        done = Counter(a.kind for a in list(answers) if a.ended > began and counts(a))
        if time.monotonic() - began >= seconds and len(done) == 2 and min(done.values()) >= least:
            return
        time.sleep(0.1)
    pytest.fail(f"too few answers in a minute: {dict(done)}")


def expected_text(language: str) -> str:
    with translation.override(language):
        return gettext("Service temporarily unavailable")


def clean_503(answer: Answer) -> bool:
    """The 503 page: in the visitor's language, with Retry-After, kept by no cache, and
    with nothing about what failed inside."""
    return (
        answer.status == 503
        and answer.headers.get("content-type", "").startswith("text/html")
        and answer.headers.get("retry-after", "").isdigit()
        and int(answer.headers["retry-after"]) > 0
        and "no-store" in answer.headers.get("cache-control", "")
        and f'lang="{answer.language}"' in answer.body
        and expected_text(answer.language) in answer.body
        and not any(detail in answer.body for detail in DETAILS)
    )


@needs_postgresql_programs
def test_the_portal_answers_503_while_postgresql_is_down_and_recovers_without_restart(
    cluster, portal
):
    for path, headers in ((portal.home, {}), (portal.account, {"Cookie": portal.cookie})):
        warm = fetch(portal.port, path, headers)  # the home page enters the page cache
        assert warm.status == 200, warm.body[:2000]
    workers = portal.workers()
    assert len(workers) == 2

    answers: list[Answer] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=load, args=(portal, kind, language, stop, answers))
        for kind, language in (
            ("anonymous", "pl"),
            ("signed-in", "pl"),
            ("signed-in", "en"),
        )
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for_answers(answers, lambda a: True, LOAD_BEFORE_SECONDS)
        stopping = time.monotonic()
        cluster.stop("immediate")
        stopped = time.monotonic()
        wait_for_answers(answers, lambda a: a.started >= stopped, OUTAGE_SECONDS)
        starting = time.monotonic()
        cluster.start()
        started = time.monotonic()
        wait_for_answers(answers, lambda a: a.started >= started, LOAD_AFTER_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    # A restart while the portal is idle: each worker holds a connection that no longer
    # leads anywhere; the health check at the next request notices and connects again.
    signed_in = {"Cookie": portal.cookie, "Accept-Language": "pl"}
    for _ in range(20):
        if portal_connections(cluster) >= 2:
            break
        fetch(portal.port, portal.account, signed_in)
    held = portal_connections(cluster)
    cluster.stop("immediate")
    cluster.start()
    idle = [fetch(portal.port, portal.account, signed_in).status for _ in range(6)]

    def phase(answer: Answer) -> str:
        if answer.ended < stopping:
            return "before"
        if answer.started >= stopped and answer.ended <= starting:
            return "during"
        if answer.started >= started:
            return "after"
        return "between"

    phases = ("before", "during", "between", "after")
    counts = Counter((phase(a), a.kind, a.status) for a in answers)
    first_back = min(
        (
            a.ended
            for a in answers
            if a.kind == "signed-in" and a.status == 200 and a.started >= starting
        ),
        default=None,
    )
    figures = {
        "outage_seconds": round(started - stopping, 2),
        "postgresql_down_seconds": round(starting - stopped, 2),
        "restart_seconds": round(started - starting, 2),
        "first_signed_in_200_after_ready_seconds": (
            round(max(0.0, first_back - started), 3) if first_back else None
        ),
        "page_cache": shared_cache_url().startswith("rediscache"),
        "idle_restart": {"connections_held": held, "statuses_after": idle},
        "requests": {
            f"{name} {kind} {status}": count
            for (name, kind, status), count in sorted(
                counts.items(), key=lambda item: (phases.index(item[0][0]), item[0][1:])
            )
        },
    }
    print("\nfigures:", json.dumps(figures, indent=1))

    unexpected = [a for a in answers if a.status not in (200, 503)]
    assert not unexpected, [(a.kind, a.status, a.body[:300]) for a in unexpected[:5]]
    dirty = [a for a in answers if a.status == 503 and not clean_503(a)]
    assert not dirty, [(a.kind, a.headers, a.body[:1500]) for a in dirty[:2]]

    by_phase = {name: [a for a in answers if phase(a) == name] for name in phases}
    for kind in ("anonymous", "signed-in"):
        before = [a.status for a in by_phase["before"] if a.kind == kind]
        assert before and set(before) == {200}, (kind, before)
        after = [a.status for a in by_phase["after"] if a.kind == kind]
        assert len(after) >= 3 and set(after) == {200}, (kind, after)
    # With the database away a signed-in page cannot be served: every one is the 503 page.
    during = [a.status for a in by_phase["during"] if a.kind == "signed-in"]
    assert len(during) >= 3 and set(during) == {503}, during
    # A stranger's page during the outage is the 503 page or one the page cache kept.
    for answer in by_phase["during"]:
        if answer.kind == "anonymous" and answer.status == 200:
            assert answer.headers.get("x-page-cache") == "hit"
    assert first_back is not None
    assert held == 2
    assert idle == [200] * 6

    assert portal.process.poll() is None
    assert portal.workers() == workers, "a gunicorn worker was restarted"


def answer_to(request, error: Exception):
    """What the portal answers when handling `request` raised `error`."""
    try:
        raise error
    except type(error):
        return server_error(request)


def test_the_api_gets_its_error_shape_and_other_failures_stay_500(rf):
    refused = OperationalError('connection to server at "10.1.2.3", port 5432 failed')
    api = answer_to(rf.get("/api/v1/invoices/"), refused)
    assert api.status_code == 503
    assert api["Retry-After"].isdigit()
    error = json.loads(api.content)["error"]
    assert error["code"] == "service_unavailable" and error["fields"] == {}
    assert "10.1.2.3" not in api.content.decode()

    page = answer_to(rf.get("/account/"), refused)
    assert page.status_code == 503 and "10.1.2.3" not in page.content.decode()
    assert answer_to(rf.get("/account/"), ValueError("a bug")).status_code == 500
