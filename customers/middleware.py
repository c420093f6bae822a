"""Session limits and the second-factor requirement, enforced on every request."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .models import Membership

SESSION_LOGIN_TIME = "okienko_login_time"


class SessionLimitsMiddleware:
    """Ends a session that began more than SESSION_ABSOLUTE_TIMEOUT ago, active or not.

    The idle limit is the session cookie's age, renewed on every request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SESSION_LOGIN_TIME)
            if started is None:
                request.session[SESSION_LOGIN_TIME] = time.time()
            elif time.time() - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                return redirect(
                    f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.path})}"
                )
        return self.get_response(request)


def requires_two_factor(user) -> bool:
    """Staff always; customers' users when a segment of one of their customers says so."""
    if user.is_staff or user.is_superuser:
        return True
    return (
        Membership.objects.active()
        .filter(user=user, customer__segments__requires_two_factor=True)
        .exists()
    )


class TwoFactorRequiredMiddleware:
    """Sends a user who must use a second factor to set one up, or to sign in with it.

    Without it the Wagtail admin, or a VIP customer's pages, would open on a password alone.
    """

    EXEMPT_PREFIXES = (
        "/account/two_factor/",
        "/account/login/",
        "/account/logout/",
        "/static/",
        "/i18n/",
        "/jsi18n/",
        "/healthz/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and requires_two_factor(user)
        ):
            if has_confirmed_device(user):
                login_url = reverse("two_factor:login")
                logout(request)
                return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
            setup_url = reverse("two_factor:setup")
            return redirect(f"{setup_url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def has_confirmed_device(user) -> bool:
    """Whether the two-factor login will ask this user for a code (a default device)."""
    from two_factor.utils import default_device

    return default_device(user) is not None
