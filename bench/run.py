"""Load benchmark: the portal under gunicorn with the production settings, each scenario
measured against the limits of this machine (bench/limits.py) in the same run.

    make bench                      # BENCH_CUSTOMERS=100000, 10 s per run, 32 connections
    BENCH_SMOKE=1 make bench        # 2000 customers, 3 s per run; fails on any non-2xx
    .venv/bin/python bench/run.py --help

Uses the database in DATABASE_URL (default: okienko_bench, okienko_bench_smoke in smoke
mode, created, migrated and seeded here) and Redis in CACHE_URL. See bench/README.md.
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.scenarios import (  # noqa: E402
    BY_NAME,
    HELLO,
    P99_TARGET_MS,
    SCENARIOS,
    STUB,
)

LUA_SCRIPT = BASE_DIR / "bench" / "wrk" / "replay.lua"
RESULTS_DIR = BASE_DIR / "bench" / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def parse_args() -> argparse.Namespace:
    smoke = os.environ.get("BENCH_SMOKE", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        default=smoke,
        help="small and short: 2000 customers, 3 s per run (env BENCH_SMOKE=1)",
    )
    parser.add_argument("--customers", type=int, help="seed at least this many (BENCH_CUSTOMERS)")
    parser.add_argument("--users", type=int, help="signed-in users to rotate (1000; smoke 200)")
    parser.add_argument("--duration", type=int, help="seconds per measured run (10; smoke 3)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up before each (3; smoke 1)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8101, help="portal; the limits use port+1")
    parser.add_argument(
        "--scenarios",
        help="comma-separated subset of: " + ", ".join(s.name for s in SCENARIOS),
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="use the database as it is (no migrate, no seed)"
    )
    parser.add_argument("--output", type=Path, help="results file (default bench/results/...)")
    args = parser.parse_args()
    args.customers = args.customers or int(
        os.environ.get("BENCH_CUSTOMERS", 2000 if args.smoke else 100_000)
    )
    args.users = args.users or (200 if args.smoke else 1000)
    args.duration = args.duration or (3 if args.smoke else 10)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.smoke else 3)
    names = args.scenarios.split(",") if args.scenarios else [s.name for s in SCENARIOS]
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    args.scenario_names = names
    return args


# --- environment and database -------------------------------------------------------


def server_env(args: argparse.Namespace, work_dir: Path) -> dict[str, str]:
    """What config.settings.production demands, pointed at the benchmark's services."""
    database_default = f"{DEFAULT_SERVER}/okienko_bench{'_smoke' if args.smoke else ''}"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        # One key per run: sessions made for the run are signed with it (the auth hash).
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=os.environ.get("DATABASE_URL", database_default),
        CACHE_URL=os.environ.get("CACHE_URL", "rediscache://127.0.0.1:6379/14"),
        CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"),
        STATIC_ROOT=str(work_dir / "static"),
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
    )
    return env


