from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.urls import reverse


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
