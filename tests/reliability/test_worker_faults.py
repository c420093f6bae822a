"""Processes killed with SIGKILL while notices go out: nothing is lost, and only the few
messages a kill caught between the mail server's answer and their record go twice.

An announcement to 10 000 users is fanned out and delivered by two Celery workers (the
production settings, a private redis-server as broker); halfway through the sending one
worker is killed whole (main process and pool: its tasks come back when their visibility
timeout passes) and the pool process of the other (its task is handed back at once), and
a new worker is started. Then a process that writes outbox rows is killed after its commit
and before it publishes their tasks: the beat's sweeper (`flush_outbox`) sends those rows.

What counts is what the mail server took: the file backend writes each message with its
outbox key, and the keys are counted.
"""

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from announcements.models import AnnouncementIndexPage, AnnouncementPage, Audience, Severity
from customers.models import Customer, Membership, Segment, User
from notifications.models import Delivery
from notifications.tasks import SEND_CHUNK

from .conftest import BASE_DIR, SHARES_THE_DATABASE, mailed_keys, wait_for

pytestmark = SHARES_THE_DATABASE

RECIPIENTS = 10_000
KILL_AT = 0.3
"""Share of the notices sent when the workers are killed."""
VISIBILITY_TIMEOUT = 5
"""Seconds before the broker hands a dead worker's unacknowledged tasks to another."""
KILLED = 2
"""Processes killed while sending: one worker whole, the pool process of the other."""
RESENT_PER_KILL = 10
"""Messages that may go twice per killed sender: those in its interrupted transaction."""
ARTIFACT = BASE_DIR / "artifacts" / "faults-worker.txt"


def record(section: str, figures: dict) -> None:
    """Put the figures of one test in the artifact, one JSON line per test, replacing the
    line of its last run (locked: tests in parallel processes share the file)."""
    ARTIFACT.parent.mkdir(exist_ok=True)
    with ARTIFACT.open("a+") as artifact:
        fcntl.flock(artifact, fcntl.LOCK_EX)
        artifact.seek(0)
        kept = [line for line in artifact if json.loads(line)["test"] != section]
        artifact.seek(0)
        artifact.truncate()
        artifact.writelines([*kept, json.dumps({"test": section, **figures}) + "\n"])


def audience(count: int) -> Segment:
    """A segment of `count` customers with one owner each, made in bulk."""
    segment = Segment.objects.create(
        code="fault-audience", group=Group.objects.create(name="Fault audience")
    )
    password = make_password(None)
    with transaction.atomic():
        customers = Customer.objects.bulk_create(
            Customer(
                number=f"FAULT-{n:06d}",
                external_id=f"FAULT-{n:06d}",
                name=f"Odbiorca {n}",
                billing_street="ul. Polna 1",
                billing_postal_code="00-950",
                billing_city="Warszawa",
            )
            for n in range(count)
        )
        users = User.objects.bulk_create(
            User(email=f"odbiorca{n:06d}@example.pl", password=password, last_name=f"O{n}")
            for n in range(count)
        )
        Membership.objects.bulk_create(
            Membership(customer=customer, user=user, role="owner")
            for customer, user in zip(customers, users, strict=True)
        )
        Customer.segments.through.objects.bulk_create(
            Customer.segments.through(customer_id=customer.pk, segment=segment)
            for customer in customers
        )
    return segment


def live_announcement(home_page, segment: Segment) -> AnnouncementPage:
    """A live announcement by e-mail to the segment; publishing it would hand the
    fan-out task to the broker after the commit, which the test does itself."""
    board = AnnouncementIndexPage(title="Komunikaty", slug="komunikaty")
    home_page.add_child(instance=board)
    page = AnnouncementPage(
        title="Planowane prace w sieci",
        slug="prace",
        live=True,
        severity=Severity.IMPORTANT,
        audience=Audience.SEGMENTS,
        valid_from=timezone.now() - timedelta(minutes=1),
        send_email=True,
    )
    page.segments = [segment]
    board.add_child(instance=page)
    return page