def manage(env: dict[str, str], *arguments: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(BASE_DIR / "manage.py"), *arguments],
        env=env,
        cwd=BASE_DIR,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def libpq_url(database_url: str) -> str:
    """The URL libpq understands (django-environ also accepts e.g. `pgsql://`)."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", *parts[1:]))


def ensure_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(libpq_url(database_url))
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            print(f"Creating database {name}")
            connection.execute(f'CREATE DATABASE "{name}"')


def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    """Create and migrate; with fewer customers than wanted, load the site and its pages
    (seed_demo, safe to run again) and the scale data (seed_scale, replacing a smaller one)."""
    ensure_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput", "-v0")
    count = int(
        manage(
            env,
            "shell",
            "-c",
            "from customers.models import Customer; print(Customer.objects.count())",
            capture=True,
        ).split()[-1]
    )
    if count >= args.customers:
        print(f"Database has {count} customers (wanted {args.customers}): not seeding.")
        return
    print(f"Database has {count} customers; seeding {args.customers}.")
    manage(env, "seed_demo")
    manage(env, "seed_scale", "--customers", str(args.customers), "--replace")


# --- servers and their CPU time ----------------------------------------------------


class Server:
    """One gunicorn as production runs it: sync workers, no control socket, loopback only."""

    def __init__(self, name: str, settings: str, port: int, workers: int, env, work_dir: Path):
        self.name, self.port = name, port
        self.log = work_dir / f"gunicorn-{name}.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
                command,
                env={**env, "DJANGO_SETTINGS_MODULE": settings},
                cwd=BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, path: str, headers: dict[str, str], timeout: float = 180) -> None:
        url = f"http://127.0.0.1:{self.port}{path}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn ({self.name}) exited; see {self.log}")
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **headers})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:  # refused, reset or timed out while the workers boot
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn ({self.name}) did not answer {url}; see {self.log}")

    def pids(self) -> list[int]:
        """The master and its workers."""
        master = self.process.pid
        children = [
            pid for pid in all_pids() if (stat := proc_stat(pid)) and int(stat[1]) == master
        ]
        return [master, *children]

    def accept_queue(self) -> int:
        """Connections waiting in the listen backlog (rx_queue of the LISTEN socket)."""
        local = f"0100007F:{self.port:04X}"
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == local and fields[3] == "0A":
                return int(fields[4].split(":")[1], 16)
        return 0

    def wait_idle(self, timeout: float = 300) -> None:
        """Until the requests wrk left behind are served: a sync worker finishes every request
        it accepted, and the backlog still holds the rest, long after wrk has gone. Without
        this, one run's leftovers would be measured (and paid in CPU) in the next."""
        deadline = time.monotonic() + timeout
        quiet = 0
        before = cpu_seconds(self.pids())
        while quiet < 2 and time.monotonic() < deadline:
            time.sleep(0.25)
            after = cpu_seconds(self.pids())
            busy = cpu_delta(before, after) > 0.0125 or self.accept_queue() > 0
            quiet = 0 if busy else quiet + 1
            before = after

    def stop(self) -> None:
        stop_process(self.process, timeout=30)


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def proc_stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, ...]; None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system time of each process still alive."""
    times = {}
    for pid in pids:
        stat = proc_stat(pid)
        if stat is not None:  # utime and stime are fields 14 and 15 of the whole line
            times[pid] = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    return times


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two samples; a process born in between counts from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


class DatabaseBackends:
    """The PostgreSQL backends serving the benchmark's database, when they run on this host."""

    def __init__(self, database_url: str):
        import psycopg

        self.connection = psycopg.connect(libpq_url(database_url), autocommit=True)

    def pids(self) -> list[int]:
        rows = self.connection.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return [pid for (pid,) in rows if Path(f"/proc/{pid}").exists()]

    def close(self) -> None:
        self.connection.close()


# --- wrk ---------------------------------------------------------------------------


def run_wrk(url: str, requests_file: Path, seconds: int, args) -> dict:
    threads = min(args.threads, args.connections)
    command = [
        "wrk",
        "--threads",
        str(threads),
        "--connections",
        str(args.connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "30s",
        "--script",
        str(LUA_SCRIPT),
        url,
        "--",
        str(requests_file),
        str(threads),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    for line in result.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            return json.loads(line.removeprefix("WRK_RESULT "))
    raise SystemExit(f"wrk gave no result for {url}:\n{result.stdout}\n{result.stderr}")


def measure(server: Server, path_file: Path, args, backends: DatabaseBackends | None) -> dict:
    """Warm up, then one measured run: wrk's figures plus the CPU the server and its
    database backends spent on it."""
    url = f"http://127.0.0.1:{server.port}"
    if args.warmup:
        run_wrk(url, path_file, args.warmup, args)
        server.wait_idle()
    app_pids = server.pids()
    db_pids = backends.pids() if backends else []
    app_before, db_before = cpu_seconds(app_pids), cpu_seconds(db_pids)
    result = run_wrk(url, path_file, args.duration, args)
    app_after = cpu_seconds(server.pids())
    db_after = cpu_seconds(db_pids)
    server.wait_idle()
    requests = result["requests"]
    seconds = result["duration_us"] / 1e6
    statuses = {int(code): count for code, count in result["statuses"].items()}
    non_2xx = sum(count for code, count in statuses.items() if not 200 <= code < 300)
    socket_errors = sum(result["socket_errors"].values())
    latency = result["latency_us"]
    per_request = 1000 / requests if requests else 0.0
    return {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "latency_ms": {key: round(value / 1000, 2) for key, value in latency.items()},
        "cpu_ms_per_request": round(cpu_delta(app_before, app_after) * per_request, 2),
        "db_cpu_ms_per_request": (
            round(cpu_delta(db_before, db_after) * per_request, 2) if db_pids else None
        ),
        "statuses": statuses,
        # A run in which no request finished measured nothing; it counts as an error.
        "errors": non_2xx + socket_errors + (0 if requests else 1),
        "socket_errors": result["socket_errors"],
        "kb_per_response": round(result["bytes"] / requests / 1024, 1) if requests else 0.0,
    }


# --- the report --------------------------------------------------------------------


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 / 1024, 1),
        "load_average_at_start": list(os.getloadavg()),
        "kernel": platform.release(),
    }


