"""Operational endpoints that belong to no domain room, and the error pages."""

import sys
from datetime import UTC, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """Tell a load balancer whether this node reaches its database and cache.

    Without its database a node cannot serve (503); without the cache it serves, slower
    (the cache holds copies only), so it stays in the pool and says it is degraded.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        checks["database"] = "error"
    try:
        cache.set("healthz", "ok", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "error"
    except Exception:  # noqa: BLE001
        checks["cache"] = "error"
    if checks["database"] != "ok":
        return JsonResponse({"status": "error", **checks}, status=503)
    status = "ok" if checks["cache"] == "ok" else "degraded"
    return JsonResponse({"status": status, **checks}, status=200)


@require_GET
def security_txt(request):
    """`/.well-known/security.txt` (RFC 9116): where to report a vulnerability.

    Served when the operator names a contact (SECURITY_CONTACT, a mailto: or https: URI);
    it expires half a year after it was served, so a stale copy is not trusted for ever.
    """
    contact = settings.SECURITY_CONTACT
    if not contact:
        raise Http404
    expires = (timezone.now() + timedelta(days=182)).replace(microsecond=0)
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: pl, en",
        f"Canonical: {request.build_absolute_uri()}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=86400)
    return response


def page_not_found(request, exception):
    """An unknown address under the API answers in the API's error shape, not as a page."""
    from django.utils.translation import gettext as _
    from django.views import defaults

    if request.path.startswith("/api/v1/"):
        return JsonResponse(
            {"error": {"code": "not_found", "message": _("Not found."), "fields": {}}}, status=404
        )
    return defaults.page_not_found(request, exception)


RETRY_AFTER_SECONDS = 30
"""How long a client is asked to wait while the database cannot be reached."""


def server_error(request):
    """A database that cannot be reached (stopped, restarting, failing over) is a 503 with
    Retry-After: the page asks the visitor to come back shortly and a provider's or load
    balancer's retry comes later. Any other failure is the 500 page.

    The handler runs while the exception is being handled, so it can ask which one it was.
    Its answer needs no database: the page is rendered without context processors.
    """
    from django.utils.translation import gettext as _
    from django.views import defaults

    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        message = _("The service is temporarily unavailable. Please try again in a few minutes.")
        body = {"error": {"code": "service_unavailable", "message": message, "fields": {}}}
        response = JsonResponse(body, status=503)
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
