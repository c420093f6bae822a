from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.urls import reverse
from django.utils.cache import patch_cache_control


class PortalCSPMiddleware(CSPMiddleware):
    """The strict policy of settings.CONTENT_SECURITY_POLICY on every page but the admin.

    Wagtail's admin prints inline scripts for some widgets (date choosers, inline
    panels), so staff pages also allow inline scripts. Customer-facing pages and
    the API never do.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path.startswith(reverse("wagtailadmin_home")) and not parts.replace:
            parts.update = {**(parts.update or {}), "script-src": [UNSAFE_INLINE]}
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
