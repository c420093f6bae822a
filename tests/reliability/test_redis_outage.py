"""Redis (cache and broker) killed under a running portal: pages keep answering 200, a
customer can still file a request whose notices wait in the outbox, and once Redis is
back those notices go out with no process restarted.

gunicorn, a Celery worker and beat run with the production settings against this test's
PostgreSQL database and a private redis-server, used as the cache (sessions are
`cached_db`, the page cache is on) and the broker. Redis is killed with SIGKILL and
started again empty, as a crashed node comes back.
"""

import http.client
import json
import re
import statistics
import time
from datetime import time as clock
from urllib.parse import urlencode

import pytest
from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse

from notifications.models import Delivery
from servicedesk.models import Request, Team, WorkingCalendar
from tests.factories import MembershipFactory, ServicePointFactory, UserFactory, complaint_type

from .conftest import SHARES_THE_DATABASE, free_port, mailed_keys, wait_for
from .test_worker_faults import record

pytestmark = SHARES_THE_DATABASE

OUTAGE_SECONDS = 3.0
SLOWEST_WHILE_DOWN = 1.0
"""Seconds; a page served while Redis is down takes a few hundred milliseconds here."""
SESSION_COOKIE = "__Host-sessionid"  # the production settings' names
CSRF_COOKIE = "__Host-csrftoken"
HOST = "localhost"


class Answer:
    def __init__(self, status: int, seconds: float, headers: dict, body: str):
        self.status, self.seconds, self.headers, self.body = status, seconds, headers, body


def fetch(port: int, path: str, cookies: dict | None = None, form: dict | None = None) -> Answer:
    """One request as the proxy in front sends it (HTTPS said in X-Forwarded-Proto)."""
    headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers |= {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}{path}",
        }
    started = time.monotonic()
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request("POST" if form is not None else "GET", path, body=body, headers=headers)
        response = client.getresponse()
        text = response.read().decode(errors="replace")
        answer_headers = response.getheaders()
    except OSError as error:
        return Answer(0, time.monotonic() - started, {}, repr(error))
    finally:
        client.close()
    return Answer(response.status, time.monotonic() - started, dict(answer_headers), text)


def signed_in(user) -> str:
    """A session key, signed in the way the login view does it (stored in the database)."""
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    request.user, request.session = AnonymousUser(), SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    return request.session.session_key


def csrf_of(answer: Answer) -> tuple[str, str]:
    """The CSRF cookie the form page set and the token in its form."""
    cookie = re.search(rf"{CSRF_COOKIE}=([^;]+)", answer.headers.get("Set-Cookie", ""))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.body)
    assert answer.status == 200 and cookie and token, (answer.status, answer.body[:2000])
    return cookie.group(1), token.group(1)


@pytest.fixture
def filer(home_page):
    """An owner of a customer who may file a complaint, and the desk that gets it."""
    calendar = WorkingCalendar.objects.create(name="BOK", opens_at=clock(8), closes_at=clock(16))
    desk = UserFactory(email="biuro@example.pl", is_staff=True)
    group = Group.objects.create(name="Reklamacje")
    group.user_set.add(desk)
    complaint = complaint_type(team=Team.objects.create(group=group, lead=desk), calendar=calendar)
    owner = MembershipFactory(role="owner")
    point = ServicePointFactory(customer=owner.customer)
    return owner.user, point, reverse("servicedesk:file", kwargs={"slug": complaint.slug})


