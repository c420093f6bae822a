"""Session limits and the second-factor requirement, enforced on every request."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .gate import request_memberships
from .models import Membership

SESSION_LOGIN_TIME = "okienko_login_time"
SESSION_RENEWED = "okienko_renewed"


class SessionLimitsMiddleware:
    """Ends a session that began more than SESSION_ABSOLUTE_TIMEOUT ago, active or not,
    and renews the idle limit (the session's age) of a signed-in user's session.

    The renewal is written at most once per SESSION_RENEW_AFTER seconds instead of on
    every request (a database write and a cache write each time): the idle limit is then
    exact to within that much, and most requests write nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_LOGIN_TIME)
            if started is None:
                request.session[SESSION_LOGIN_TIME] = now
            elif now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                return redirect(
                    f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.path})}"
                )
            renewed = request.session.get(SESSION_RENEWED, 0)
            if now - renewed >= settings.SESSION_RENEW_AFTER:
                request.session[SESSION_RENEWED] = now
        return self.get_response(request)


def requires_two_factor(user, memberships: list[Membership] | None = None) -> bool:
    """Staff always; customers' users when a segment of one of their customers says so.

    `memberships` from the gate (`request_memberships`) answer it without a query of its own.
    """
    if user.is_staff or user.is_superuser:
        return True
    if memberships is not None:
        return any(m.requires_two_factor for m in memberships)
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
            and requires_two_factor(user, request_memberships(request))
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
