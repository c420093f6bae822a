"""Where a page's time goes: the benchmark's requests replayed in one process under cProfile.

    DATABASE_URL=postgres://…/okienko_bench .venv/bin/python bench/profile_pages.py \
        --scenarios dashboard,invoices --requests 300

Signs in users the way `make bench` does (bench/targets.py, production settings, the same
cache and database), then sends each scenario's requests straight to Django's WSGI handler
— no gunicorn, no sockets — so the profile is the portal's own work. Prints, per scenario,
milliseconds per request split into SQL (time inside the database driver, waiting for
PostgreSQL included), template rendering (the SQL a template triggers is counted in both)
and the rest, then the functions with the most own time. `--out DIR` keeps a `.prof` file
per scenario for snakeviz or `python -m pstats`.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.scenarios import BY_NAME, SCENARIOS  # noqa: E402

MARKERS = {
    "sql": ("django/db/backends/utils.py", "_execute"),
    "templates": ("django/template/backends/django.py", "render"),
}
"""The functions whose cumulative time is reported as a bucket."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios",
        default="home,announcement,dashboard,invoices,invoice_pdf,statement,meter,api_invoices",
        help="comma-separated subset of: " + ", ".join(s.name for s in SCENARIOS),
    )
    parser.add_argument("--requests", type=int, default=200, help="measured requests each")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured requests first")
    parser.add_argument("--users", type=int, default=100, help="signed-in users to rotate")
    parser.add_argument("--top", type=int, default=25, help="functions listed per scenario")
    parser.add_argument("--out", type=Path, help="folder for the .prof files")
    return parser.parse_args()


def environment(work_dir: Path) -> dict[str, str]:
    """The same settings `make bench` gives gunicorn (one secret for signing in and serving)."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/okienko_bench")
    env.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/14")
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(work_dir / "static"),
        LOG_LEVEL="WARNING",
    )
    return env


def wsgi_environ(line: str) -> dict:
    """A WSGI environ for one line of a requests file (path, then "Header: value" fields)."""
    path, *headers = line.rstrip("\n").split("\t")
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for header in headers:
        name, _, value = header.partition(":")
        environ["HTTP_" + name.strip().upper().replace("-", "_")] = value.strip()
    return environ


def serve(handler, line: str) -> int:
    status = []
    response = handler(wsgi_environ(line), lambda s, h, e=None: status.append(s))
    try:
        for _chunk in response:
            pass
    finally:
        if hasattr(response, "close"):
            response.close()
    return int(status[0].split()[0])


def bucket(stats: pstats.Stats, marker: tuple[str, str]) -> float:
    """Cumulative seconds of the outermost calls of a function (recursion counted once)."""
    suffix, name = marker
    return sum(
        entry[3]
        for (filename, _line, function), entry in stats.stats.items()
        if filename.endswith(suffix) and function == name
    )


def profile(handler, name: str, lines: list[str], args) -> None:
    for i in range(args.warmup):
        serve(handler, lines[i % len(lines)])
    profiler = cProfile.Profile()
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    profiler.enable()
    for i in range(args.requests):
        status = serve(handler, lines[(args.warmup + i) % len(lines)])
        statuses[status] = statuses.get(status, 0) + 1
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    per_request = 1000 / args.requests
    sql = bucket(stats, MARKERS["sql"]) * per_request
    templates = bucket(stats, MARKERS["templates"]) * per_request
    print(f"\n## {BY_NAME[name].title} ({name}): {args.requests} requests, statuses {statuses}")
    print(
        f"{elapsed * per_request:.1f} ms per request under the profiler: SQL {sql:.1f} ms, "
        f"templates {templates:.1f} ms (SQL they trigger included), "
        f"other {elapsed * per_request - sql - max(templates - sql, 0):.1f} ms (approximate)"
    )
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(args.top)
    print(text.getvalue().split("\n", 7)[-1].rstrip())
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        stats.dump_stats(args.out / f"{name}.prof")


def main() -> int:
    args = parse_args()
    work_dir = Path(os.environ.get("BENCH_WORK_DIR", BASE_DIR / "var" / "bench" / "profile"))
    work_dir.mkdir(parents=True, exist_ok=True)
    env = environment(work_dir)
    targets = [sys.executable, str(BASE_DIR / "bench" / "targets.py")]
    if not (work_dir / "static" / "staticfiles.json").exists():
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, str(BASE_DIR / "manage.py"), "collectstatic", "--noinput", "-v0"],
            env=env,
            check=True,
        )
    subprocess.run(  # noqa: S603
        [*targets, "prepare", "--users", str(args.users), "--out", str(work_dir)],
        env=env,
        check=True,
    )
    os.environ.update(env)
    import django
    from django.core.handlers.wsgi import WSGIHandler

    django.setup()
    handler = WSGIHandler()
    try:
        for name in args.scenarios.split(","):
            lines = [
                line
                for line in (work_dir / "requests" / f"{name}.tsv").read_text().splitlines()
                if line
            ]
            if not lines:
                print(f"\n## {name}: no requests (no data for it)")
                continue
            profile(handler, name, lines, args)
    finally:
        subprocess.run([*targets, "cleanup", "--out", str(work_dir)], env=env, check=False)  # noqa: S603
    return 0


if __name__ == "__main__":
    sys.exit(main())
