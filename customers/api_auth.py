"""Personal access tokens on the REST API: `Authorization: Bearer okn_…` (or `Token okn_…`).

A token stands for its user, so the gate (`active_membership`) picks the user's
remembered customer, else the first, exactly as for a browser session. A read token
reaches only safe methods. Requests with a token carry no cookie, so they need no
CSRF token; session requests keep DRF's CSRF check.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .models import PersonalAccessToken
from .models.tokens import TOKEN_PREFIX, hash_token

KEYWORDS = ("bearer", "token")
LAST_USED_PRECISION = timedelta(minutes=1)
READ_ONLY_MESSAGE = _("This token may only read. Create a token with write access to change data.")


class PersonalAccessTokenAuthentication(authentication.BaseAuthentication):
    """Finds the user by the hash of a usable token; `request.auth` is the token."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as: Bearer okn_…"))
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        if not raw.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        token = (
            PersonalAccessToken.objects.usable()
            .select_related("user")
            .filter(token_hash=hash_token(raw))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The token is not valid, has expired or has been revoked.")
            )
        if token.scope != token.Scope.WRITE and request.method not in permissions.SAFE_METHODS:
            # Here rather than as a permission class: it holds for every view, also for
            # those that set their own `permission_classes`.
            raise exceptions.PermissionDenied(READ_ONLY_MESSAGE)
        self.touch(token)
        return token.user, token

    @staticmethod
    def touch(token: PersonalAccessToken) -> None:
        """Record the use at most once a minute: one conditional UPDATE, none in between."""
        now = timezone.now()
        if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
            return
        PersonalAccessToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the tokens: HTTP bearer."""

    target_class = "customers.api_auth.PersonalAccessTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "okn_…"}
