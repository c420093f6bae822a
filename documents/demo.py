"""Demo price lists and a document library, some of it for business customers only.

The household price list has last year's and this year's version (prices changed, one
service added, one dropped); the business price list is private to the "business"
segment's group. The library holds public forms and a collection for companies only.

Segments live a floor above (customers/); the business segment's group is found
through the reverse relation Django gives Group, without importing customers.
"""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify
from reportlab.lib.units import mm
from wagtail.documents import get_document_model
from wagtail.models import (
    BaseViewRestriction,
    Collection,
    CollectionViewRestriction,
    PageViewRestriction,
    Site,
)

from .models import DocumentLibraryPage, PriceListIndexPage, PriceListPage
from .pdf import get_styles, issuing_company, label_value_table, paragraph, render_document

BUSINESS_SEGMENT = "business"


def _tables(tables):
    """[(title, tariff code, [(code, item, unit, net, vat), …]), …] as StreamField data."""
    return [
        {
            "type": "tariff_table",
            "value": {
                "title": title,
                "tariff_code": tariff_code,
                "rows": [
                    {
                        "item_code": code,
                        "item": item,
                        "unit": unit,
                        "net_price": Decimal(net),
                        "vat_rate": vat,
                    }
                    for code, item, unit, net, vat in rows
                ],
            },
        }
        for title, tariff_code, rows in tables
    ]


def household_versions(year: int) -> list[dict]:
    """Last year's and this year's household price list."""
    return [
        {
            "slug": f"cennik-{year - 1}",
            "title": f"Cennik od 1 stycznia {year - 1} r.",
            "effective_from": date(year - 1, 1, 1),
            "intro": "Ceny energii elektrycznej i usług dla gospodarstw domowych.",
            "tables": _tables(
                [
                    (
                        "Taryfa jednostrefowa",
                        "G11",
                        [
                            ("G11-EC", "Energia elektryczna czynna", "kWh", "0.5000", "23"),
                            ("G11-OH", "Opłata handlowa", "mies.", "9.90", "23"),
                        ],
                    ),
                    (
                        "Taryfa dwustrefowa",
                        "G12",
                        [
                            ("G12-EC-D", "Energia czynna — strefa dzienna", "kWh", "0.5600", "23"),
                            ("G12-EC-N", "Energia czynna — strefa nocna", "kWh", "0.3900", "23"),
                            ("G12-OH", "Opłata handlowa", "mies.", "9.90", "23"),
                        ],
                    ),
                    (
                        "Usługi dodatkowe",
                        "",
                        [
                            (
                                "USL-DUP",
                                "Duplikat faktury w wersji papierowej",
                                "szt.",
                                "5.00",
                                "23",
                            ),
                            (
                                "USL-WZN",
                                "Wznowienie dostawy po wstrzymaniu",
                                "szt.",
                                "120.00",
                                "23",
                            ),
                        ],
                    ),
                ]
            ),
        },
        {
            "slug": f"cennik-{year}",
            "title": f"Cennik od 1 stycznia {year} r.",
            "effective_from": date(year, 1, 1),
            "intro": (
                "Ceny energii elektrycznej i usług dla gospodarstw domowych. Duplikat faktury "
                "pobierzesz bezpłatnie w portalu, dlatego nie pobieramy już za niego opłaty."
            ),
            "tables": _tables(
                [
                    (
                        "Taryfa jednostrefowa",
                        "G11",
                        [
                            ("G11-EC", "Energia elektryczna czynna", "kWh", "0.5350", "23"),
                            ("G11-OH", "Opłata handlowa", "mies.", "10.50", "23"),
                        ],
                    ),
                    (
                        "Taryfa dwustrefowa",
                        "G12",
                        [
                            ("G12-EC-D", "Energia czynna — strefa dzienna", "kWh", "0.5800", "23"),
                            ("G12-EC-N", "Energia czynna — strefa nocna", "kWh", "0.3700", "23"),
                            ("G12-OH", "Opłata handlowa", "mies.", "10.50", "23"),
                        ],
                    ),
                    (
                        "Usługi dodatkowe",
                        "",
                        [
                            (
                                "USL-WZN",
                                "Wznowienie dostawy po wstrzymaniu",
                                "szt.",
                                "120.00",
                                "23",
                            ),
                            (
                                "USL-SPR",
                                "Sprawdzenie licznika na wniosek klienta",
                                "szt.",
                                "150.00",
                                "23",
                            ),
                        ],
                    ),
                ]
            ),
        },
    ]