def versions(postgresql: str) -> dict:
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    return {
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "wagtail": metadata.version("wagtail"),
        "gunicorn": metadata.version("gunicorn"),
        "psycopg": metadata.version("psycopg"),
        "postgresql": postgresql,
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "",
    }


def evaluate(row: dict) -> list[dict]:
    """The targets a scenario has, each with its figure and whether it was met."""
    scenario = BY_NAME[row["scenario"]]
    checks = []
    if scenario.floor:
        limit, share = scenario.floor
        ratio = row[f"vs_{limit}"]
        checks.append(
            {
                "target": f"{scenario.name} >= {share:.0%} of {limit} req/s",
                "value": f"{ratio:.0%}",
                "met": ratio >= share,
            }
        )
    p99 = row["result"]["latency_ms"]["p99"]
    checks.append(
        {
            "target": f"{scenario.name} p99 <= {P99_TARGET_MS:.0f} ms",
            "value": f"{p99:.0f} ms",
            "met": p99 <= P99_TARGET_MS,
        }
    )
    return checks


def markdown(report: dict) -> str:
    lines = [
        f"Load benchmark {report['started']} — {report['settings']['connections']} connections, "
        f"{report['settings']['duration_s']} s per run, {report['settings']['workers']} sync "
        f"workers; {report['data']['customers']} customers, {report['data']['invoices']} invoices, "
        f"{report['settings']['users']} signed-in users rotated",
        "",
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | CPU ms/req | DB CPU ms/req "
        "| non-2xx | vs hello | vs stub |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cells(title: str, result: dict, vs_hello: str, vs_stub: str) -> str:
        latency = result["latency_ms"]
        db = result["db_cpu_ms_per_request"]
        return (
            f"| {title} | {result['rps']:.0f} | {latency['p50']:.1f} | {latency['p95']:.1f} "
            f"| {latency['p99']:.1f} | {result['cpu_ms_per_request']:.1f} "
            f"| {'—' if db is None else f'{db:.1f}'} | {result['errors']} | {vs_hello} | {vs_stub} |"
        )

    for row in report["scenarios"]:
        if "result" not in row:
            lines.append(f"| {BY_NAME[row['scenario']].title} | skipped: {row['skipped']} |")
            continue
        lines.append(
            cells(
                BY_NAME[row["scenario"]].title,
                row["result"],
                f"{row['vs_hello']:.0%}",
                f"{row['vs_stub']:.0%}",
            )
        )
    for limit in (HELLO, STUB):
        runs = report["limits"][limit]
        if runs:
            median = min(
                runs, key=lambda r: abs(r["rps"] - statistics.median(x["rps"] for x in runs))
            )
            lines.append(cells(f"*{limit} (median run of {len(runs)})*", median, "", ""))
    lines += ["", "| target | value | met |", "|---|---:|---|"]
    lines += [
        f"| {check['target']} | {check['value']} | {'yes' if check['met'] else '**no**'} |"
        for check in report["targets"]
    ]
    return "\n".join(lines)


def results_path(smoke: bool, work_dir: Path) -> Path:
    folder = work_dir / "results" if smoke else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stem = datetime.now().strftime("%Y-%m-%d") + ("-smoke" if smoke else "")
    path, number = folder / f"{stem}.json", 2
    while path.exists():
        path, number = folder / f"{stem}-{number}.json", number + 1
    return path


# --- the run -----------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    work_dir = Path(os.environ.get("BENCH_WORK_DIR", BASE_DIR / "var" / "bench"))
    work_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(args, work_dir)
    started = datetime.now().isoformat(timespec="seconds")
    print(f"Database {urlsplit(env['DATABASE_URL']).path.lstrip('/')}, cache {env['CACHE_URL']}")
    if not args.no_seed:
        prepare_database(args, env)
    manage(env, "collectstatic", "--noinput", "-v0")
    targets = [sys.executable, str(BASE_DIR / "bench" / "targets.py")]
    print(f"Signing in {args.users} users, issuing their tokens")
    subprocess.run(  # noqa: S603
        [*targets, "prepare", "--users", str(args.users), "--out", str(work_dir)],
        env=env,
        check=True,
    )
    manifest = json.loads((work_dir / "manifest.json").read_text())
    requests_dir = work_dir / "requests"
    servers = {
        "portal": Server(
            "portal", "config.settings.production", args.port, args.workers, env, work_dir
        ),
        "limits": Server(
            "limits", "bench.limits_settings", args.port + 1, args.workers, env, work_dir
        ),
    }
    backends = None
    rows, limits = [], {HELLO: [], STUB: []}
    try:
        servers["portal"].wait_ready("/healthz/", {})
        servers["limits"].wait_ready("/hello/", {})
        try:
            backends = DatabaseBackends(env["DATABASE_URL"])
        except Exception as error:  # noqa: BLE001 - the DB CPU column is a bonus
            print(f"Database backends' CPU not measured: {error}")
        for name in args.scenario_names:
            if not manifest["requests"].get(name):
                print(f"{name}: skipped, the database has nothing for it")
                rows.append({"scenario": name, "skipped": "no data for it in the database"})
                continue
            print(f"{name}: {manifest['requests'][name]} distinct requests", flush=True)
            result = measure(servers["portal"], requests_dir / f"{name}.tsv", args, backends)
            row = {"scenario": name, "result": result}
            for limit in (HELLO, STUB):
                limit_result = measure(
                    servers["limits"], requests_dir / f"{limit}.tsv", args, backends
                )
                limits[limit].append(limit_result)
                row[f"{limit}_rps"] = limit_result["rps"]
                row[f"vs_{limit}"] = (
                    round(result["rps"] / limit_result["rps"], 3) if limit_result["rps"] else 0.0
                )
            print(
                f"  {result['rps']:.0f} req/s, p99 {result['latency_ms']['p99']:.0f} ms, "
                f"{result['errors']} errors; hello {row['hello_rps']:.0f}, stub {row['stub_rps']:.0f}",
                flush=True,
            )
            rows.append(row)
    finally:
        if backends:
            backends.close()
        for server in servers.values():
            server.stop()
        subprocess.run([*targets, "cleanup", "--out", str(work_dir)], env=env, check=False)  # noqa: S603

    report = {
        "started": started,
        "smoke": args.smoke,
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "workers": args.workers,
            "users": manifest["users"],
            "django_settings": "config.settings.production",
        },
        "machine": machine(),
        "versions": versions(manifest["postgresql"]),
        "data": manifest["data"],
        "invoice_pages": manifest["invoice_pages"],
        "scenarios": rows,
        "limits": limits,
    }
    report["targets"] = [check for row in rows if "result" in row for check in evaluate(row)]
    report["targets"] += [
        {
            "target": f"{limit} p99 <= {P99_TARGET_MS:.0f} ms (can the machine meet it at all)",
            "value": f"{max(r['latency_ms']['p99'] for r in runs):.0f} ms (worst run)",
            "met": all(r["latency_ms"]["p99"] <= P99_TARGET_MS for r in runs),
        }
        for limit, runs in limits.items()
        if runs
    ]
    output = args.output or results_path(args.smoke, work_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")
    print()
    print(markdown(report))
    print(f"\nResults: {output}")

    failures = [row["scenario"] for row in rows if "skipped" in row]
    failures += [row["scenario"] for row in rows if "result" in row and row["result"]["errors"]]
    failures += [
        f"{limit} limit" for limit, runs in limits.items() if any(r["errors"] for r in runs)
    ]
    if failures:
        print(f"FAILED: errors or no data in {', '.join(failures)}; see {work_dir}/gunicorn-*.log")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
