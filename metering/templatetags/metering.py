from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def quantity(value, places: int = 3):
    """A meter value or consumption: at most `places` decimals, trailing zeros dropped."""
    if value is None or value == "":
        return "—"
    value = Decimal(value).quantize(Decimal(1).scaleb(-int(places))).normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return number_format(value, force_grouping=True)
