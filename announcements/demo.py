"""Demo announcements: a board under the home page and one announcement of each kind.

Run after the site and the customers (`seed_demo` order 50). Pages that exist are left
as editors made them. The outage for 02-512 is published with its fan-out: e-mails and
text messages wait in the outbox for the worker.
"""

from datetime import timedelta

from django.utils import timezone
from wagtail.models import Site

from customers.models import ServicePoint

from .audience import parse_postcodes, users_for
from .models import AnnouncementIndexPage, AnnouncementPage, Audience, Severity
from .moderation import ensure_outage_workflow

BOARD = {
    "slug": "komunikaty",
    "title": "Komunikaty",
    "intro": "Informacje o pracach, przerwach w dostawie i zmianach w obsłudze klienta.",
}

OUTAGE_POSTCODE = "02-512"


def _paragraphs(*texts: str) -> list[dict]:
    return [{"type": "paragraph", "value": f"<p>{text}</p>"} for text in texts]


def demo_announcements(now) -> list[dict]:
    return [
        {
            "slug": "nowe-godziny-pracy-bok",
            "title": "Nowe godziny pracy Biura Obsługi Klienta",
            "severity": Severity.INFORMATION,
            "audience": Audience.PUBLIC,
            "valid_from": now - timedelta(days=2),
            "body": _paragraphs(
                "Od poniedziałku Biuro Obsługi Klienta pracuje w dni robocze od 8:00 do 18:00.",
                "Sprawy bieżące załatwisz o każdej porze w portalu klienta.",
            ),
        },
        {
            "slug": "uwaga-na-falszywe-wiadomosci",
            "title": "Uwaga na fałszywe wiadomości o dopłatach",
            "severity": Severity.IMPORTANT,
            "audience": Audience.PUBLIC,
            "pinned": True,
            "valid_from": now - timedelta(days=7),
            "body": _paragraphs(
                "Nie prosimy o dopłaty SMS-em ani o podanie hasła do portalu. Wiadomości z "
                "linkiem do płatności, które podpisują się naszą nazwą, są próbą oszustwa.",
                "Numer Twojego konta do wpłat znajdziesz na fakturze i w portalu klienta.",
            ),
        },
        {
            "slug": "nowy-cennik-od-stycznia",
            "title": "Nowy cennik od 1 stycznia",
            "severity": Severity.IMPORTANT,
            "audience": Audience.ALL_CUSTOMERS,
            "valid_from": now - timedelta(days=1),
            "valid_to": now + timedelta(days=30),
            "send_email": True,
            "body": [
                {"type": "heading", "value": {"text": "Co się zmienia", "level": "h2"}},
                *_paragraphs(
                    "Od 1 stycznia obowiązuje nowy cennik zatwierdzony przez Prezesa URE.",
                    "Nowe stawki znajdziesz w zakładce z dokumentami i na najbliższej fakturze.",
                ),
            ],
        },
        {
            "slug": "przerwa-w-dostawie-02-512",
            "title": "Planowana przerwa w dostawie energii — Warszawa 02-512",
            "severity": Severity.OUTAGE,
            "audience": Audience.AREAS,
            "postcodes": OUTAGE_POSTCODE,
            "valid_from": now,
            "valid_to": now + timedelta(days=3),
            "send_email": True,
            "send_sms": True,
            "body": _paragraphs(
                "W związku z wymianą kabla zasilającego pojutrze w godzinach 8:00–14:00 "
                "nastąpi przerwa w dostawie energii dla odbiorców z kodem pocztowym 02-512.",
                "Przepraszamy za utrudnienia. Prace mogą zakończyć się wcześniej.",
            ),
        },
    ]


def seed_demo_announcements(context) -> None:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    home = site.root_page
    board = AnnouncementIndexPage.objects.child_of(home).first()
    if board is None:
        board = AnnouncementIndexPage(show_in_menus=True, **BOARD)
        home.add_child(instance=board)
        board.save_revision().publish()
    ensure_outage_workflow(board)

    now = timezone.now()
    for spec in demo_announcements(now):
        if AnnouncementPage.objects.child_of(board).filter(slug=spec["slug"]).exists():
            continue
        page = AnnouncementPage(**spec)
        board.add_child(instance=page)
        page.save_revision().publish()
        if page.channels:
            context.notes.append(
                f"Announcement “{page.title}” sent to {users_for(page).count()} user(s) "
                f"by {', '.join(sorted(page.channels))} (in the outbox until a worker runs)."
            )

    prefixes, _invalid = parse_postcodes(OUTAGE_POSTCODE)
    if not ServicePoint.objects.active().filter(postal_code__startswith=prefixes[0]).exists():
        context.notes.append(
            f"No demo customer has a service point in {OUTAGE_POSTCODE}, so the outage "
            "announcement reaches nobody; add generated customers (seed_demo --customers 20)."
        )