def test_pages_and_writes_survive_a_redis_outage_and_notices_leave_once_it_is_back(services, filer):
    user, point, file_path = filer
    session = {SESSION_COOKIE: signed_in(user)}
    port = free_port()
    web = services.web(port)
    worker = services.worker("worker")
    beat = services.beat(OUTBOX_FLUSH_SECONDS="1")
    services.ready(worker)
    wait_for(lambda: fetch(port, "/healthz/").status == 200, 90, "gunicorn", 0.2)
    assert web.popen.poll() is None

    home, dashboard = "/", reverse("customer:dashboard")
    for path, cookies in ((home, None), (dashboard, session), (file_path, session)):
        warm = fetch(port, path, cookies)
        assert warm.status == 200, (path, warm.status, warm.body[:2000])
    healthy = [fetch(port, dashboard, session).seconds for _ in range(5)]
    home_healthy = [fetch(port, home).seconds for _ in range(5)]
    gunicorn_workers = web.children()

    services.redis.stop()
    stopped = time.monotonic()
    answers: list[tuple[str, Answer]] = []
    while time.monotonic() - stopped < OUTAGE_SECONDS:
        answers.append(("home", fetch(port, home)))
        answers.append(("dashboard", fetch(port, dashboard, session)))
    form_page = fetch(port, file_path, session)
    answers.append(("request form", form_page))
    cookie, token = csrf_of(form_page)
    filed = fetch(
        port,
        file_path,
        {**session, CSRF_COOKIE: cookie},
        {
            "csrfmiddlewaretoken": token,
            "invoice": "FV/2026/11/7",
            "what": "Kwota jest za wysoka.",
            "reason": "Za wysoka kwota",
            "point": str(point.public_id),
        },
    )
    answers.append(("file a request", filed))
    health = fetch(port, "/healthz/")
    down_for = time.monotonic() - stopped

    request = Request.objects.get()
    notices = Delivery.objects.filter(key__startswith=f"request-filed:{request.pk}:") | (
        Delivery.objects.filter(to="biuro@example.pl")
    )
    waiting = sorted(notices.values_list("status", flat=True))
    time.sleep(1)  # beat's sweeps meanwhile find no broker either
    still_waiting = notices.filter(status="pending").count()

    services.redis.start()
    restarted = time.monotonic()
    wait_for(lambda: not notices.exclude(status="sent").exists(), 90, "the notices to go", 0.2)
    delivered_after = time.monotonic() - restarted
    after = fetch(port, dashboard, session)
    mailed = mailed_keys(services.mail)

    during = [answer for _, answer in answers]
    figures = {
        "redis down (s)": round(down_for, 1),
        "requests while down": len(during),
        "statuses while down": {
            name: sorted({answer.status for kind, answer in answers if kind == name})
            for name in dict(answers)
        },
        "dashboard median ms, redis up": round(1000 * statistics.median(healthy), 1),
        "home median ms, redis up (page cache)": round(1000 * statistics.median(home_healthy), 1),
        "dashboard median ms, redis down": round(
            1000 * statistics.median(a.seconds for k, a in answers if k == "dashboard"), 1
        ),
        "home median ms, redis down": round(
            1000 * statistics.median(a.seconds for k, a in answers if k == "home"), 1
        ),
        "slowest ms, redis down": round(1000 * max(a.seconds for a in during), 1),
        "filing a request ms, redis down": round(1000 * filed.seconds, 1),
        "/healthz/ while down": health.status,
        "notices written while down": len(waiting),
        "their status while down": waiting,
        "seconds from redis back to all sent (beat sweeps every 1 s)": round(delivered_after, 1),
        "processes restarted": sum(p.popen.poll() is not None for p in services.processes)
        + len(set(gunicorn_workers) - set(web.children())),
    }
    record("redis outage", figures)
    print("\nfigures:", json.dumps(figures, ensure_ascii=False, indent=1))

    assert all(answer.status == 200 for kind, answer in answers if kind != "file a request"), [
        (kind, answer.status, answer.body[:300]) for kind, answer in answers if answer.status != 200
    ]
    assert filed.status == 302, filed.body[:3000]
    assert filed.headers["Location"] == reverse(
        "servicedesk:request", kwargs={"request_id": request.public_id}
    )
    assert len(waiting) == 2 and set(waiting) == {"pending"}
    assert still_waiting == 2, "nothing could send them while Redis was down"
    assert max(answer.seconds for answer in during) < SLOWEST_WHILE_DOWN
    assert health.status == 200 and json.loads(health.body)["cache"] == "error"
    assert after.status == 200
    assert sorted(mailed) == sorted(notices.values_list("key", flat=True))
    assert set(mailed.values()) == {1}
    assert all(process.popen.poll() is None for process in (web, worker, beat))
    assert web.children() == gunicorn_workers, "gunicorn restarted none of its workers"
