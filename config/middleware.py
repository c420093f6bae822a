from csp.middleware import CSPMiddleware, PolicyParts
from django.urls import reverse
from django.utils.cache import patch_cache_control

from config.admin_csp import widget_hashes


class PortalCSPMiddleware(CSPMiddleware):
    """The strict policy of settings.CONTENT_SECURITY_POLICY on every page.

    Wagtail's admin prints inline start-up scripts for some widgets (date choosers,
    choosers, inline panels): an admin page's policy names those scripts by hash, and
    no other inline script runs, in the admin or anywhere else.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if (
            request.path.startswith(reverse("wagtailadmin_home"))
            and not parts.replace
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
        ):
            hashes = widget_hashes(response.content.decode(response.charset, errors="replace"))
            if hashes:
                parts.update = {**(parts.update or {}), "script-src": hashes}
        return parts


class PrivateWhenSignedInMiddleware:
    """Marks every response to a signed-in user `private, no-store`.

    Pages and API answers of the customer area show one customer's data; a shared proxy
    must never keep them, nor a browser's disk cache after the user signs out. Token
    requests to the API count too: DRF puts the token's user on the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class RefuseNulInQueryMiddleware:
    """Answers 400, naming the parameters, when the query string holds a NUL character.

    No field takes one (forms refuse it in posted data), and PostgreSQL cannot compare text
    with it: a `?q=%00` reaching a filter or a search would end in a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        names = sorted(
            name
            for name, values in request.GET.lists()
            if "\x00" in name or any("\x00" in value for value in values)
        )
        if not names:
            return self.get_response(request)
        from django.http import HttpResponseBadRequest, JsonResponse
        from django.utils.translation import gettext as _

        message = _("Null characters are not allowed.")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "error": {
                        "code": "invalid",
                        "message": message,
                        "fields": {name.replace("\x00", ""): [message] for name in names},
                    }
                },
                status=400,
            )
        return HttpResponseBadRequest(
            f"{message} ({', '.join(name.replace(chr(0), '') for name in names)})",
            content_type="text/plain; charset=utf-8",
        )
