from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()


@register.filter
def money(value, currency: str = "PLN") -> str:
    """1234.5 → "1 234,50 zł" in Polish, "1,234.50 PLN" in English."""
    if value is None or value == "":
        return ""
    text = number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    symbol = "zł" if currency == "PLN" and (get_language() or "pl").startswith("pl") else currency
    return f"{text}\u00a0{symbol}"
