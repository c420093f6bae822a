from wagtail import hooks
from wagtail.models import Page, Site

from customers import site_cache
from customers.demo import DemoContext
from documents.pdf import Company

from .models import CompanySettings, ContactPage, FormField, FormPage, HomePage, StandardPage

DEMO_COMPANY = {
    "name": "Okienko Energia Sp. z o.o.",
    "street": "ul. Elektryczna 12",
    "postal_code": "00-950",
    "city": "Warszawa",
    "nip": "5260250274",
    "regon": "012345675",
    "krs": "0000123456",
    "bank_account": "PL61109010140000071219812874",
    "phone": "+48 22 100 20 30",
    "email": "bok@okienko-energia.example.pl",
    "office_hours": "pon.–pt. 8:00–18:00",
}

DEMO_HOME = {
    "title": "Okienko Energia",
    "hero_title": "Twoje sprawy z nami — o każdej porze",
    "hero_text": (
        "Sprawdź faktury i saldo, opłać rachunek, podaj odczyt licznika albo złóż zgłoszenie "
        "bez wychodzenia z domu."
    ),
    "body": [
        {
            "type": "features",
            "value": {
                "heading": "Co załatwisz w Okienku",
                "features": [
                    {
                        "title": "Faktury i płatności",
                        "text": "Pobierzesz każdą fakturę w PDF i zapłacisz online w kilka chwil.",
                    },
                    {
                        "title": "Odczyty liczników",
                        "text": "Podasz stan licznika sam, a rozliczenie będzie oparte na zużyciu.",
                    },
                    {
                        "title": "Zgłoszenia i reklamacje",
                        "text": "Widzisz, kto zajmuje się sprawą i do kiedy dostaniesz odpowiedź.",
                    },
                    {
                        "title": "Wiadomości",
                        "text": "Komunikaty o przerwach w dostawie i ważne informacje w jednym miejscu.",
                    },
                ],
            },
        },
    ],
}

DEMO_PAGES = [
    {
        "slug": "pomoc",
        "title": "Pomoc",
        "intro": "Najczęstsze pytania o korzystanie z portalu klienta.",
        "paragraph": (
            "<h2>Jak założyć konto?</h2><p>Dane do pierwszego logowania otrzymasz od nas w dwóch "
            "częściach: e-mailem i SMS-em. Po zalogowaniu ustawisz własne hasło.</p>"
            "<h2>Nie pamiętam hasła</h2><p>Na stronie logowania wybierz przypomnienie hasła — "
            "wyślemy link na adres e-mail podany w umowie.</p>"
        ),
    },
    {
        "slug": "kontakt",
        "title": "Kontakt",
        "intro": "Biuro Obsługi Klienta czeka na Ciebie w dni robocze.",
        "paragraph": (
            "<p>Zadzwoń pod numer +48 22 100 20 30 lub napisz na "
            "bok@okienko-energia.example.pl. Sprawy wymagające dokumentów najszybciej "
            "załatwisz, składając zgłoszenie w portalu.</p>"
        ),
    },
    {
        "slug": "regulamin",
        "title": "Regulamin portalu",
        "intro": "Zasady korzystania z elektronicznego Biura Obsługi Klienta.",
        "paragraph": (
            "<p>Portal jest dostępny bezpłatnie dla klientów posiadających umowę. "
            "Dostęp do danych chroni hasło i, na życzenie, drugi składnik logowania.</p>"
        ),
    },
]

DEMO_CONTACT = {
    "slug": "biura-obslugi",
    "title": "Biura Obsługi Klienta",
    "intro": "Przyjdź, zadzwoń albo napisz — odpowiemy w dni robocze.",
    "hotline_phone": "+48 22 100 20 30",
    "hotline_hours": "pon.–pt. 7:00–20:00, sob. 8:00–14:00",
    "branches": [
        {
            "type": "branch",
            "value": {
                "name": "BOK Warszawa Śródmieście",
                "street": "ul. Elektryczna 12",
                "postal_code": "00-950",
                "city": "Warszawa",
                "opening_hours": [
                    {"days": "pon.–pt.", "hours": "8:00–18:00"},
                    {"days": "sob.", "hours": "9:00–13:00"},
                ],
                "phones": [{"label": "Obsługa klienta", "number": "+48 22 100 20 30"}],
                "emails": [{"label": "", "address": "bok@okienko-energia.example.pl"}],
                "map_url": "https://www.openstreetmap.org/search?query=Warszawa",
            },
        },
        {
            "type": "branch",
            "value": {
                "name": "BOK Piaseczno",
                "street": "ul. Kościuszki 3",
                "postal_code": "05-500",
                "city": "Piaseczno",
                "opening_hours": [{"days": "pon., śr., pt.", "hours": "9:00–15:00"}],
                "phones": [{"label": "", "number": "+48 22 100 20 40"}],
                "emails": [],
                "map_url": "",
            },
        },
    ],
}

