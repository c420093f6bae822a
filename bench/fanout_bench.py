"""An announcement published to N customers' users: how long until every notice is sent,
and how many broker messages it took.

    .venv/bin/python bench/fanout_bench.py --recipients 10000
    .venv/bin/python bench/fanout_bench.py --recipients 100000 --json var/bench/fanout.json

It publishes an announcement for a segment holding N customers (made here with
bulk_create on the first run, one owner each, and kept for the next runs) through the
portal's own publish path, with two Celery worker processes started here
(`celery -A config worker --concurrency 1`, twice) on a Redis broker, and the console
e-mail and SMS backends. It reports the time the publishing transaction took, the time
until every outbox row was written and until every row was sent, rows per second, the
tasks the workers received (every broker message the fan-out used), and the CPU time of
the workers and of PostgreSQL per row. Targets (100 000 recipients: all sent within
60 s, at most 1 000 broker messages) are reported, never enforced.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/okienko_fanout,
created and migrated here), CELERY_BROKER_URL (default redis://127.0.0.1:6379/11; its
queue is purged first), CACHE_URL (default rediscache://127.0.0.1:6379/10),
BENCH_WORK_DIR (default var/bench; worker logs go to <dir>/fanout/).
"""

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    "DEBUG": "0",  # Django would keep every query of the workers in memory
    "LOG_LEVEL": "WARNING",
    "CONN_MAX_AGE": "60",  # as in production; and PostgreSQL's CPU is measurable
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/okienko_fanout",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/11",
    "CACHE_URL": "rediscache://127.0.0.1:6379/10",
    "EMAIL_URL": "consolemail://",
    "SMS_BACKEND": "notifications.sms.ConsoleSmsBackend",
}
for name, default in ENVIRONMENT.items():
    if name in ("DEBUG", "EMAIL_URL", "SMS_BACKEND", "DJANGO_SETTINGS_MODULE", "CONN_MAX_AGE"):
        os.environ[name] = default  # what is measured, whatever the shell says
    else:
        os.environ.setdefault(name, default)

from bench.run import DatabaseBackends, cpu_delta, cpu_seconds, ensure_database  # noqa: E402

SEGMENT = "fanout-bench"
EMAIL_DOMAIN = "fanout.example.pl"
TARGET_SECONDS = 60
TARGET_MESSAGES = 1000
TARGET_RECIPIENTS = 100_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="users told (10000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument(
        "--outage",
        action="store_true",
        help="an outage by e-mail and SMS (SMS in the quiet hours wait for 8:00 and are "
        "reported as held) instead of an announcement by e-mail",
    )
    parser.add_argument("--timeout", type=float, default=900, help="give up after (s)")
    parser.add_argument("--keep", action="store_true", help="keep the page and its rows")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args()


def manage(*arguments: str) -> None:
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(BASE_DIR / "manage.py"), *arguments], cwd=BASE_DIR, check=True
    )


# --- the audience -------------------------------------------------------------------------


