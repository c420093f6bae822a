"""Prices as the reader's language writes them: "0,6212 zł" in Polish, "0.6212 PLN" in English."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()


def _currency(currency: str) -> str:
    return "zł" if currency == "PLN" and (get_language() or "pl").startswith("pl") else currency


@register.filter
def price(value, currency: str = "PLN") -> str:
    """A unit price with two to four decimals, as many as it has."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    places = min(max(-value.normalize().as_tuple().exponent, 2), 4)
    text = number_format(value, places, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{_currency(currency)}"


@register.filter
def percent_change(value) -> str:
    """+12,5% / −3,0% / 0,0%: the sign always shown, one decimal."""
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    text = number_format(abs(value), 1, use_l10n=True)
    sign = "+" if value > 0 else "\u2212" if value < 0 else ""
    return f"{sign}{text}%"
