"""Step-up: sensitive changes need the password (and code) again, unless given just now.

A fresh login counts as a step-up. Changing the e-mail address, the password, the
refund bank account or the second-factor devices asks again after STEP_UP_SECONDS.
"""

import time

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

SESSION_KEY = "okienko_step_up_at"

# Third-party pages (django-two-factor-auth) that change the second factor.
PROTECTED_PATH_PREFIXES = (
    "/account/two_factor/disable/",
    "/account/two_factor/backup/tokens/",
)


def mark(request) -> None:
    request.session[SESSION_KEY] = time.time()


def is_recent(request) -> bool:
    stepped_up = request.session.get(SESSION_KEY)
    return stepped_up is not None and time.time() - stepped_up < settings.STEP_UP_SECONDS


def ask(request):
    """Send the user to confirm who they are, then back here."""
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('customer:confirm_identity')}?{query}")


class StepUpRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_recent(request):
            return ask(request)
        return super().dispatch(request, *args, **kwargs)


class StepUpMiddleware:
    """Guards the second-factor pages of django-two-factor-auth with a step-up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.path.startswith(PROTECTED_PATH_PREFIXES)
            and request.user.is_authenticated
            and not is_recent(request)
        ):
            return ask(request)
        return self.get_response(request)