def ensure_audience(count: int):
    """A segment of exactly `count` customers with one active owner each: the first
    `count` of this benchmark's customers, made in bulk when there are fewer and kept for
    the next runs. Returns the segment."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from customers.models import Customer, Membership, Segment, User

    group, _ = Group.objects.get_or_create(name="Fan-out benchmark")
    segment, _ = Segment.objects.get_or_create(code=SEGMENT, defaults={"group": group})
    ours = Customer.objects.filter(number__startswith="FANOUT-")
    have = ours.count()
    if have < count:
        print(f"Creating {count - have} customers with an owner each", flush=True)
        started = time.monotonic()
        for first in range(have, count, 5000):
            numbers = range(first, min(first + 5000, count))
            with transaction.atomic():
                customers = Customer.objects.bulk_create(
                    Customer(
                        number=f"FANOUT-{n:07d}",
                        external_id=f"FANOUT-{n:07d}",
                        name=f"Odbiorca {n}",
                        billing_street="ul. Polna 1",
                        billing_postal_code="00-950",
                        billing_city="Warszawa",
                    )
                    for n in numbers
                )
                users = User.objects.bulk_create(
                    User(
                        email=f"odbiorca{n:07d}@{EMAIL_DOMAIN}",
                        password=make_password(None),  # unusable: these never sign in
                        first_name="Jan",
                        last_name=f"Odbiorca {n}",
                        mobile_phone=f"+48 600 {n // 1000 % 1000:03d} {n % 1000:03d}",
                    )
                    for n in numbers
                )
                Membership.objects.bulk_create(
                    Membership(customer=customer, user=user, role="owner")
                    for customer, user in zip(customers, users, strict=True)
                )
        print(f"  done in {time.monotonic() - started:.1f} s", flush=True)
    through = Customer.segments.through
    with transaction.atomic():
        through.objects.filter(segment=segment).delete()
        through.objects.bulk_create(
            (
                through(customer_id=pk, segment=segment)
                for pk in ours.order_by("number").values_list("pk", flat=True)[:count]
            ),
            batch_size=5000,
        )
    return segment


def board():
    """An announcement board to publish under (the first one, or a new one at the root)."""
    from wagtail.models import Page, Site

    from announcements.models import AnnouncementIndexPage

    existing = AnnouncementIndexPage.objects.first()
    if existing:
        return existing
    site = Site.objects.filter(is_default_site=True).first()
    parent = site.root_page if site else Page.get_first_root_node()
    index = AnnouncementIndexPage(title="Komunikaty", slug="komunikaty-fanout")
    parent.add_child(instance=index)
    index.save_revision().publish()
    return index


def draft(parent, segment, outage: bool):
    from django.utils import timezone

    from announcements.models import AnnouncementPage, Audience, Severity

    stamp = secrets.token_hex(4)
    page = AnnouncementPage(
        title=f"Benchmark {stamp}: planowane prace",
        slug=f"fanout-{stamp}",
        live=False,
        severity=Severity.OUTAGE if outage else Severity.IMPORTANT,
        audience=Audience.SEGMENTS,
        valid_from=timezone.now() - timedelta(minutes=1),
        send_email=True,
        send_sms=outage,
    )
    page.segments = [segment]
    parent.add_child(instance=page)
    return page


def expected_rows(page) -> tuple[int, int]:
    """(rows that may leave now, rows held for the quiet hours) the publication must write:
    each user's accepted channels with an address, read in bulk."""
    from django.utils import timezone

    from announcements.audience import users_for
    from notifications.models import Category, Channel
    from notifications.services import channels_for_users, earliest_send

    category = Category.OUTAGES if page.is_outage else Category.ANNOUNCEMENTS
    now = timezone.now()
    held = {channel: earliest_send(channel, now) > now for channel in page.channels}
    due = later = 0
    users = list(users_for(page).only("pk", "email", "mobile_phone"))
    for start in range(0, len(users), 5000):
        batch = users[start : start + 5000]
        chosen = channels_for_users(batch, category)
        for user in batch:
            for channel in chosen[user.pk] & page.channels:
                if user.email if channel == Channel.EMAIL else user.mobile_phone:
                    if held[channel]:
                        later += 1
                    else:
                        due += 1
    return due, later


# --- workers ------------------------------------------------------------------------------


def start_workers(count: int, log_dir: Path) -> list[subprocess.Popen]:
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = []
    for number in range(1, count + 1):
        log = (log_dir / f"worker-{number}.log").open("w")
        workers.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and celery
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--concurrency",
                    "1",
                    "--hostname",
                    f"fanout{number}-{os.getpid()}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def wait_for_workers(app, workers: list[subprocess.Popen], timeout: float = 120) -> None:
    names = {f"fanout{n}-{os.getpid()}" for n in range(1, len(workers) + 1)}
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if any(worker.poll() is not None for worker in workers):
            raise SystemExit("a worker exited at start; see its log")
        answered = {name.split("@")[0] for reply in app.control.ping(timeout=1) for name in reply}
        if names <= answered:
            return
    raise SystemExit(f"the workers did not answer within {timeout:.0f} s")


def worker_pids(workers: list[subprocess.Popen]) -> list[int]:
    """The workers and their pool processes."""
    from bench.run import all_pids, proc_stat

    parents = {worker.pid for worker in workers}
    children = [pid for pid in all_pids() if (stat := proc_stat(pid)) and int(stat[1]) in parents]
    return [*parents, *children]


def tasks_received(app) -> dict[str, int]:
    """Tasks each of our workers took from the broker since it started, by name."""
    totals: dict[str, int] = {}
    for name, stats in (app.control.inspect(timeout=3).stats() or {}).items():
        if name.startswith("fanout"):
            for task, count in stats.get("total", {}).items():
                totals[task] = totals.get(task, 0) + count
    return totals


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


