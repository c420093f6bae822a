"""Numbers as Polish documents print them: "1 234,56 zł"."""

from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
CURRENCY_SYMBOLS = {"PLN": "zł"}


def format_number(value: Decimal, places: int = 2, max_places: int | None = None) -> str:
    """Polish style: comma for decimals, a (non-breaking) space between thousands.

    Shows at least ``places`` decimals and at most ``max_places``, so a quantity of
    1.000 prints "1" and a unit price of 0.5432 keeps its four places.
    """
    max_places = max(places, max_places or places)
    value = Decimal(value).quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_HALF_UP)
    whole, _dot, fraction = f"{abs(value):f}".partition(".")
    fraction = fraction.rstrip("0").ljust(places, "0")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = NBSP.join(groups) + (f",{fraction}" if fraction else "")
    return f"-{text}" if value < 0 else text


def format_money(value: Decimal, currency: str = "PLN") -> str:
    """ "1 234,56 zł" for złoty, "1 234,56 EUR" for other currencies."""
    return f"{format_number(value)}{NBSP}{CURRENCY_SYMBOLS.get(currency, currency)}"
