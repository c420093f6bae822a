"""StreamField blocks of price lists: tariff tables whose rows know their gross price."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.list_block import ListBlockValidationError
from wagtail.blocks.stream_block import StreamBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError

from .pricelists import PriceRow, VatRate, format_vat_rate, gross_price


class TariffRowValue(blocks.StructValue):
    """A row of a tariff table with its gross price worked out, never typed in."""

    @property
    def gross_price(self):
        return gross_price(self["net_price"], self["vat_rate"])

    @property
    def vat_rate_label(self) -> str:
        return format_vat_rate(self["vat_rate"])

    def as_price_row(self, table: str = "") -> PriceRow:
        return PriceRow(
            item_code=self["item_code"].strip(),
            item=self["item"],
            unit=self["unit"],
            net_price=self["net_price"],
            vat_rate=self["vat_rate"],
            table=table,
        )


class TariffRowBlock(blocks.StructBlock):
    item_code = blocks.CharBlock(
        label=_("Item code"),
        max_length=30,
        help_text=_("Matches the item across versions of the price list, e.g. OH-G11."),
    )
    item = blocks.CharBlock(label=_("Item"), max_length=200)
    unit = blocks.CharBlock(label=_("Unit"), max_length=30, help_text=_("e.g. zł/kWh, zł/month"))
    net_price = blocks.DecimalBlock(
        label=_("Net price"), min_value=0, max_digits=12, decimal_places=4
    )
    vat_rate = blocks.ChoiceBlock(label=_("VAT rate"), choices=VatRate.choices, default="23")

    class Meta:
        icon = "form"
        label = _("Item")
        value_class = TariffRowValue

    def get_api_representation(self, value, context=None):
        representation = super().get_api_representation(value, context)
        representation["gross_price"] = str(value.gross_price)
        return representation


class TariffTableValue(blocks.StructValue):
    @property
    def heading(self) -> str:
        """ "G11 — Energia elektryczna": the tariff code first, as customers look it up."""
        return " — ".join(filter(None, [self["tariff_code"], self["title"]]))

    def price_rows(self) -> list[PriceRow]:
        return [row.as_price_row(self.heading) for row in self["rows"]]


class TariffTableBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    tariff_code = blocks.CharBlock(
        label=_("Tariff code"), max_length=20, required=False, help_text=_("e.g. G11, C21")
    )
    rows = blocks.ListBlock(TariffRowBlock(), label=_("Items"), min_num=1)

    class Meta:
        icon = "table"
        label = _("Tariff table")
        value_class = TariffTableValue


class PriceTablesBlock(blocks.StreamBlock):
    """The tables of one price list; an item code appears once in the whole list."""

    tariff_table = TariffTableBlock()

    class Meta:
        min_num = 1

    def clean(self, value):
        value = super().clean(value)
        seen = set()
        errors = {}
        for table_index, child in enumerate(value):
            row_errors = {}
            for row_index, row in enumerate(child.value["rows"]):
                code = row["item_code"].strip()
                if code in seen:
                    row_errors[row_index] = StructBlockValidationError(
                        block_errors={
                            "item_code": ValidationError(
                                _("The item code %(code)s is already used in this price list."),
                                params={"code": code},
                                code="duplicate_item_code",
                            )
                        }
                    )
                seen.add(code)
            if row_errors:
                errors[table_index] = StructBlockValidationError(
                    block_errors={"rows": ListBlockValidationError(block_errors=row_errors)}
                )
        if errors:
            raise StreamBlockValidationError(block_errors=errors)
        return value
