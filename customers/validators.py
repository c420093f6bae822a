"""Validators for Polish business identifiers and bank accounts (python-stdnum)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import iban
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.pl import nip, regon


def validate_nip(value: str) -> None:
    try:
        nip.validate(value)
    except StdnumValidationError as error:
        raise ValidationError(
            _("Enter a valid NIP (10 digits with a correct checksum).")
        ) from error


def validate_regon(value: str) -> None:
    try:
        regon.validate(value)
    except StdnumValidationError as error:
        raise ValidationError(_("Enter a valid REGON (9 or 14 digits).")) from error


def validate_bank_account(value: str) -> None:
    """A Polish NRB (26 digits) or any IBAN."""
    try:
        iban.validate(value if value.strip()[:2].isalpha() else f"PL{value}")
    except StdnumValidationError as error:
        raise ValidationError(
            _("Enter a valid bank account number (NRB of 26 digits or IBAN).")
        ) from error


def compact_bank_account(value: str) -> str:
    """Store accounts as a compact IBAN: a bare NRB gets the PL prefix."""
    if not value:
        return ""
    value = iban.compact(value)
    return value if value[:2].isalpha() else f"PL{value}"


def format_bank_account(value: str) -> str:
    """Group an account as Polish statements print it: 61 1090 1014 …"""
    digits = value.removeprefix("PL") if value else ""
    if not digits:
        return ""
    return " ".join([digits[:2]] + [digits[i : i + 4] for i in range(2, len(digits), 4)])


def validate_mobile_phone(value: str) -> None:
    """A phone an SMS can reach: 9 digits, or a + and 8–15 digits; spaces and dashes allowed."""
    import re

    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"(\+\d{8,15}|\d{9})", digits):
        raise ValidationError(
            _("Enter a mobile number, e.g. 600 100 200 or +48 600 100 200."), code="invalid"
        )