def test_workers_killed_mid_fan_out_send_every_notice_exactly_once(services, home_page):
    env = {
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_UNACKED_RESTORE_SECONDS": "1",
    }
    first, second = services.worker("first", **env), services.worker("second", **env)
    segment = audience(RECIPIENTS)  # while the workers start
    page = live_announcement(home_page, segment)
    rows = Delivery.objects.filter(key__startswith=f"announcement:{page.pk}:")
    services.ready(first, second)

    started = time.monotonic()
    services.send("announcements.tasks.fan_out_announcement", page.pk)
    # Killed while sending, once every notice is written: a kill while the fan-out writes
    # is the publisher's fault, which the next test covers.
    wait_for(lambda: rows.count() == RECIPIENTS, 120, "the fan-out to write every notice")
    wait_for(
        lambda: rows.filter(status="sent").count() >= RECIPIENTS * KILL_AT,
        120,
        "the workers to send some",
        interval=0.02,
    )
    pools = second.children()
    assert len(pools) == 1, "one pool process"
    first.kill()
    os.kill(pools[0], signal.SIGKILL)
    killed_at = time.monotonic()
    sent_at_kill = len(mailed_keys(services.mail))
    assert sent_at_kill < RECIPIENTS, "the kill came after the end"
    third = services.worker("third", **env)

    wait_for(
        lambda: not rows.exclude(status="sent").exists(),
        120,
        "every notice to be sent",
        0.5,
        lambda: dict(rows.values_list("status").annotate(n=Count("pk")).order_by()),
    )
    finished = time.monotonic()
    # Whatever a late redelivery would still send arrives now or never.
    time.sleep(1)
    mailed = mailed_keys(services.mail)
    keys = set(rows.values_list("key", flat=True))
    duplicates = {key: count for key, count in mailed.items() if count > 1}
    figures = {
        "recipients": RECIPIENTS,
        "notices written": len(keys),
        "sent before the kill": sent_at_kill,
        "messages mailed": sum(mailed.values()),
        "distinct keys mailed": len(mailed),
        "lost": len(keys - set(mailed)),
        "mailed twice or more": len(duplicates),
        "unknown keys": len(set(mailed) - keys),
        "rows per send transaction": SEND_CHUNK,
        "seconds to all sent": round(finished - started, 1),
        "seconds from kill to all sent": round(finished - killed_at, 1),
        "third worker took tasks": "Task " in third.log.read_text(),
    }
    record("workers killed mid fan-out", figures)
    print("\nfigures:", json.dumps(figures, ensure_ascii=False, indent=1))

    assert len(keys) == RECIPIENTS
    assert set(mailed) == keys, f"lost: {len(keys - set(mailed))}"
    # A message the mail server took just before the kill, whose record the kill rolled
    # back, goes again: no outbox can know it left. Only those, once more each.
    assert len(duplicates) <= KILLED * RESENT_PER_KILL, sorted(duplicates.items())[:20]
    assert set(duplicates.values()) <= {2}


PUBLISHER = """
import os, sys, time
import django

django.setup()

from django.db import transaction
from django.utils import timezone

from notifications.models import Delivery
from notifications.services import queue_many


def rows(first, count):
    now = timezone.now()
    return [
        Delivery(
            key=f"outbox-kill:{n}:email",
            channel="email",
            category="announcements",
            to=f"adresat{n}@example.pl",
            subject="Komunikat",
            body="Treść komunikatu.",
            not_before=now,
        )
        for n in range(first, first + count)
    ]


published, unpublished = int(sys.argv[1]), int(sys.argv[2])
with transaction.atomic():
    queue_many(rows(0, published))


def committed():
    # Registered before queue_many's publishing: runs first after the commit and waits
    # here for the kill, so none of this transaction's tasks reaches the broker.
    open(os.environ["COMMITTED_MARK"], "w").close()
    time.sleep(120)


with transaction.atomic():
    transaction.on_commit(committed)
    queue_many(rows(published, unpublished))
"""


def test_rows_committed_by_a_publisher_killed_before_publishing_are_sent_by_the_sweeper(
    services, tmp_path
):
    published, unpublished = 500, 1500
    worker = services.worker("worker")
    services.ready(worker)
    mark = tmp_path / "committed"
    publisher = subprocess.Popen(  # noqa: S603 - our interpreter
        [sys.executable, "-c", PUBLISHER, str(published), str(unpublished)],
        env={**services.env, "COMMITTED_MARK": str(mark)},
        cwd=BASE_DIR,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: mark.exists() or publisher.poll() is not None, 120, "the commit")
        assert publisher.poll() is None, publisher.stderr.read().decode()[-3000:]
        publisher.kill()
        killed_at = time.monotonic()
        publisher.wait(timeout=30)
    finally:
        if publisher.poll() is None:
            publisher.kill()
        publisher.stderr.close()
    assert publisher.returncode == -signal.SIGKILL

    rows = Delivery.objects.filter(key__startswith="outbox-kill:")
    assert rows.count() == published + unpublished, "both transactions committed"
    wait_for(lambda: rows.filter(status="sent").count() == published, 60, "the published rows")
    time.sleep(1)  # the worker is idle: nothing else was handed to it
    assert rows.filter(status="sent").count() == published
    assert len(mailed_keys(services.mail)) == published

    # The beat's next sweep, twice: the second finds nothing more to send.
    services.send("notifications.tasks.flush_outbox")
    wait_for(lambda: not rows.exclude(status="sent").exists(), 60, "the sweeper", 0.2)
    swept_at = time.monotonic()
    services.send("notifications.tasks.flush_outbox")

    def sweeps() -> list[int]:
        """What each sweep handed out, from the worker's log of task results."""
        found = re.findall(
            r"flush_outbox\[[^]]+\] succeeded in [\d.]+s: (\d+)", worker.log.read_text()
        )
        return [int(count) for count in found]

    handed_out = wait_for(lambda: len(sweeps()) == 2 and sweeps(), 30, "the second sweep")
    time.sleep(0.5)
    mailed = mailed_keys(services.mail)
    keys = set(rows.values_list("key", flat=True))
    figures = {
        "rows committed": len(keys),
        "published before the kill": published,
        "left unpublished by the kill": unpublished,
        "distinct keys mailed": len(mailed),
        "lost": len(keys - set(mailed)),
        "mailed twice or more": sum(count > 1 for count in mailed.values()),
        "rows each sweep handed out": handed_out,
        "seconds from kill to all sent (one idle second, then a sweep)": round(
            swept_at - killed_at, 1
        ),
    }
    record("publisher killed after commit", figures)
    print("\nfigures:", json.dumps(figures, ensure_ascii=False, indent=1))
    assert handed_out == [unpublished, 0]
    assert set(mailed) == keys
    assert max(mailed.values()) == 1
