"""Password rules: long enough, not too long for the hasher, never a known-breached one."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from pwned_passwords_django import api
from pwned_passwords_django.validators import PwnedPasswordsValidator


class MaximumLengthValidator:
    """Caps the length so a megabyte "password" cannot keep Argon2 busy."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max)d character.",
                    "This password is too long. It must contain at most %(max)d characters.",
                    self.max_length,
                )
                % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password can contain at most %(max)d character.",
            "Your password can contain at most %(max)d characters.",
            self.max_length,
        ) % {"max": self.max_length}


class _RangeClient(api.PwnedPasswords):
    """The Pwned Passwords client, at the endpoint the settings name."""

    def __init__(self, endpoint: str):
        super().__init__()
        self.api_endpoint = endpoint


class BreachedPasswordValidator(PwnedPasswordsValidator):
    """Refuses passwords seen in breaches (range API); offline, Django's common-password list."""

    default_error_message = _(
        "This password has appeared in a data breach or is too common. Choose another."
    )

    def validate(self, password: str, user=None) -> None:
        # Validators live as long as the process; the endpoint is read on each check.
        endpoint = settings.PWNED_PASSWORDS_ENDPOINT
        if not endpoint:
            self.fallback_validator.validate(password, user)
            return
        if getattr(self.api_client, "api_endpoint", None) != endpoint:
            self.api_client = _RangeClient(endpoint)
        super().validate(password, user)