def business_version(year: int) -> dict:
    return {
        "slug": f"cennik-firmy-{year}",
        "title": f"Cennik dla firm od 1 stycznia {year} r.",
        "effective_from": date(year, 1, 1),
        "intro": "Ceny dla odbiorców biznesowych w taryfach C; do cen doliczamy akcyzę.",
        "tables": _tables(
            [
                (
                    "Taryfa jednostrefowa dla firm",
                    "C11",
                    [
                        ("C11-EC", "Energia elektryczna czynna", "kWh", "0.6120", "23"),
                        ("C11-OH", "Opłata handlowa", "mies.", "39.00", "23"),
                    ],
                ),
                (
                    "Taryfa dwustrefowa dla firm",
                    "C21",
                    [
                        ("C21-EC-S", "Energia czynna — strefa szczytowa", "kWh", "0.6840", "23"),
                        (
                            "C21-EC-P",
                            "Energia czynna — strefa pozaszczytowa",
                            "kWh",
                            "0.5210",
                            "23",
                        ),
                        ("C21-OH", "Opłata handlowa", "mies.", "59.00", "23"),
                    ],
                ),
            ]
        ),
    }


PUBLIC_FORMS = [
    (
        "Wniosek o zmianę taryfy",
        ["wnioski", "taryfy"],
        "Wnoszę o zmianę grupy taryfowej w punkcie poboru wskazanym poniżej.",
        ["Numer klienta", "Kod punktu poboru (PPE)", "Obecna taryfa", "Wnioskowana taryfa"],
    ),
    (
        "Wniosek o zmianę danych klienta",
        ["wnioski"],
        "Proszę o zmianę danych, które podaję poniżej, od dnia złożenia wniosku.",
        ["Numer klienta", "Imię i nazwisko", "Nowy adres korespondencyjny", "Nowy numer telefonu"],
    ),
    (
        "Pełnomocnictwo do reprezentowania klienta",
        ["pełnomocnictwa"],
        "Upoważniam wskazaną osobę do załatwiania w moim imieniu spraw związanych z umową.",
        ["Numer klienta", "Mocodawca", "Pełnomocnik", "PESEL pełnomocnika"],
    ),
]

BUSINESS_FORMS = [
    (
        "Wniosek o zmianę mocy umownej",
        ["wnioski", "moc umowna"],
        "Wnosimy o zmianę mocy umownej w punkcie poboru wskazanym poniżej.",
        ["Numer klienta", "NIP", "Kod punktu poboru (PPE)", "Obecna moc [kW]", "Nowa moc [kW]"],
    ),
    (
        "Oświadczenie o przeznaczeniu energii elektrycznej (akcyza)",
        ["oświadczenia"],
        "Oświadczamy, że energia elektryczna jest zużywana na cele wskazane poniżej.",
        ["Numer klienta", "NIP", "Przeznaczenie energii", "Udział procentowy"],
    ),
]


