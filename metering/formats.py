from decimal import Decimal

from django.utils.formats import number_format


def tidy(value: Decimal, places: int = 3) -> Decimal:
    """At most `places` decimals and no trailing zeros: 110.0000000 → 110, 5.120 → 5.12."""
    value = Decimal(value).quantize(Decimal(1).scaleb(-places)).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


def format_quantity(value, places: int = 3) -> str:
    """A meter value or consumption as people read it, grouped: 13 600 or 5,12."""
    if value is None or value == "":
        return "—"
    return number_format(tidy(Decimal(value), int(places)), force_grouping=True)
