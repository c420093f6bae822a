"""Price list arithmetic: gross prices and what changed between two versions.

Plain values and functions, free of pages and blocks, so the page, its PDF and the
API all read the same numbers.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

GROSZ = Decimal("0.01")
PERCENT_STEP = Decimal("0.1")


class VatRate(models.TextChoices):
    """The Polish VAT rates a price list item may carry; "zw" is exempt."""

    STANDARD = "23", "23%"
    REDUCED = "8", "8%"
    SUPER_REDUCED = "5", "5%"
    ZERO = "0", "0%"
    EXEMPT = "zw", _("zw (exempt)")


def vat_fraction(rate: str) -> Decimal:
    """0.23 for "23"; exempt and zero-rated items carry no VAT."""
    return Decimal(rate) / 100 if rate.isdigit() else Decimal(0)


def gross_price(net: Decimal, rate: str) -> Decimal:
    """Net × (1 + VAT), rounded half up to the grosz as Polish price lists print it."""
    return (Decimal(net) * (1 + vat_fraction(rate))).quantize(GROSZ, rounding=ROUND_HALF_UP)


def format_vat_rate(rate: str) -> str:
    """ "23%" for a percentage; "zw" prints as the code it is."""
    return f"{rate}%" if rate.isdigit() else rate


@dataclass(frozen=True)
class PriceRow:
    """One item of a price list as the tables hold it."""

    item_code: str
    item: str
    unit: str
    net_price: Decimal
    vat_rate: str
    table: str = ""

    @property
    def gross_price(self) -> Decimal:
        return gross_price(self.net_price, self.vat_rate)


@dataclass(frozen=True)
class PriceChange:
    """An item found in both versions: its net price before and after."""

    previous: PriceRow
    current: PriceRow

    @property
    def item_code(self) -> str:
        return self.current.item_code

    @property
    def change(self) -> Decimal:
        return self.current.net_price - self.previous.net_price

    @property
    def change_percent(self) -> Decimal | None:
        """The change of the net price in percent, to one decimal; None from a zero price."""
        if not self.previous.net_price:
            return None
        percent = self.change / self.previous.net_price * 100
        return percent.quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)

    @property
    def direction(self) -> str:
        """ "up", "down" or "same": what a reader scans for first."""
        if self.change > 0:
            return "up"
        return "down" if self.change < 0 else "same"


@dataclass(frozen=True)
class Comparison:
    """A version against the one before it, item by item (matched by item code)."""

    changes: list[PriceChange]
    added: list[PriceRow]
    removed: list[PriceRow]

    @property
    def changed(self) -> list[PriceChange]:
        return [change for change in self.changes if change.direction != "same"]

    @property
    def has_differences(self) -> bool:
        return bool(self.changed or self.added or self.removed)


def compare_price_rows(previous: Iterable[PriceRow], current: Iterable[PriceRow]) -> Comparison:
    """Items of both versions (in the new order), new items, and items no longer offered."""
    previous_by_code = {row.item_code: row for row in previous}
    current_rows = list(current)
    current_codes = {row.item_code for row in current_rows}
    return Comparison(
        changes=[
            PriceChange(previous_by_code[row.item_code], row)
            for row in current_rows
            if row.item_code in previous_by_code
        ],
        added=[row for row in current_rows if row.item_code not in previous_by_code],
        removed=[row for code, row in previous_by_code.items() if code not in current_codes],
    )
