"""Settings every environment shares.

Values that differ between machines come from the environment (django-environ).
With nothing set, Okienko runs embedded: SQLite in the project folder, a Celery
broker on the local filesystem, an in-process cache and e-mail on the console.
`production.py` removes those fallbacks for what must be given explicitly.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Runtime state of the embedded mode (SQLite file, broker folders, beat schedule).
VAR_DIR = Path(env("OKIENKO_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Applications

OKIENKO_APPS = [
    "home",
    "announcements",
    "documents",
    "customers",
    "billing",
    "metering",
    "servicedesk",
    "notifications",
    "integrations",
]

WAGTAIL_APPS = [
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.api.v2",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
]

THIRD_PARTY_APPS = [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
]

DJANGO_APPS = [
    "django.contrib.admin",  # list filters of wagtail-modeladmin need it; not routed
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

INSTALLED_APPS = OKIENKO_APPS + WAGTAIL_APPS + THIRD_PARTY_APPS + DJANGO_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RefuseNulInQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "home.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PrivateWhenSignedInMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "customers.middleware.SessionLimitsMiddleware",
    "customers.middleware.TwoFactorRequiredMiddleware",
    "customers.stepup.StepUpMiddleware",
    "customers.impersonation.ReadOnlyWhileViewingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.PortalCSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "customers.impersonation.context",
            ],
        },
    },
]

# Data stores

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded mode runs the web process and a worker pool on one file. A transaction
    # that starts reading and later writes cannot wait for the lock (SQLite fails it at
    # once with "database is locked"), so transactions take the write lock when they
    # begin and wait up to 20 s for it; WAL lets readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://okienko")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "config.cache.RedisCache"  # one client per pool
# Public pages kept whole for anonymous visitors (home.page_cache); 0 turns it off. Only
# with a shared cache: a per-process one could not forget a page another process changed.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)

# Sessions live in the database; a shared cache (CACHE_URL) fronts them when there
# is one. A per-process cache must not, or a logout in one process would leave the
# session alive in another's cache.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if env("CACHE_URL", default="")
    else "django.contrib.sessions.backends.db"
)
# Idle timeout: the session lasts this long after the last request. The absolute
# limit since login is enforced by customers.middleware.SessionLimitsMiddleware.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
# The idle limit is renewed by the middleware at most this often (not on every request).
SESSION_RENEW_AFTER = env.int("SESSION_RENEW_AFTER", default=60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)

# Identity: e-mail logins, Argon2, a second factor (django-two-factor-auth) that
# staff must use, lockout after failures (django-axes).

AUTH_USER_MODEL = "customers.User"
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "customer:dashboard"
LOGOUT_REDIRECT_URL = "/"
TWO_FACTOR_PATCH_ADMIN = False
TWO_FACTOR_REMEMBER_COOKIE_AGE = None
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Okienko")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "customers.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "customers.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The Pwned Passwords range API (k-anonymity: only 5 hash characters leave the
# server). Empty: check only the offline list of common passwords.
PWNED_PASSWORDS_ENDPOINT = env(
    "PWNED_PASSWORDS_ENDPOINT", default="https://api.pwnedpasswords.com/range/"
)
PWNED_PASSWORDS = {"API_TIMEOUT": env.float("PWNED_PASSWORDS_TIMEOUT", default=1.0)}

STEP_UP_SECONDS = env.int("STEP_UP_SECONDS", default=5 * 60)
# Online payments: the providers offered to customers, first is the default.
PAYMENT_PROVIDERS = env.list("PAYMENT_PROVIDERS", default=["sandbox"])
SANDBOX_PAYMENT_KEY = env("SANDBOX_PAYMENT_KEY", default="sandbox-key-not-a-secret")
PAYU_BASE_URL = env("PAYU_BASE_URL", default="https://secure.snd.payu.com")
PAYU_POS_ID = env("PAYU_POS_ID", default="")
PAYU_CLIENT_ID = env("PAYU_CLIENT_ID", default="")
PAYU_CLIENT_SECRET = env("PAYU_CLIENT_SECRET", default="")
PAYU_SECOND_KEY = env("PAYU_SECOND_KEY", default="")
PAYU_SIGNATURE_ALGORITHM = env("PAYU_SIGNATURE_ALGORITHM", default="MD5")
P24_BASE_URL = env("P24_BASE_URL", default="https://sandbox.przelewy24.pl")
P24_MERCHANT_ID = env.int("P24_MERCHANT_ID", default=0)
P24_POS_ID = env.int("P24_POS_ID", default=None)
P24_API_KEY = env("P24_API_KEY", default="")
P24_CRC = env("P24_CRC", default="")
ACTIVATION_CODE_DAYS = env.int("ACTIVATION_CODE_DAYS", default=30)

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "customers.lockout.username_from_attempt"
AXES_LOCKOUT_CALLABLE = "customers.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "auth-password", "token-otp_token", "backup-otp_token"]
AXES_VERBOSE = False

# Language and time: Polish first, English complete; Warsaw time, always aware.

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Warsaw"
USE_TZ = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Static and media files

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Media go to S3-compatible object storage when a bucket is named, so that any
# number of web and worker nodes see the same files.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
    DEFAULT_FILE_STORAGE_BACKEND = "storages.backends.s3.S3Storage"
else:
    DEFAULT_FILE_STORAGE_BACKEND = "django.core.files.storage.FileSystemStorage"

# Customer documents and letters with codes: never under a public URL, only through
# permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media")))
PRIVATE_FILE_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"location": "private", "default_acl": "private", "querystring_auth": True},
    }
    if AWS_STORAGE_BUCKET_NAME
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    }
)

STORAGES = {
    "default": {"BACKEND": DEFAULT_FILE_STORAGE_BACKEND},
    "private": PRIVATE_FILE_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# A ClamAV daemon every uploaded file is streamed to before it is kept ("tcp://host:3310"
# or a socket path). Empty: no virus scan. Set, but unreachable: uploads are refused
# with "try again later" (fail closed, documents/virus_scan.py).
CLAMAV_ADDRESS = env("CLAMAV_ADDRESS", default="")

# Where to report a vulnerability, served in /.well-known/security.txt (a mailto: or
# https: URI); empty: the file is not served.
SECURITY_CONTACT = env("SECURITY_CONTACT", default="")

# E-mail

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Okienko <noreply@okienko.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# SMS: written to the log by default; SMSAPI.pl sends them for real with
# SMS_BACKEND=notifications.sms.SmsApiBackend, a token and a registered sender name.
SMS_BACKEND = env("SMS_BACKEND", default="notifications.sms.ConsoleSmsBackend")
SMSAPI_URL = env("SMSAPI_URL", default="https://api.smsapi.pl/sms.do")
SMSAPI_TOKEN = env("SMSAPI_TOKEN", default="")
SMSAPI_SENDER = env("SMSAPI_SENDER", default="")

# Reminders the daily Celery beat sends (see config/celery.py).
INVOICE_DUE_REMINDER_DAYS = env.int("INVOICE_DUE_REMINDER_DAYS", default=3)
CONTRACT_END_REMINDER_DAYS = env.int("CONTRACT_END_REMINDER_DAYS", default=30)

# Celery: tasks are acknowledged after they finish and handed back when a worker
# dies, so a killed worker loses nothing; see config/celery.py for the rest.

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "celery" / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "control_folder": str(CELERY_BROKER_FOLDER.parent / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # How often a worker looks for tasks a dead worker held past the timeout, and
        # hands them out again (kombu's default scans only every tenth time, 100 s).
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_SECONDS", default=10),
        "unacked_restore_throttle": 1,
    }
)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How often the beat hands out outbox rows still waiting: those whose backoff is over,
# and those a lost publish left behind (the broker down, a process killed after commit).
OUTBOX_FLUSH_SECONDS = env.float("OUTBOX_FLUSH_SECONDS", default=60)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")

# Wagtail

WAGTAIL_SITE_NAME = env("WAGTAIL_SITE_NAME", default="Okienko")
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_FRONTEND_LOGIN_URL = "/account/login/"
WAGTAILADMIN_LOGIN_URL = "/account/login/"
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Nothing is fetched from outside at run time: no avatars, no update check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
# Privacy is by login and group only; a shared password is no gate for customer data.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
# Documents always pass the permission-checked view, never a direct media URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "doc", "odt", "xlsx", "xls", "ods", "csv", "txt"]
WAGTAILDOCS_INLINE_CONTENT_TYPES = ["application/pdf"]
WAGTAILAPI_LIMIT_MAX = 100

# REST API

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "customers.api_auth.PersonalAccessTokenAuthentication",
    ],
    "EXCEPTION_HANDLER": "customers.api.api_exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="1200/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Okienko API",
    "DESCRIPTION": _(
        "Customer self-service portal: everything the portal shows and does.\n\n"
        "**Authentication.** Sign in to the portal (a session cookie; changes need the "
        "CSRF token) or send a personal access token, created on the Security page of "
        "the portal: `Authorization: Bearer okn_…`. A read-only token may use GET only. "
        "You act for your active customer: see `GET /api/v1/customers/` and switch with "
        "`POST /api/v1/customers/{customer_id}/activate/`.\n\n"
        "**Errors.** Every error has one shape: "
        '`{"error": {"code": "...", "message": "...", "fields": {"field": ["..."]}}}`. '
        "`code` is `invalid` (400; `fields` says what is wrong with which field), "
        "`authentication_failed` (401: the token is unknown, expired or revoked), "
        "`not_authenticated` or `permission_denied` (403), `not_found` (404: also for "
        "another customer's objects), `method_not_allowed` (405) or `throttled` (429, "
        "with `Retry-After`). `message` is for people and follows `Accept-Language`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["config.api.customer_api_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.document_errors",
    ],
    # Several models have a `kind` or a `status`; each choice set gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "InvoiceKindEnum": "billing.models.invoices.Invoice.Kind",
        "PaymentKindEnum": "billing.models.payments.Payment.Kind",
        "ContractKindEnum": "customers.models.contracts.Contract.Kind",
        "ContractStatusEnum": "customers.models.contracts.Contract.Status",
        "CustomerKindEnum": "customers.models.customers.Customer.Kind",
        "ServicePointStatusEnum": "customers.models.customers.ServicePoint.Status",
        "RequestStatusEnum": "servicedesk.models.requests.Request.Status",
        "RequestEventKindEnum": "servicedesk.models.requests.Event.Kind",
        "AppointmentSlotStatusEnum": "servicedesk.models.requests.AppointmentSlot.Status",
        "CostItemKindEnum": "servicedesk.models.requests.CostItem.Kind",
        "FormFieldKindEnum": "servicedesk.models.types.FormField.Kind",
        "ReadingStatusEnum": "metering.models.Reading.Status",
        "ImportRunStatusEnum": "integrations.models.ImportRun.Status",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Security headers that hold everywhere; production.py adds the HTTPS-only ones.

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
        "frame-src": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}