DEMO_FORM = {
    "slug": "zapytanie-ofertowe",
    "title": "Zapytanie ofertowe",
    "intro": "Opisz, czego potrzebujesz — przygotujemy ofertę.",
    "thank_you_text": "Dziękujemy. Odpowiemy w ciągu dwóch dni roboczych.",
    "to_address": DEMO_COMPANY["email"],
    "request_type_slug": "zapytanie-ofertowe",
    "fields": [
        ("Imię i nazwisko lub firma", "singleline", True),
        ("E-mail", "email", True),
        ("Telefon", "singleline", False),
        ("Czego potrzebujesz?", "multiline", True),
    ],
}


@hooks.register("issuing_company")
def issuing_company():
    """The company details of the default site, for documents and letters: from the cache,
    read again when the logo file it names has gone (an image replaced in the admin)."""
    company = site_cache.remember("issuing-company", _issuing_company)
    if company is not None and company.logo_path and not company.logo_path.is_file():
        site_cache.invalidate()
        company = site_cache.remember("issuing-company", _issuing_company)
    return company


def _issuing_company():
    site = Site.objects.filter(is_default_site=True).first()
    settings = CompanySettings.objects.filter(site=site).first() if site else None
    return Company.from_settings(settings) if settings else None


@hooks.register("seed_demo", order=0)
def seed_demo_site(context: DemoContext) -> None:
    """The landing page, a few content pages, and the company's details."""
    home = _ensure_home_page()
    for spec in DEMO_PAGES:
        page = StandardPage.objects.child_of(home).filter(slug=spec["slug"]).first()
        if page is None:
            page = StandardPage(
                slug=spec["slug"],
                title=spec["title"],
                intro=spec["intro"],
                body=[{"type": "paragraph", "value": spec["paragraph"]}],
                show_in_menus=True,
            )
            home.add_child(instance=page)
            page.save_revision().publish()

    _ensure_contact_pages(home)

    site = Site.objects.get(is_default_site=True)
    CompanySettings.objects.get_or_create(site=site, defaults=DEMO_COMPANY)
    context.notes.append(f"Site: {site.hostname}:{site.port} → {home.title}")


def _ensure_home_page() -> HomePage:
    """Put a HomePage at the root of the default site, replacing Wagtail's welcome page.

    Pages that exist are left as editors made them; only missing ones are created.
    """
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(slug="portal", **DEMO_HOME)
        Page.get_first_root_node().add_child(instance=home)
        home.save_revision().publish()

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True
        )
    if site.root_page_id != home.pk:
        previous = site.root_page
        site.root_page = home
        site.site_name = DEMO_HOME["title"]
        site.save()
        if previous.specific_class is Page and not previous.get_children().exists():
            # Wagtail's "Welcome to your new Wagtail site!" placeholder.
            previous.delete()
    return home


def _ensure_contact_pages(home: HomePage) -> None:
    """The offices page and a quote-request form under it, unless they exist."""
    contact = ContactPage.objects.child_of(home).filter(slug=DEMO_CONTACT["slug"]).first()
    if contact is None:
        contact = ContactPage(show_in_menus=True, **DEMO_CONTACT)
        home.add_child(instance=contact)
        contact.save_revision().publish()
    if not FormPage.objects.child_of(contact).filter(slug=DEMO_FORM["slug"]).exists():
        spec = {k: v for k, v in DEMO_FORM.items() if k != "fields"}
        form = FormPage(**spec)
        form.form_fields = [
            FormField(label=label, field_type=kind, required=required, sort_order=n)
            for n, (label, kind, required) in enumerate(DEMO_FORM["fields"])
        ]
        contact.add_child(instance=form)
        form.save_revision().publish()
