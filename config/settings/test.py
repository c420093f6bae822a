"""Tests: fast hashing, eager tasks for unit tests, and a SQLite file a worker can share.

Integration tests start a real Celery worker process; it reads the same test
database, so the SQLite test database is a file rather than in memory.
"""

from .base import *  # noqa: F403

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
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES["private"]["OPTIONS"]["location"] = str(VAR_DIR / "test-private-media")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Unit tests run tasks in-process; integration tests switch this off and use a worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

WAGTAILADMIN_BASE_URL = "http://testserver"
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []
LOGGING["root"]["level"] = "WARNING"

# Integration tests run a real worker: a broker folder of their own (so a running
# `make run` worker cannot take their messages) and a result backend to read answers.
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_FOLDER = VAR_DIR / "celery" / "test-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "control_folder": str(CELERY_BROKER_FOLDER.parent / "test-control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env(
        "CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR / 'celery' / 'test-results'}"
    )
elif CELERY_BROKER_URL.startswith("redis"):
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
else:
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="rpc://")
