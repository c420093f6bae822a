"""Soak: the portal under a fixed rate of mixed requests for a long while, with a Celery
worker delivering the notices the requests cause; fails on any error or on workers whose
memory keeps growing.

    make soak                        # SOAK_SECONDS=600 at SOAK_RATE=5 req/s
    SOAK_SECONDS=90 make soak        # what CI runs
    .venv/bin/python bench/soak.py --help

Uses the benchmark's database and data (smoke size, 2000 customers; see bench/run.py and
bench/README.md) and its gunicorn with the production settings. See bench/README.md.
"""

import argparse
import itertools
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import run as bench  # noqa: E402

MAX_GROWTH_PERCENT = 10.0
"""A worker whose resident memory grows more than this between the end of the warm-up and
the end of the soak is reported as leaking."""

MARKER = "soak"
"""The text of the requests the soak files, and the name of its tokens: how cleanup finds them."""

MIX = [
    ("home", 1),
    ("announcement", 1),
    ("dashboard", 2),
    ("invoices", 2),
    ("invoices_deep", 1),
    ("invoice_pdf", 1),
    ("statement", 1),
    ("meter", 1),
    ("api_invoices", 1),
    ("file_request", 1),
]
"""Scenarios and their weights: one cycle of 12 requests, one of them a write."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds",
        type=int,
        default=int(os.environ.get("SOAK_SECONDS", 600)),
        help="measured seconds after the warm-up (env SOAK_SECONDS; 600)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=float(os.environ.get("SOAK_RATE", 5)),
        help="requests per second, sent on schedule whatever the answers do (SOAK_RATE; 5)",
    )
    parser.add_argument("--warmup", type=int, help="seconds at the rate before measuring")
    parser.add_argument("--users", type=int, default=200, help="signed-in users to rotate")
    parser.add_argument("--clients", type=int, default=32, help="requests in flight at most")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8111)
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--output", type=Path, help="results file")
    args = parser.parse_args()
    # Long enough for every page, template and cache to have been touched once.
    args.warmup = args.warmup if args.warmup is not None else min(60, max(20, args.seconds // 5))
    args.smoke, args.customers = True, int(os.environ.get("BENCH_CUSTOMERS", 2000))
    return args


# --- memory ------------------------------------------------------------------------


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(parent: int) -> list[int]:
    return [
        pid for pid in bench.all_pids() if (stat := bench.proc_stat(pid)) and int(stat[1]) == parent
    ]


class Worker:
    """A Celery worker as production runs it (prefork), on the benchmark's broker."""

    def __init__(self, env: dict[str, str], work_dir: Path, concurrency: int = 1):
        self.log = work_dir / "celery-soak.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
            "--hostname",
            f"soak-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and celery
                command, env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the Celery worker exited; see {self.log}")
            if " ready." in self.log.read_text(errors="replace"):
                return
            time.sleep(0.3)
        raise SystemExit(f"the Celery worker did not start; see {self.log}")

    def pids(self) -> list[int]:
        return [self.process.pid, *children(self.process.pid)]

    def stop(self) -> None:
        bench.stop_process(self.process, timeout=60)


def memory(processes: dict[str, list[int]]) -> dict[str, dict[int, int]]:
    """RSS in kB of every process of each group, by pid."""
    return {
        group: {pid: kb for pid in pids if (kb := rss_kb(pid)) is not None}
        for group, pids in processes.items()
    }


def sample_memory(processes, every: float, samples: list, stop: threading.Event) -> None:
    """RSS in MB of each process every `every` seconds, to show a trend, not just two points."""
    started = time.monotonic()
    while not stop.wait(every):
        sizes = memory(processes)
        samples.append(
            {
                "s": round(time.monotonic() - started),
                **{
                    f"{group} {pid}": round(kb / 1024, 1)
                    for group, pids in sizes.items()
                    for pid, kb in pids.items()
                },
            }
        )


# --- the fixed-rate driver ----------------------------------------------------------