def seed_demo_documents(context) -> None:
    """Price lists and the document library; what exists already is left as editors made it."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        context.notes.append("Documents: no default site, so no price lists or library.")
        return
    home = site.root_page
    year = timezone.localdate().year
    business = Group.objects.filter(segment__code=BUSINESS_SEGMENT).first()

    households = _index(
        home,
        "cennik",
        "Cennik energii dla gospodarstw domowych",
        "Aktualny cennik i wszystkie jego wcześniejsze wersje.",
    )
    for spec in household_versions(year):
        _version(households, spec)
    if business is not None:
        companies = _index(
            home,
            "cennik-dla-firm",
            "Cennik dla firm",
            "Cennik dla klientów biznesowych — widoczny po zalogowaniu.",
        )
        _restrict_page(companies, business)
        _version(companies, business_version(year))

    library_collection = _collection(Collection.get_first_root_node(), "Dokumenty do pobrania")
    forms = _collection(library_collection, "Formularze")
    for spec in PUBLIC_FORMS:
        _form_document(forms, *spec)
    if business is not None:
        for_companies = _collection(library_collection, "Dla firm")
        _restrict_collection(for_companies, business)
        for spec in BUSINESS_FORMS:
            _form_document(for_companies, *spec)
    library = DocumentLibraryPage.objects.child_of(home).filter(slug="dokumenty").first()
    if library is None:
        library = DocumentLibraryPage(
            slug="dokumenty",
            title="Dokumenty do pobrania",
            intro="Formularze i wnioski do wydrukowania, wypełnienia i przesłania do nas.",
            collection=library_collection,
            show_in_menus=True,
        )
        home.add_child(instance=library)
        library.save_revision().publish()

    context.notes.append(
        f"Price lists: {households.url}"
        + (" and /cennik-dla-firm/ (business segment only)" if business else "")
        + f"; documents: {library.url}"
    )


def _index(home, slug: str, title: str, intro: str) -> PriceListIndexPage:
    index = PriceListIndexPage.objects.child_of(home).filter(slug=slug).first()
    if index is None:
        index = PriceListIndexPage(slug=slug, title=title, intro=intro, show_in_menus=True)
        home.add_child(instance=index)
        index.save_revision().publish()
    return index


def _version(index: PriceListIndexPage, spec: dict) -> PriceListPage:
    version = PriceListPage.objects.child_of(index).filter(slug=spec["slug"]).first()
    if version is None:
        version = PriceListPage(**spec)
        index.add_child(instance=version)
        version.save_revision().publish()
    return version


def _restrict_page(page, group: Group) -> None:
    restriction, _ = PageViewRestriction.objects.get_or_create(
        page=page, defaults={"restriction_type": BaseViewRestriction.GROUPS}
    )
    restriction.groups.add(group)


def _collection(parent: Collection, name: str) -> Collection:
    existing = parent.get_children().filter(name=name).first()
    return existing or parent.add_child(instance=Collection(name=name))


def _restrict_collection(collection: Collection, group: Group) -> None:
    restriction, _ = CollectionViewRestriction.objects.get_or_create(
        collection=collection, defaults={"restriction_type": BaseViewRestriction.GROUPS}
    )
    restriction.groups.add(group)


def _form_document(collection: Collection, title: str, tags, purpose: str, fields) -> None:
    Document = get_document_model()
    if Document.objects.filter(collection=collection, title=title).exists():
        return
    styles = get_styles()
    blank = "." * 60
    pdf = render_document(
        issuing_company(),
        [
            paragraph(title, styles.heading),
            paragraph(purpose),
            label_value_table([(label, blank) for label in fields], label_width=60 * mm),
            paragraph(""),
            paragraph(f"Data i podpis: {blank}"),
        ],
        title=title,
    )
    document = Document(
        title=title,
        collection=collection,
        file=ContentFile(pdf, name=f"{_file_stem(title)}.pdf"),
    )
    document._set_document_file_metadata()
    document.save()
    document.tags.add(*tags)


def _file_stem(title: str) -> str:
    """ "pelnomocnictwo-do-…": ł has no ASCII decomposition, so slugify would drop it."""
    return slugify(title.replace("ł", "l").replace("Ł", "L"))[:80]
