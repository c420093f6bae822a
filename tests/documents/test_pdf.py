"""The PDF kit: Polish letters survive, data never becomes markup, addresses hit the window."""

import io
from types import SimpleNamespace

import pytest
from django.utils import translation
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.fonts import tt2ps
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from documents.pdf import (
    FONT,
    FONT_BOLD,
    Company,
    Letter,
    data_table,
    paragraph,
    register_fonts,
    render_document,
    render_letters,
)

POLISH = "ą ć ę ł ń ó ś ź ż Ą Ć Ę Ł Ń Ó Ś Ź Ż"
CODE = "K7QF-2M9X"
MARKUP = "<b>x</b> & <script>"
PAGE_HEIGHT = 297 * mm
# DIN 5008 type B window, in PDF points measured from the bottom-left corner.
WINDOW_LEFT, WINDOW_RIGHT = 20 * mm, 105 * mm
WINDOW_TOP, WINDOW_BOTTOM = PAGE_HEIGHT - 45 * mm, PAGE_HEIGHT - 90 * mm


@pytest.fixture
def company():
    return Company(
        name="Okienko Energia Sp. z o.o.",
        street="ul. Elektryczna 12",
        postal_code="00-950",
        city="Warszawa",
        nip="526-025-02-74",
        regon="012345675",
        bank_account="61 1090 1014 0000 0712 1981 2874",
        phone="+48 22 100 20 30",
        email="bok@example.pl",
    )


def make_letter(name: str, *, paragraphs=None, subject="Kod aktywacyjny do eBOK") -> Letter:
    return Letter(
        recipient_name=name,
        recipient_lines=["ul. Źródlana 7 m. 3", "90-001 Łódź"],
        place_and_date="Warszawa, 3 czerwca 2025 r.",
        subject=subject,
        paragraphs=paragraphs
        if paragraphs is not None
        else [f"Szanowni Państwo, litery: {POLISH}.", "Kod jest ważny przez 30 dni."],
        highlight=[("Kod aktywacyjny", CODE), ("Ważny do", "3 lipca 2025 r.")],
        closing="Z poważaniem\nBiuro Obsługi Klienta",
    )


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def placed_text(page) -> list[tuple[str, float, float]]:
    """Each text run of the page with where it starts, in PDF points."""
    runs = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((text.strip(), x, y))

    page.extract_text(visitor_text=visit)
    return runs


def position_of(page, text: str) -> tuple[float, float]:
    matches = [(x, y) for run, x, y in placed_text(page) if run == text]
    assert len(matches) == 1, f"{text!r} is printed {len(matches)} times"
    return matches[0]


def in_window(x: float, y: float) -> bool:
    return WINDOW_LEFT <= x <= WINDOW_RIGHT and WINDOW_BOTTOM <= y <= WINDOW_TOP


