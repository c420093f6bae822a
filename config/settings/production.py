"""Production: no embedded fallbacks for what must be given, HTTPS everywhere.

Refuses to start without SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL, and passes
`manage.py check --deploy --fail-level WARNING` with no finding.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}

# The sandbox books payments without money; it must never run in production.
PAYMENT_PROVIDERS = env.list("PAYMENT_PROVIDERS", default=["payu"])
if "sandbox" in PAYMENT_PROVIDERS:
    raise ImproperlyConfigured("PAYMENT_PROVIDERS: the sandbox provider is for demos only.")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# HTTPS: the proxy in front terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
