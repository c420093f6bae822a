"""Tests: fast hashing, eager tasks for unit tests, and a SQLite file a worker can share.

Integration tests start a real Celery worker process; it reads the same test
database, so the SQLite test database is a file rather than in memory.

The suite may run in parallel processes (pytest-xdist): each has its own test database
(pytest-django names it after the process), and here its own Celery queue and broker
folder, cache database and stored files, so that no process takes another's tasks, clears
another's cache or finds another's uploads.
"""

import os
from urllib.parse import urlsplit

from .base import *  # noqa: F403

# "gw0", "gw1"… in a parallel run, "" otherwise (the worker processes a test starts
# inherit it, so they serve the queue and database of the process that started them).
PARALLEL_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "")
PROCESS_SUFFIX = f"-{PARALLEL_PROCESS}" if PARALLEL_PROCESS else ""

DEBUG = False
SECRET_KEY = "test-secret-key-used-only-by-the-test-suite-0123456789abcdef"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests never reach the internet: the breached-password check uses the offline list,
# and tests that speak the range protocol start their own server.
PWNED_PASSWORDS_ENDPOINT = ""
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://okienko-test")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "config.cache.RedisCache"  # as in production
if PARALLEL_PROCESS and CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Tests clear the cache (a FLUSHDB on Redis), so each process takes a database of its
    # own: counting down from the configured one, passing over the broker's and results'.
    def _redis_database(url: str) -> int | None:
        parts = urlsplit(url or "")
        return int(parts.path.strip("/") or 0) if parts.scheme.startswith("redis") else None

    _configured = _redis_database(CACHES["default"]["LOCATION"])
    _taken = {
        _redis_database(CELERY_BROKER_URL),
        _redis_database(env("CELERY_RESULT_BACKEND", default="")),
    }
    _free = [n % 16 for n in range(_configured, _configured - 16, -1) if n % 16 not in _taken]
    CACHES["default"]["LOCATION"] = (
        urlsplit(CACHES["default"]["LOCATION"])
        ._replace(path=f"/{_free[int(PARALLEL_PROCESS.removeprefix('gw'))]}")
        .geturl()
    )
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / f"test-media{PROCESS_SUFFIX}"
STORAGES["private"]["OPTIONS"]["location"] = str(VAR_DIR / f"test-private-media{PROCESS_SUFFIX}")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Unit tests run tasks in-process; integration tests switch this off and use a worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

WAGTAILADMIN_BASE_URL = "http://testserver"
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []
LOGGING["root"]["level"] = "WARNING"

# Integration tests run a real worker: a broker folder of their own (so a running
# `make run` worker cannot take their messages) and a result backend to read answers.
if PARALLEL_PROCESS:
    CELERY_TASK_DEFAULT_QUEUE = f"test{PROCESS_SUFFIX}"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_FOLDER = VAR_DIR / "celery" / f"test-broker{PROCESS_SUFFIX}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "control_folder": str(CELERY_BROKER_FOLDER.parent / f"test-control{PROCESS_SUFFIX}"),
        "store_processed": False,
        # A worker looks for new messages ten times a second (the default is once), so a
        # test waiting for one of its tasks is not kept waiting for the next look.
        "polling_interval": 0.1,
    }
    CELERY_RESULT_BACKEND = env(
        "CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR / 'celery' / 'test-results'}"
    )
elif CELERY_BROKER_URL.startswith("redis"):
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
else:
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="rpc://")