def load_requests(work_dir: Path) -> dict[str, list[tuple[str, str, dict, bytes | None]]]:
    """Per scenario of the mix: (method, path, headers, body), one per user."""
    loaded = {}
    for name, _weight in MIX:
        lines = (work_dir / "requests" / f"{name}.tsv").read_text().splitlines()
        entries = []
        for line in filter(None, lines):
            fields = line.split("\t")
            headers = {"X-Forwarded-Proto": "https", "Connection": "close"}
            body = None
            method = "GET"
            for field in fields[1:]:
                if field.startswith("Body: "):
                    method, body = "POST", field.removeprefix("Body: ").encode()
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                else:
                    key, value = field.split(":", 1)
                    headers[key] = value.strip()
            entries.append((method, fields[0], headers, body))
        loaded[name] = entries
    return loaded


class Driver:
    """Sends request n at start + n / rate, whatever the server does (open loop): a slow
    answer does not slow the sending, so latency is counted from when a request was due,
    queueing included, not from when a busy client got round to it."""

    def __init__(self, port: int, rate: float, clients: int, requests: dict):
        self.port, self.rate = port, rate
        self.cycle = itertools.cycle([name for name, weight in MIX for _ in range(weight)])
        self.positions = dict.fromkeys(requests, 0)
        self.requests = requests
        self.jobs: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.reset()
        self.threads = [threading.Thread(target=self.serve, daemon=True) for _ in range(clients)]
        for thread in self.threads:
            thread.start()

    def reset(self) -> None:
        with self.lock:
            self.latencies: list[float] = []
            self.by_minute: dict[int, list[float]] = {}
            self.statuses: dict[str, int] = {}
            self.failures: list[str] = []
            self.bytes = 0
            self.by_scenario: dict[str, list[float]] = {}

    def next_request(self):
        name = next(self.cycle)
        entries = self.requests[name]
        position = self.positions[name]
        self.positions[name] = (position + 1) % len(entries)
        return name, entries[position]

    def run(self, seconds: float) -> dict:
        """Send for `seconds`; wait for the answers; the figures of this stretch."""
        self.reset()
        self.start = start = time.monotonic()
        count = int(seconds * self.rate)
        late = 0
        for n in range(count):
            due = start + n / self.rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            elif pause < -0.05:
                late += 1
            self.jobs.put((due, *self.next_request()))
        self.jobs.join()
        elapsed = time.monotonic() - start
        with self.lock:
            latencies = sorted(self.latencies)
            return {
                "seconds": round(elapsed, 1),
                "requests": len(latencies),
                "rate": round(len(latencies) / elapsed, 2),
                "sent_late": late,
                "statuses": dict(sorted(self.statuses.items())),
                "errors": len(self.failures),
                "failures": self.failures[:20],
                "latency_ms": percentiles(latencies),
                "by_scenario": {
                    name: {"requests": len(values), "latency_ms": percentiles(sorted(values))}
                    for name, values in sorted(self.by_scenario.items())
                },
                # Stalls show here: a shared machine's other work comes and goes.
                "latency_ms_by_minute": [
                    {"minute": minute, **percentiles(sorted(values))}
                    for minute, values in sorted(self.by_minute.items())
                ],
                "kb_per_response": round(self.bytes / len(latencies) / 1024, 1) if latencies else 0,
            }

    def serve(self) -> None:
        while True:
            due, name, (method, path, headers, body) = self.jobs.get()
            expected = 201 if method == "POST" else 200
            failure, status, size = None, None, 0
            try:
                connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
                try:
                    connection.request(method, path, body=body, headers=headers)
                    response = connection.getresponse()
                    status, size = response.status, len(response.read())
                finally:
                    connection.close()
                if status != expected:
                    failure = f"{name} {method} {path}: {status}"
            except OSError as error:
                failure = f"{name} {method} {path}: {type(error).__name__}: {error}"
            latency = (time.monotonic() - due) * 1000
            with self.lock:
                self.latencies.append(latency)
                self.by_minute.setdefault(int((due - self.start) // 60), []).append(latency)
                key = str(status) if status else "socket error"
                self.statuses[key] = self.statuses.get(key, 0) + 1
                self.by_scenario.setdefault(name, []).append(latency)
                self.bytes += size
                if failure:
                    self.failures.append(failure)
            self.jobs.task_done()


def percentiles(values: list[float]) -> dict[str, float]:
    """Of sorted values."""
    if not values:
        return {}

    def at(share: float) -> float:
        return round(values[min(len(values) - 1, int(share * len(values)))], 1)

    return {
        "mean": round(statistics.fmean(values), 1),
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": round(values[-1], 1),
    }


# --- the requests the soak files: targets made inside Django -----------------------


def write_targets(users: int, work_dir: Path) -> None:
    """For the first `users` benchmark users, a write token and one request to file
    (POST /api/v1/requests/): a type their membership may file whose required fields are
    all text, so each filing writes a request, its events and its notices to the outbox."""
    from django.urls import reverse
    from django.utils import timezone

    from bench.targets import bench_users
    from customers.gate import memberships_of
    from customers.models import PersonalAccessToken
    from servicedesk.models import FormField, RequestType

    expires = timezone.now() + timedelta(days=1)
    lines, token_ids = [], []
    texts = {FormField.Kind.TEXT, FormField.Kind.LONG_TEXT}
    user_ids = []
    for user in bench_users(users):
        # The membership the API acts through: the remembered customer, else the first.
        memberships = memberships_of(user)
        membership = next(
            (m for m in memberships if m.customer_id == user.active_customer_id),
            memberships[0] if memberships else None,
        )
        if membership is None:
            continue
        fileable = [
            request_type
            for request_type in RequestType.objects.for_membership(membership)
            .prefetch_related("fields")
            .order_by("slug")
            if all(field.kind in texts for field in request_type.fields.all() if field.required)
        ]
        if not fileable:
            continue
        request_type = fileable[0]
        body = {"request_type": request_type.slug}
        body |= {field.key: MARKER for field in request_type.fields.all() if field.kind in texts}
        token, raw = PersonalAccessToken.issue(
            user=user, name=MARKER, scope=PersonalAccessToken.Scope.WRITE, expires_at=expires
        )
        token_ids.append(token.pk)
        user_ids.append(user.pk)
        path = reverse("api-v1:request-list")
        lines.append(f"{path}\tAuthorization: Bearer {raw}\tBody: {urlencode(body)}\n")
    (work_dir / "requests" / "file_request.tsv").write_text("".join(lines))
    manifest = {"token_ids": token_ids, "user_ids": user_ids, "since": timezone.now().isoformat()}
    (work_dir / "soak-manifest.json").write_text(json.dumps(manifest))


def outbox_state(since: str) -> dict:
    """Notices written since `since` (ISO time) by status and channel, and the delivery
    tasks still to run (pending and due)."""
    from django.db.models import Count
    from django.utils import timezone

    from notifications.models import Delivery

    rows = Delivery.objects.filter(created_at__gte=datetime.fromisoformat(since))
    counts = rows.values("status", "channel").annotate(n=Count("pk")).order_by()
    return {
        "by_status": {f"{c['status']}/{c['channel']}": c["n"] for c in counts},
        "due": rows.filter(status=Delivery.Status.PENDING, not_before__lte=timezone.now()).count(),
    }


def cleanup(work_dir: Path) -> None:
    """Delete the soak's tokens and the requests it filed (their events go with them) and
    the notices about them; harmless when run twice."""
    from customers.models import PersonalAccessToken
    from notifications.models import Delivery
    from servicedesk.models import Request

    path = work_dir / "soak-manifest.json"
    if not path.exists():
        return
    manifest = json.loads(path.read_text())
    PersonalAccessToken.objects.filter(pk__in=manifest["token_ids"], name=MARKER).delete()
    filed = Request.objects.filter(
        filed_by__in=manifest["user_ids"], created_at__gte=datetime.fromisoformat(manifest["since"])
    )
    keys = [f"request-filed:{pk}" for pk in filed.values_list("pk", flat=True)]
    Delivery.objects.filter(key__in=keys).delete()
    filed.delete()
    path.unlink()


def django_side(argv: list[str]) -> None:
    """`soak.py django ACTION …`: the steps that run inside the portal's code."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    django.setup()
    action, work_dir = argv[0], Path(argv[1])
    if action == "targets":
        write_targets(int(argv[2]), work_dir)
    elif action == "outbox":
        print(json.dumps(outbox_state(argv[2])))
    elif action == "cleanup":
        cleanup(work_dir)


def django_step(env: dict[str, str], *arguments: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and this file
        [sys.executable, __file__, "django", *arguments],
        env=env,
        cwd=BASE_DIR,
        check=True,
        text=True,
        capture_output=True,
    )
    return result.stdout


# --- the run -----------------------------------------------------------------------


def growth(start: dict, end: dict) -> list[dict]:
    """Per process: RSS at the end of the warm-up and at the end, and the growth."""
    rows = []
    for group, processes in start.items():
        for pid, before in processes.items():
            after = end[group].get(pid)
            rows.append(
                {
                    "process": f"{group} {pid}",
                    "rss_start_mb": round(before / 1024, 1),
                    "rss_end_mb": None if after is None else round(after / 1024, 1),
                    "growth_percent": (
                        None if after is None else round((after - before) * 100 / before, 1)
                    ),
                }
            )
    return rows


def wait_for_outbox(env: dict[str, str], work_dir: Path, since: str, timeout: float) -> dict:
    """Until no notice written since `since` is due and unsent, or `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        state = json.loads(django_step(env, "outbox", str(work_dir), since))
        if not state["due"] or time.monotonic() > deadline:
            return state
        time.sleep(2)


def results_path(args, work_dir: Path) -> Path:
    full = args.seconds >= 600
    folder = bench.RESULTS_DIR if full else work_dir / "results"
    folder.mkdir(parents=True, exist_ok=True)
    stem = datetime.now().strftime("%Y-%m-%d") + "-soak" + ("" if full else f"-{args.seconds}s")
    path, number = folder / f"{stem}.json", 2
    while path.exists():
        path, number = folder / f"{stem}-{number}.json", number + 1
    return path


def main() -> int:
    args = parse_args()
    work_dir = Path(os.environ.get("BENCH_WORK_DIR", BASE_DIR / "var" / "bench")) / "soak"
    work_dir.mkdir(parents=True, exist_ok=True)
    # Static files where `make bench` collects them: a second collectstatic finds nothing new.
    env = bench.server_env(args, work_dir.parent)
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    print(f"Soak: {args.rate:g} req/s for {args.warmup} s of warm-up and {args.seconds} s")
    if not args.no_seed:
        bench.prepare_database(args, env)
    bench.manage(env, "collectstatic", "--noinput", "-v0")
    targets = [sys.executable, str(BASE_DIR / "bench" / "targets.py")]
    subprocess.run(  # noqa: S603
        [*targets, "prepare", "--users", str(args.users), "--out", str(work_dir)],
        env=env,
        check=True,
    )
    django_step(env, "targets", str(work_dir), str(args.users))
    manifest = json.loads((work_dir / "manifest.json").read_text())
    requests = load_requests(work_dir)
    empty = [name for name, entries in requests.items() if not entries]
    if empty:
        raise SystemExit(f"No requests for {', '.join(empty)}: the database lacks the data.")

    server = bench.Server(
        "soak", "config.settings.production", args.port, args.workers, env, work_dir
    )
    worker = Worker(env, work_dir)
    try:
        server.wait_ready("/healthz/", {})
        worker.wait_ready()
        # Notices queued before (by seeding, say) are sent before anything is measured.
        backlog = wait_for_outbox(env, work_dir, "2000-01-01T00:00:00+00:00", timeout=600)
        print(f"Outbox before the soak: {backlog['by_status']}", flush=True)
        driver = Driver(args.port, args.rate, args.clients, requests)
        print(f"Warming up for {args.warmup} s", flush=True)
        warmup = driver.run(args.warmup)
        since = datetime.now().astimezone().isoformat()
        processes = {"gunicorn": server.pids(), "celery": worker.pids()}
        rss_start = memory(processes)
        print(f"Soaking for {args.seconds} s", flush=True)
        samples, stop = [], threading.Event()
        sampler = threading.Thread(
            target=sample_memory, args=(processes, max(5, args.seconds / 10), samples, stop)
        )
        sampler.start()
        soak = driver.run(args.seconds)
        stop.set()
        sampler.join()
        rss_end = memory(processes)
        outbox = wait_for_outbox(env, work_dir, since, timeout=120)
        replaced = {
            "gunicorn": sorted(set(server.pids()) - set(processes["gunicorn"])),
            "celery": sorted(set(worker.pids()) - set(processes["celery"])),
        }
    finally:
        server.stop()
        worker.stop()
        subprocess.run([*targets, "cleanup", "--out", str(work_dir)], env=env, check=False)  # noqa: S603
        django_step(env, "cleanup", str(work_dir))

    memory_rows = growth(rss_start, rss_end)
    report = {
        "started": started,
        "settings": {
            "rate_per_s": args.rate,
            "seconds": args.seconds,
            "warmup_s": args.warmup,
            "max_in_flight": args.clients,
            "gunicorn_workers": args.workers,
            "celery_concurrency": 1,
            "users": manifest["users"],
            "mix": dict(MIX),
            "django_settings": "config.settings.production",
        },
        "machine": bench.machine(),
        "versions": bench.versions(manifest["postgresql"]),
        "data": manifest["data"],
        "warmup": {key: warmup[key] for key in ("requests", "errors", "statuses", "failures")},
        "soak": soak,
        "outbox_since_warmup": outbox,
        "memory": memory_rows,
        "rss_samples_mb": samples,
        "processes_started_during_soak": replaced,
    }
    problems = []
    if warmup["errors"] or soak["errors"]:
        problems.append(f"{warmup['errors'] + soak['errors']} failed requests")
    for row in memory_rows:
        if row["growth_percent"] is None:
            problems.append(f"{row['process']} died during the soak")
        elif row["growth_percent"] > MAX_GROWTH_PERCENT:
            problems.append(f"{row['process']} grew {row['growth_percent']} %")
    if replaced["gunicorn"] or replaced["celery"]:
        problems.append(f"processes replaced during the soak: {replaced}")
    if outbox["due"]:
        problems.append(f"{outbox['due']} notices still due after the soak")
    if not any(key.startswith("sent/") for key in outbox["by_status"]):
        problems.append("the worker sent nothing")
    if any(key.startswith("failed/") for key in outbox["by_status"]):
        problems.append(f"failed deliveries: {outbox['by_status']}")
    report["problems"] = problems
    output = args.output or results_path(args, work_dir.parent)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")

    latency = soak["latency_ms"]
    print(
        f"\n{soak['requests']} requests in {soak['seconds']} s ({soak['rate']} req/s), "
        f"{soak['errors']} errors, {soak['sent_late']} sent late; latency p50 "
        f"{latency['p50']} ms, p99 {latency['p99']} ms, max {latency['max']} ms"
    )
    print(f"Outbox since the warm-up: {outbox['by_status']}, still due {outbox['due']}")
    for row in memory_rows:
        print(
            f"  {row['process']}: {row['rss_start_mb']} MB -> {row['rss_end_mb']} MB "
            f"({row['growth_percent']} %)"
        )
    print(f"Results: {output}")
    if problems:
        print("FAILED: " + "; ".join(problems))
        for failure in warmup["failures"] + soak["failures"]:
            print(f"  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["django"]:
        django_side(sys.argv[2:])
    else:
        sys.exit(main())
