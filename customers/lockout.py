"""django-axes glue: which login name an attempt used, and what a locked-out person sees."""

from django.conf import settings
from django.template.response import TemplateResponse


def username_from_attempt(request, credentials) -> str | None:
    """The login name of a failed attempt, whichever form sent it, lower-cased like logins."""
    username = (credentials or {}).get("username")
    if not username and request is not None:
        username = request.POST.get("auth-username") or request.POST.get("username")
    return username.strip().lower() if username else None


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs):
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    response = TemplateResponse(
        request, "customers/locked_out.html", {"minutes": minutes}, status=429
    )
    return response.render()