# --- the run ------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    manage("migrate", "--noinput", "-v0")

    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Count, Q

    from config.celery import app
    from notifications.models import Delivery

    segment = ensure_audience(args.recipients)
    parent = board()
    app.control.purge()
    work_dir = Path(os.environ.get("BENCH_WORK_DIR", BASE_DIR / "var" / "bench"))
    workers = start_workers(args.workers, work_dir / "fanout")
    database = DatabaseBackends(os.environ["DATABASE_URL"])
    page = None
    try:
        wait_for_workers(app, workers)
        page = draft(parent, segment, args.outage)
        due, held = expected_rows(page)
        print(f"Publishing to {args.recipients} customers: {due} notices to send, {held} held")

        rows = Delivery.objects.filter(key__startswith=f"announcement:{page.pk}:")
        pids = worker_pids(workers)
        cpu_before = cpu_seconds(pids) | cpu_seconds(database.pids())
        started = time.monotonic()
        with transaction.atomic():
            page.save_revision().publish()
        published = time.monotonic() - started
        written_at = sent_at = None
        while time.monotonic() - started < args.timeout:
            counts = rows.aggregate(
                written=Count("pk"), sent=Count("pk", filter=Q(status=Delivery.Status.SENT))
            )
            written, sent = counts["written"], counts["sent"]
            now = time.monotonic() - started
            if written_at is None and written >= due + held:
                written_at = now
            if sent >= due:
                sent_at = now
                break
            if any(worker.poll() is not None for worker in workers):
                raise SystemExit("a worker died; see its log")
            time.sleep(0.5)
        cpu_after = cpu_seconds(worker_pids(workers)) | cpu_seconds(database.pids())
        received = tasks_received(app)
        failed = rows.exclude(status=Delivery.Status.SENT).filter(attempts__gt=0).count()
    finally:
        stop(workers)
        database.close()

    workers_cpu = cpu_delta(
        {pid: s for pid, s in cpu_before.items() if pid in pids},
        {pid: s for pid, s in cpu_after.items() if pid in pids},
    )
    total_cpu = cpu_delta(cpu_before, cpu_after)
    messages = sum(received.values())
    result = {
        "recipients": args.recipients,
        "workers": args.workers,
        "outage": args.outage,
        "rows_due": due,
        "rows_held": held,
        "publish_s": round(published, 3),
        "written_s": round(written_at, 2) if written_at is not None else None,
        "sent_s": round(sent_at, 2) if sent_at is not None else None,
        "rows_per_s": round(due / sent_at) if sent_at else None,
        "broker_messages": messages,
        "tasks": received,
        "failed_attempts": failed,
        "workers_cpu_s": round(workers_cpu, 1),
        "postgres_cpu_s": round(total_cpu - workers_cpu, 1),
        "cpu_ms_per_row": round(1000 * total_cpu / due, 3) if due else None,
    }
    print(report(result), flush=True)
    if not args.keep:
        # In SQL: the ORM's delete would send a signal (Wagtail's reference index) per row.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Delivery._meta.db_table} WHERE key LIKE %s",  # noqa: S608
                [f"announcement:{page.pk}:%"],
            )
            page.delete()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if sent_at is not None else 1


def report(result: dict) -> str:
    scale = result["recipients"] / TARGET_RECIPIENTS
    budget_s, budget_messages = TARGET_SECONDS * scale, math.ceil(TARGET_MESSAGES * scale)
    sent = result["sent_s"]
    lines = [
        "",
        "| recipients | rows | publish | all written | all sent | rows/s | broker messages |",
        "|---|---|---|---|---|---|---|",
        f"| {result['recipients']} | {result['rows_due']} (+{result['rows_held']} held) "
        f"| {result['publish_s']:.2f} s | {result['written_s']} s | {sent} s "
        f"| {result['rows_per_s']} | {result['broker_messages']} |",
        "",
        "tasks: " + ", ".join(f"{k.rsplit('.', 1)[-1]} {v}" for k, v in result["tasks"].items()),
        f"CPU: workers {result['workers_cpu_s']} s, PostgreSQL {result['postgres_cpu_s']} s, "
        f"{result['cpu_ms_per_row']} ms per row; failed attempts {result['failed_attempts']}",
        f"target, scaled to {result['recipients']} recipients: all sent within "
        f"{budget_s:.0f} s ({'met' if sent is not None and sent <= budget_s else 'MISSED'}), "
        f"at most {budget_messages} broker messages "
        f"({'met' if result['broker_messages'] <= budget_messages else 'MISSED'})",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
