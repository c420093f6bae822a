"""Columns of an import file: how one value is read and checked, with what the docs print."""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from stdnum.pl import nip, regon

from customers.validators import compact_bank_account

TRUE = {"1", "true", "t", "yes", "y", "tak"}
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
        if isinstance(value, str):
            value = value.strip()
        if value is None:
            value = ""
        if self.references is not None or self.file:
            return str(value) if value != "" else None
        model_field = self.model_field()
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
