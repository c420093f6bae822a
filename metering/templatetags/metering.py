from django import template

from metering.formats import format_quantity

register = template.Library()


@register.filter
def quantity(value, places: int = 3):
    """A meter value or consumption: at most `places` decimals, trailing zeros dropped."""
    return format_quantity(value, places)
