"""Amounts spelled out in Polish, as an invoice prints them after "słownie".

Always Polish, whatever the reader's language: the words are part of the Polish
document, not of the interface.
"""

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

CENT = Decimal("0.01")

# Singular, few (2–4, but not 12–14) and many, for the unit and its hundredth.
CURRENCY_FORMS: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "PLN": (("złoty", "złote", "złotych"), ("grosz", "grosze", "groszy")),
    "EUR": (("euro", "euro", "euro"), ("cent", "centy", "centów")),
}


def plural_form(number: int, forms: tuple[str, str, str]) -> str:
    """The Polish noun form that follows ``number``: 1 złoty, 2 złote, 5 (and 12) złotych."""
    one, few, many = forms
    if number == 1:
        return one
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return few
    return many


def amount_in_words(amount: Decimal, currency: str = "PLN") -> str:
    """Polish words for an amount: Decimal("125.00") is "sto dwadzieścia pięć złotych, zero groszy".

    The hundredths are always spelled, so the sum cannot be read two ways. A negative
    amount (a corrective invoice) starts with "minus". A currency without Polish noun
    forms is named by its code, with the hundredths as a fraction: "dziesięć USD, 05/100".
    """
    if isinstance(amount, float):
        raise TypeError("amount_in_words takes a Decimal, not a float")
    amount = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "minus " if amount < 0 else ""
    units, hundredths = divmod(int(abs(amount) * 100), 100)
    units_words = num2words(units, lang="pl")
    forms = CURRENCY_FORMS.get(currency.upper())
    if forms is None:
        return f"{sign}{units_words} {currency.upper()}, {hundredths:02d}/100"
    major, minor = forms
    return (
        f"{sign}{units_words} {plural_form(units, major)}, "
        f"{num2words(hundredths, lang='pl')} {plural_form(hundredths, minor)}"
    )
