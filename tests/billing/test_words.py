"""Amounts in words: Polish plural forms, grosze always spelled, no float on the way."""

from decimal import Decimal

import pytest

from billing.words import amount_in_words


@pytest.mark.parametrize(
    "amount, words",
    [
        ("0.01", "zero złotych, jeden grosz"),
        ("0.00", "zero złotych, zero groszy"),
        ("1", "jeden złoty, zero groszy"),
        ("2", "dwa złote, zero groszy"),
        ("5", "pięć złotych, zero groszy"),
        ("12", "dwanaście złotych, zero groszy"),
        ("13.13", "trzynaście złotych, trzynaście groszy"),
        ("22.22", "dwadzieścia dwa złote, dwadzieścia dwa grosze"),
        ("125.00", "sto dwadzieścia pięć złotych, zero groszy"),
        ("1001.99", "tysiąc jeden złotych, dziewięćdziesiąt dziewięć groszy"),
        ("1000000", "milion złotych, zero groszy"),
        ("123.45", "sto dwadzieścia trzy złote, czterdzieści pięć groszy"),
    ],
)
def test_polish_words_and_plural_forms(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_a_negative_amount_starts_with_minus():
    assert amount_in_words(Decimal("-123.00")) == "minus sto dwadzieścia trzy złote, zero groszy"


def test_minus_zero_is_zero():
    assert amount_in_words(Decimal("-0.00")) == "zero złotych, zero groszy"


def test_grosze_are_exact_where_a_float_would_drift():
    # 0.29 * 100 is 28.999999999999996 as a float.
    assert amount_in_words(Decimal("0.29")) == "zero złotych, dwadzieścia dziewięć groszy"
    assert amount_in_words(Decimal("1.005")) == "jeden złoty, jeden grosz"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        amount_in_words(1.5)  # type: ignore[arg-type]


def test_euro_is_invariable():
    assert amount_in_words(Decimal("2.02"), "EUR") == "dwa euro, dwa centy"


def test_other_currencies_fall_back_to_the_code():
    assert amount_in_words(Decimal("10.05"), "USD") == "dziesięć USD, 05/100"