def font_names(reader: PdfReader) -> set[str]:
    """BaseFont names without the subset tag: "/AAAAAA+Roboto-Bold" is "Roboto-Bold"."""
    return {
        font.get_object()["/BaseFont"].removeprefix("/").split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def test_register_fonts_is_idempotent_and_maps_the_family():
    register_fonts()
    register_fonts()
    assert "Roboto" in pdfmetrics.getFont(FONT).face.name.decode()
    assert tt2ps(FONT, 1, 0) == FONT_BOLD
    assert tt2ps(FONT, 1, 1) == "Okienko-BoldItalic"


def test_two_letters_make_two_pages(company):
    reader = read(render_letters(company, [make_letter("Zofia Łęcka"), make_letter("Jan Żółć")]))
    assert len(reader.pages) == 2


@pytest.mark.parametrize("page_number, name", [(0, "Zofia Łęcka"), (1, "Jan Żółć")])
def test_each_page_carries_its_recipient_the_code_and_the_company(company, page_number, name):
    reader = read(render_letters(company, [make_letter("Zofia Łęcka"), make_letter("Jan Żółć")]))
    text = reader.pages[page_number].extract_text()
    assert name in text
    assert POLISH in text
    assert CODE in text
    assert "526-025-02-74" in text
    assert "61 1090 1014 0000 0712 1981 2874" in text


def test_only_the_embedded_roboto_family_is_used(company):
    reader = read(render_letters(company, [make_letter("Zofia Łęcka")]))
    assert font_names(reader) == {"Roboto-Regular", "Roboto-Bold"}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            assert "/FontFile2" in font.get_object()["/FontDescriptor"], "TTF not embedded"


def test_markup_in_data_prints_literally(company):
    letter = Letter(
        recipient_name=f"Firma {MARKUP}",
        recipient_lines=["ul. Kwiatowa 1 & 2"],
        place_and_date="Kraków, 1 lipca 2025 r.",
        subject=f"Temat {MARKUP}",
        paragraphs=[f"Treść {MARKUP} bez znaczników."],
        closing="Pozdrawiamy </para>",
    )
    text = read(render_letters(company, [letter])).pages[0].extract_text()
    assert f"Firma {MARKUP}" in text
    assert f"Temat {MARKUP}" in text
    assert f"Treść {MARKUP} bez znaczników." in text
    assert "ul. Kwiatowa 1 & 2" in text
    assert "Pozdrawiamy </para>" in text


def test_the_address_sits_in_the_envelope_window(company):
    reader = read(render_letters(company, [make_letter("Zofia Łęcka"), make_letter("Jan Żółć")]))
    for page, name in zip(reader.pages, ["Zofia Łęcka", "Jan Żółć"], strict=True):
        name_x, name_y = position_of(page, name)
        assert in_window(name_x, name_y), (name_x, name_y)
        for line in ["ul. Źródlana 7 m. 3", "90-001 Łódź"]:
            x, y = position_of(page, line)
            assert in_window(x, y), (line, x, y)
            assert y < name_y
        # The sender's return line is in the window too, in small type above the address.
        return_x, return_y = position_of(
            page, "Okienko Energia Sp. z o.o., ul. Elektryczna 12, 00-950 Warszawa"
        )
        assert in_window(return_x, return_y)
        assert return_y > name_y


def test_a_long_letter_runs_over_and_the_next_starts_on_a_fresh_page(company):
    long_text = [f"Akapit {n}: {POLISH}. " * 6 for n in range(60)]
    letters = [make_letter("Zofia Łęcka", paragraphs=long_text), make_letter("Jan Żółć")]
    reader = read(render_letters(company, letters))
    assert len(reader.pages) > 2
    last = reader.pages[-1]
    assert "Jan Żółć" in last.extract_text()
    assert in_window(*position_of(last, "Jan Żółć"))
    assert all("Jan Żółć" not in page.extract_text() for page in reader.pages[:-1])


def test_an_empty_batch_is_refused(company):
    with pytest.raises(ValueError):
        render_letters(company, [])


def test_the_footer_speaks_the_active_language(company):
    with translation.override("en"):
        english = read(render_letters(company, [make_letter("Zofia Łęcka")])).pages[0]
    with translation.override("pl"):
        polish = read(render_letters(company, [make_letter("Zofia Łęcka")])).pages[0]
    assert "Bank account: 61 1090" in english.extract_text()
    assert "Rachunek bankowy: 61 1090" in polish.extract_text()


def test_a_document_is_numbered_page_x_of_y(company):
    rows = [[f"Usługa {n} — opłata stała", "12,30 zł"] for n in range(120)]
    story = [
        paragraph("Cennik usług"),
        data_table(["Nazwa usługi", "Cena"], rows, numeric_columns=[1]),
    ]
    with translation.override("en"):
        reader = read(render_document(company, story, title="Cennik"))
    total = len(reader.pages)
    assert total > 1
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Page {number} of {total}" in text
        assert "Nazwa usługi" in text  # the header row repeats on every page
        assert "526-025-02-74" in text
    assert reader.metadata.title == "Cennik"
    assert font_names(reader) <= {"Roboto-Regular", "Roboto-Bold"}


class _StorageWithoutPath:
    @property
    def path(self):
        raise NotImplementedError("This backend doesn't support absolute paths.")


def company_settings(logo=None):
    return SimpleNamespace(
        name="Okienko Energia Sp. z o.o.",
        street="ul. Elektryczna 12",
        postal_code="00-950",
        city="Warszawa",
        nip="5260250274",
        formatted_nip="526-025-02-74",
        regon="012345675",
        bank_account="PL61109010140000071219812874",
        formatted_bank_account="61 1090 1014 0000 0712 1981 2874",
        phone="+48 22 100 20 30",
        email="bok@example.pl",
        logo=logo,
    )


def test_company_from_settings_takes_the_formatted_numbers():
    company = Company.from_settings(company_settings())
    assert company.nip == "526-025-02-74"
    assert company.bank_account == "61 1090 1014 0000 0712 1981 2874"
    assert company.logo_path is None


def test_company_from_settings_skips_a_logo_without_a_local_file():
    logo = SimpleNamespace(file=_StorageWithoutPath())
    assert Company.from_settings(company_settings(logo)).logo_path is None


def test_the_logo_is_drawn_in_the_letterhead(tmp_path):
    path = tmp_path / "logo.png"
    Image.new("RGB", (240, 80), "navy").save(path)
    company = Company.from_settings(
        company_settings(SimpleNamespace(file=SimpleNamespace(path=path)))
    )
    assert company.logo_path == path
    page = read(render_letters(company, [make_letter("Zofia Łęcka")])).pages[0]
    images = page["/Resources"]["/XObject"].values()
    assert [image.get_object()["/Subtype"] for image in images] == ["/Image"]
    assert "Okienko Energia Sp. z o.o." in page.extract_text()


def test_a_long_address_shrinks_to_stay_in_the_window(company):
    lines = [f"Linia adresu {n} z długim dopiskiem: Spółdzielnia Mieszkaniowa" for n in range(8)]
    letter = Letter(
        recipient_name="Zofia Łęcka",
        recipient_lines=lines,
        place_and_date="Warszawa, 3 czerwca 2025 r.",
        subject="Zawiadomienie",
        paragraphs=["Treść."],
    )
    page = read(render_letters(company, [letter])).pages[0]
    assert in_window(*position_of(page, "Zofia Łęcka"))
    for run, x, y in placed_text(page):
        if run.startswith("Linia adresu"):
            assert in_window(x, y), (run, x, y)
    assert "Linia adresu 7" in page.extract_text()
