"""Columns of an import file: how one value is read and checked, with what the docs print."""

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import models
from django.utils.translation import gettext as _
from stdnum.pl import nip, regon

from customers.validators import compact_bank_account

TRUE = {"1", "true", "t", "yes", "y", "tak"}
SLOW = object()
COMPACTED = {"nip", "regon", "bank_account", "refund_bank_account"}
FALSE = {"0", "false", "f", "no", "n", "nie", ""}


def parse_decimal(value: Any) -> Any:
    """'1 234,56', '1234,56' and '1234.56' are the same amount."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).replace("\u00a0", "").replace(" ", "")
    if "," in text:
        if "." in text:
            raise ValidationError(_("Write amounts as 1234,56 or 1234.56."))
        text = text.replace(",", ".")
    if text == "":
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Not a number: %(value)s") % {"value": value}) from None


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValidationError(_("Write 1 or 0 (true or false)."))


@dataclass
class Column:
    """One column; `field` names the model field it fills (its validation applies)."""

    name: str
    required: bool = False
    field: str | None = None
    example: str = ""
    note: str = ""
    references: type | None = None
    file: bool = False
    model: type | None = dataclasses.field(default=None, repr=False)
    _fast: Any = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def model_field(self) -> models.Field | None:
        if self.model is None or self.references is not None or self.file:
            return None
        return self.model._meta.get_field(self.field or self.name)

    def format_description(self) -> str:
        if self.references is not None:
            return f"external_id ({self.references._meta.verbose_name})"
        if self.file:
            return "PDF file name (in the ZIP or the file's folder)"
        model_field = self.model_field()
        if model_field is None:
            return self.note
        if model_field.choices:
            return " / ".join(str(choice[0]) for choice in model_field.choices)
        if isinstance(model_field, models.DecimalField):
            return "1234,56 / 1234.56"
        if isinstance(model_field, models.DateField):
            return "YYYY-MM-DD"
        if isinstance(model_field, models.BooleanField):
            return "1 / 0"
        if getattr(model_field, "max_length", None):
            return f"text ≤ {model_field.max_length}"
        return ""

    def clean(self, value: Any) -> Any:
        """The Python value for the model, or ValidationError with the reason."""
        if self._fast is None:
            self._fast = fast_cleaner(self.model_field()) if self.name else False
            if (self.field or self.name) in COMPACTED:
                self._fast = False
        if self._fast:
            cleaned = self._fast(value)
            if cleaned is not SLOW:
                return cleaned
        if isinstance(value, str):
            value = value.strip()
            if "\x00" in value:
                # PostgreSQL cannot store it; refused alike on every database.
                raise ValidationError(_("Null characters are not allowed."))
        if value is None:
            value = ""
        if self.references is not None or self.file:
            return str(value) if value != "" else None
        model_field = self.model_field()
        if value == "" and model_field.null and not isinstance(model_field, models.CharField):
            return None
        if isinstance(model_field, models.BooleanField):
            return parse_bool(value)
        if isinstance(model_field, models.DecimalField):
            value = parse_decimal(value)
            if value is None:
                if model_field.has_default():
                    return model_field.get_default()
                value = ""
        elif isinstance(value, int | float):
            value = str(value)
        name = self.field or self.name
        if name == "nip" and value:
            value = nip.compact(value)
        elif name == "regon" and value:
            value = regon.compact(value)
        elif name in ("bank_account", "refund_bank_account") and value:
            value = compact_bank_account(value)
        if (
            value == ""
            and model_field.has_default()
            and not isinstance(model_field, models.CharField)
        ):
            return model_field.get_default()
        if value == "" and isinstance(model_field, models.CharField) and model_field.has_default():
            default = model_field.get_default()
            if default:
                return default
        value = model_field.clean(value, None)
        if model_field.null and value == "":
            return None
        return value


def fast_cleaner(model_field):
    """A quick check for the common, valid value of a plain field, or None.

    It accepts only what the field's own clean() accepts and gives the same value; for
    anything else (an empty cell, an error) it answers SLOW and clean() takes the long
    way, with Django's messages. Imports of a million rows spend most of their time here.
    """
    if model_field is None:
        return None
    kind = type(model_field)
    if kind is models.CharField:
        max_length = model_field.max_length
        choices = (
            {str(choice[0]) for choice in model_field.choices} if model_field.choices else None
        )

        def clean_text(value):
            if type(value) is not str:
                return SLOW
            value = value.strip()
            if not value or len(value) > max_length or "\x00" in value:
                return SLOW
            if choices is not None and value not in choices:
                return SLOW
            return value

        return clean_text
    if kind is models.DecimalField:
        whole = model_field.max_digits - model_field.decimal_places
        if whole < 1 or model_field.decimal_places < 1:
            return None
        plain = re.compile(rf"-?[0-9]{{1,{whole}}}(?:[.,][0-9]{{1,{model_field.decimal_places}}})?")
        checks = [v for v in model_field.validators if not isinstance(v, DecimalValidator)]

        def clean_decimal(value):
            if type(value) is not str:
                return SLOW
            value = value.strip()
            if not plain.fullmatch(value):
                return SLOW
            number = Decimal(value.replace(",", "."))
            try:
                for check in checks:
                    check(number)
            except ValidationError:
                return SLOW
            return number

        return clean_decimal
    if kind is models.DateField:
        checks = list(model_field.validators)

        def clean_date(value):
            if type(value) is not str:
                return SLOW
            value = value.strip()
            if len(value) != 10 or value[4] != "-" or value[7] != "-":
                return SLOW
            try:
                day = date.fromisoformat(value)
                for check in checks:
                    check(day)
            except (ValueError, ValidationError):
                return SLOW
            return day

        return clean_date
    if kind in (models.PositiveSmallIntegerField, models.PositiveIntegerField, models.IntegerField):
        checks = list(model_field.validators)
        choices = {choice[0] for choice in model_field.choices} if model_field.choices else None

        def clean_integer(value):
            if type(value) is not str:
                return SLOW
            value = value.strip()
            if not value.isascii() or not value.isdigit() or len(value) > 9:
                return SLOW
            number = int(value)
            if choices is not None and number not in choices:
                return SLOW
            try:
                for check in checks:
                    check(number)
            except ValidationError:
                return SLOW
            return number

        return clean_integer
    return None
