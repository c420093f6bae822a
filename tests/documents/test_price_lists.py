"""Price lists: gross prices, versions, the comparison with the previous version, the PDF."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from pypdf import PdfReader
from wagtail.blocks.stream_block import StreamBlockValidationError
from wagtail.models import PageViewRestriction
from wagtail.test.utils.form_data import nested_form_data, streamfield

from documents.blocks import PriceTablesBlock
from documents.models import PriceListIndexPage, PriceListPage
from documents.pricelists import PriceRow, compare_price_rows, gross_price

pytestmark = pytest.mark.django_db

D = Decimal


def tables(*specs):
    """[(title, tariff code, [(code, item, unit, net, vat), …]), …] as StreamField data."""
    return [
        {
            "type": "tariff_table",
            "value": {
                "title": title,
                "tariff_code": tariff_code,
                "rows": [
                    {"item_code": c, "item": i, "unit": u, "net_price": D(n), "vat_rate": v}
                    for c, i, u, n, v in rows
                ],
            },
        }
        for title, tariff_code, rows in specs
    ]


OLD_ROWS = [
    ("G11-EC", "Energia czynna", "kWh", "0.5000", "23"),
    ("G11-OH", "Opłata handlowa", "mies.", "9.90", "23"),
    ("USL-DUP", "Duplikat faktury", "szt.", "5.00", "23"),
    ("USL-ZERO", "Informacja o zużyciu", "szt.", "0.00", "zw"),
]
NEW_ROWS = [
    ("G11-EC", "Energia czynna", "kWh", "0.5350", "23"),
    ("G11-OH", "Opłata handlowa", "mies.", "9.90", "23"),
    ("USL-ZERO", "Informacja o zużyciu", "szt.", "2.00", "23"),
    ("USL-SPR", "Sprawdzenie licznika", "szt.", "1234.56", "23"),
]


def add_index(parent, slug="cennik", title="Cennik energii"):
    index = PriceListIndexPage(slug=slug, title=title, intro="Wszystkie wersje cennika.")
    parent.add_child(instance=index)
    index.save_revision().publish()
    return index


def add_version(index, slug, effective_from, rows, *, effective_to=None, live=True, title=None):
    version = PriceListPage(
        slug=slug,
        title=title or f"Cennik od {effective_from:%d.%m.%Y}",
        effective_from=effective_from,
        effective_to=effective_to,
        intro="Ceny dla gospodarstw domowych.",
        tables=tables(("Taryfa jednostrefowa", "G11", rows)),
        live=live,
    )
    index.add_child(instance=version)
    if live:
        version.save_revision().publish()
    return version


@pytest.fixture
def price_list(home_page):
    today = date.today()
    index = add_index(home_page)
    return SimpleNamespace(
        index=index,
        old=add_version(index, "stary", today - timedelta(days=400), OLD_ROWS),
        current=add_version(index, "obecny", today - timedelta(days=30), NEW_ROWS),
        future=add_version(index, "przyszly", today + timedelta(days=40), NEW_ROWS),
        draft=add_version(index, "szkic", today + timedelta(days=90), NEW_ROWS, live=False),
    )


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


# Gross prices


@pytest.mark.parametrize(
    ("net", "rate", "gross"),
    [
        ("0.5350", "23", "0.66"),  # 0.658050
        ("1.50", "23", "1.85"),  # 1.845 exactly: half up, not to even
        ("10.00", "8", "10.80"),
        ("3.33", "5", "3.50"),  # 3.4965
        ("4.994", "0", "4.99"),
        ("4.995", "zw", "5.00"),
        ("1234.56", "23", "1518.51"),  # 1518.5088
    ],
)
def test_gross_is_net_with_vat_rounded_half_up_to_the_grosz(net, rate, gross):
    assert gross_price(D(net), rate) == D(gross)


def test_rows_of_the_page_carry_their_gross_price(price_list):
    page = PriceListPage.objects.get(pk=price_list.current.pk)
    rows = {row.item_code: row for row in page.price_rows()}
    assert rows["G11-EC"].gross_price == D("0.66")
    assert rows["USL-SPR"].gross_price == D("1518.51")
    assert rows["G11-EC"].table == "G11 — Taryfa jednostrefowa"
    block_row = page.tables[0].value["rows"][0]
    assert block_row.gross_price == D("0.66")


def test_the_page_shows_net_and_gross_prices(client, price_list):
    html = flat(client.get(price_list.current.url).content.decode())
    row = re.search(r'<tr id="item-usl-spr">(.*?)</tr>', html).group(1)
    assert "1 234,56 zł" in row
    assert "1 518,51 zł" in row
    assert "23%" in row
    energy = re.search(r'<tr id="item-g11-ec">(.*?)</tr>', html).group(1)
    assert "0,535 zł" in energy
    assert "0,66 zł" in energy


# Comparison


def rows_of(specs):
    return [PriceRow(c, i, u, D(n), v) for c, i, u, n, v in specs]


def test_comparison_matches_items_by_code():
    comparison = compare_price_rows(rows_of(OLD_ROWS), rows_of(NEW_ROWS))
    changes = {change.item_code: change for change in comparison.changes}
    assert list(changes) == ["G11-EC", "G11-OH", "USL-ZERO"]
    assert changes["G11-EC"].previous.net_price == D("0.5000")
    assert changes["G11-EC"].current.net_price == D("0.5350")
    assert changes["G11-EC"].change_percent == D("7.0")
    assert changes["G11-EC"].direction == "up"
    assert changes["G11-OH"].change_percent == D("0.0")
    assert changes["G11-OH"].direction == "same"
    # From a free item there is no percentage to give.
    assert changes["USL-ZERO"].change_percent is None
    assert [change.item_code for change in comparison.changed] == ["G11-EC", "USL-ZERO"]
    assert [row.item_code for row in comparison.added] == ["USL-SPR"]
    assert [row.item_code for row in comparison.removed] == ["USL-DUP"]
    assert comparison.has_differences


def test_a_cut_is_a_negative_percentage_rounded_half_up():
    before = rows_of([("X", "x", "kWh", "0.3900", "23")])
    after = rows_of([("X", "x", "kWh", "0.3700", "23")])
    change = compare_price_rows(before, after).changes[0]
    assert change.change_percent == D("-5.1")  # -5.128…
    assert change.direction == "down"
    assert not compare_price_rows(before, before).has_differences


def test_the_version_page_compares_with_the_previous_version(client, price_list):
    html = flat(client.get(price_list.current.url).content.decode())
    assert 'id="comparison"' in html
    assert f'href="{price_list.old.url}"' in html
    change = re.search(r'<tr class="change change--up" id="change-g11-ec">(.*?)</tr>', html)
    assert "0,50 zł" in change.group(1)
    assert "0,535 zł" in change.group(1)
    assert "+7,0%" in change.group(1)
    assert 'id="change-g11-oh"' in html and "change--same" in html
    assert 'id="added-usl-spr"' in html
    assert 'id="removed-usl-dup"' in html


def test_the_first_version_has_nothing_to_compare_with(client, price_list):
    html = client.get(price_list.old.url).content.decode()
    assert 'id="comparison"' not in html


def test_a_draft_is_never_the_previous_version(client, price_list):
    later = add_version(price_list.index, "pozniej", date.today() + timedelta(days=200), OLD_ROWS)
    assert later.previous_version(None) == price_list.future
    html = client.get(later.url).content.decode()
    assert f'href="{price_list.future.url}"' in html


# PDF


def test_pdf_of_a_version_reads_back_with_its_title_rows_and_polish_money(client, price_list):
    response = client.get(price_list.current.url + "pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{price_list.current.slug}-" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title == price_list.current.title
    text = flat("\n".join(page.extract_text() for page in reader.pages))
    assert price_list.current.title in text
    assert "G11 — Taryfa jednostrefowa" in text
    assert "Sprawdzenie licznika" in text
    assert "1 234,56 zł" in text
    assert "1 518,51 zł" in text
    assert "0,535 zł" in text
    assert "0,66 zł" in text
    # The house pages: the issuer in the footer, as on an invoice.
    assert "Okienko Energia Sp. z o.o." in text
    assert "526-025-02-74" in text


def test_pdf_link_is_on_the_page(client, price_list):
    html = client.get(price_list.current.url).content.decode()
    assert f'href="{price_list.current.url}pdf/"' in html


# Versions


def test_index_lists_the_current_version_and_every_past_and_future_one(client, price_list):
    html = flat(client.get(price_list.index.url).content.decode())
    current = re.search(r'<section [^>]*id="current-version".*?</section>', html).group(0)
    assert price_list.current.url in current
    past = re.search(r'<ul [^>]*id="past-versions">(.*?)</ul>', html).group(1)
    assert price_list.old.url in past
    # A past version without an end date lasted until the day before the next one.
    until = price_list.current.effective_from - timedelta(days=1)
    assert until.strftime("%d-%m-%Y") in past  # Polish SHORT_DATE_FORMAT
    future = re.search(r'<ul [^>]*id="future-versions">(.*?)</ul>', html).group(1)
    assert price_list.future.url in future
    assert price_list.draft.slug not in html


def test_current_version_respects_an_end_date(client, home_page):
    today = date.today()
    index = add_index(home_page)
    ended = add_version(
        index, "zakonczony", today - timedelta(days=60), OLD_ROWS, effective_to=today - timedelta(1)
    )
    html = client.get(index.url).content.decode()
    assert 'id="no-current-version"' in html
    assert ended.url in html
    assert list(PriceListPage.objects.effective_on(today)) == []
    assert list(PriceListPage.objects.effective_on(today - timedelta(days=1))) == [ended]


def test_index_leaves_out_versions_the_reader_may_not_open(client, price_list):
    restriction = PageViewRestriction.objects.create(
        page=price_list.future, restriction_type=PageViewRestriction.LOGIN
    )
    html = client.get(price_list.index.url).content.decode()
    assert price_list.future.url not in html
    restriction.delete()
    assert price_list.future.url in client.get(price_list.index.url).content.decode()


# Bad input


def test_a_version_cannot_end_before_it_starts(price_list):
    price_list.current.effective_to = price_list.current.effective_from - timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        price_list.current.full_clean()
    assert "effective_to" in error.value.message_dict


def test_an_item_code_is_used_once_in_a_price_list():
    block = PriceTablesBlock()
    value = block.to_python(
        tables(
            ("A", "G11", [OLD_ROWS[0], OLD_ROWS[1]]),
            ("B", "G12", [OLD_ROWS[2], OLD_ROWS[0]]),
        )
    )
    with pytest.raises(StreamBlockValidationError) as error:
        block.clean(value)
    rows = error.value.block_errors[1].block_errors["rows"]
    assert list(rows.block_errors) == [1]
    assert "item_code" in rows.block_errors[1].block_errors


def _row_form(code, net, vat="23"):
    return {
        "value": {
            "item_code": code,
            "item": "Pozycja",
            "unit": "kWh",
            "net_price": net,
            "vat_rate": vat,
        },
        "deleted": "",
        "order": "0",
        "id": "",
    }


def _admin_form(title, effective_from, *, effective_to="", rows=None):
    rows = rows or [_row_form("G11-EC", "0.50")]
    listed = {"count": str(len(rows))}
    listed.update({str(n): dict(row, order=str(n)) for n, row in enumerate(rows)})
    return nested_form_data(
        {
            "title": title,
            "slug": re.sub(r"\W+", "-", title.lower()).strip("-"),
            "effective_from": effective_from,
            "effective_to": effective_to,
            "intro": "",
            "tables": streamfield(
                [("tariff_table", {"title": "Taryfa", "tariff_code": "G11", "rows": listed})]
            ),
            "action-publish": "action-publish",
        }
    )


def test_admin_refuses_bad_versions_with_a_message_and_creates_nothing(staff_client, price_list):
    add_url = f"/admin/pages/add/documents/pricelistpage/{price_list.index.pk}/"
    count = PriceListPage.objects.count()
    bad = [
        # Two versions may not take effect on the same day.
        _admin_form("Duplikat daty", price_list.current.effective_from.isoformat()),
        # An end before the start.
        _admin_form("Koniec przed", "2031-01-01", effective_to="2030-12-31"),
        # One item code twice.
        _admin_form(
            "Dwa kody", "2031-01-01", rows=[_row_form("G11-EC", "0.5"), _row_form("G11-EC", "0.6")]
        ),
        # A negative price.
        _admin_form("Ujemna", "2031-01-01", rows=[_row_form("G11-EC", "-1")]),
    ]
    for data in bad:
        response = staff_client.post(add_url, data)
        assert response.status_code == 200, data["title"]
        assert response.context["form"].errors or response.context["form"].non_field_errors()
    assert PriceListPage.objects.count() == count

    response = staff_client.post(add_url, _admin_form("Cennik 2031", "2031-01-01"))
    assert response.status_code == 302
    created = PriceListPage.objects.get(slug="cennik-2031")
    assert created.live
    assert created.price_rows()[0].gross_price == D("0.62")


# Demo


def test_demo_seeds_two_household_versions_and_a_private_business_list(client):
    call_command("seed_demo")
    households = PriceListIndexPage.objects.get(slug="cennik")
    versions = PriceListPage.objects.child_of(households).live().order_by("effective_from")
    assert versions.count() == 2
    old, new = versions
    comparison = new.comparison_with(old)
    assert comparison.changed and comparison.added and comparison.removed
    business = PriceListIndexPage.objects.get(slug="cennik-dla-firm")
    restriction = business.get_view_restrictions().get()
    assert restriction.restriction_type == PageViewRestriction.GROUPS
    assert list(restriction.groups.values_list("segment__code", flat=True)) == ["business"]
    assert client.get(new.url).status_code == 200
    assert client.get(new.url + "pdf/").status_code == 200

    pages = PriceListPage.objects.count()
    call_command("seed_demo")
    assert PriceListPage.objects.count() == pages
