"""Demo service desk: a working calendar, teams, request types with their forms, a price
list for orders, and requests of the demo customers in every state."""

from datetime import time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from customers.models import Customer, Membership, ServicePoint, User

from . import services
from .models import (
    CatalogueItem,
    CostItem,
    FormField,
    Request,
    RequestType,
    Team,
    WorkingCalendar,
)

S = Request.Status
K = FormField.Kind

TYPES = [
    {
        "slug": "reklamacja-rachunku",
        "name": "Reklamacja rachunku",
        "name_en": "Complaint about a bill",
        "category": "complaint",
        "team": "Reklamacje",
        "first_response_hours": 8,
        "resolution_hours": 80,
        "statutory_days": 14,
        "description": "Nie zgadzasz się z fakturą? Podaj jej numer i opisz, co jest nie tak.",
        "description_en": "Disagree with an invoice? Give its number and say what is wrong.",
        "fields": [
            ("invoice", "Numer faktury", "Invoice number", K.TEXT, True, ""),
            ("what", "Co jest nie tak?", "What is wrong?", K.LONG_TEXT, True, ""),
            ("point", "Punkt poboru", "Service point", K.SERVICE_POINT, False, ""),
            ("files", "Dokumenty", "Documents", K.FILE, False, ""),
        ],
    },
    {
        "slug": "awaria-licznika",
        "name": "Awaria licznika",
        "name_en": "Meter failure",
        "category": "service",
        "team": "Serwis techniczny",
        "priority": "high",
        "first_response_hours": 4,
        "resolution_hours": 24,
        "description": "Licznik nie działa, wyświetlacz jest pusty albo plomba jest zerwana.",
        "description_en": "The meter does not work, its display is blank or the seal is broken.",
        "fields": [
            ("point", "Punkt poboru", "Service point", K.SERVICE_POINT, True, ""),
            (
                "symptom",
                "Co się dzieje?",
                "What happens?",
                K.CHOICE,
                True,
                "Pusty wyświetlacz | Blank display\nLicznik się nie obraca | Meter does not count\n"
                "Zerwana plomba | Broken seal\nInne | Other",
            ),
            ("sealed", "Czy plomby są nienaruszone?", "Are the seals intact?", K.YES_NO, True, ""),
            ("details", "Opis", "Description", K.LONG_TEXT, False, ""),
            ("photo", "Zdjęcie licznika", "Photo of the meter", K.FILE, False, ""),
        ],
    },
    {
        "slug": "zmiana-taryfy",
        "name": "Zmiana taryfy",
        "name_en": "Change of tariff",
        "category": "data_change",
        "team": "Obsługa klienta",
        "first_response_hours": 16,
        "resolution_hours": 80,
        "fields": [
            ("point", "Punkt poboru", "Service point", K.SERVICE_POINT, True, ""),
            (
                "tariff",
                "Nowa taryfa",
                "New tariff",
                K.CHOICE,
                True,
                "G11 — jednostrefowa | G11 — single rate\nG12 — dzień i noc | G12 — day and night\n"
                "G12w — z weekendami | G12w — with weekends",
            ),
            ("from", "Od kiedy", "From", K.DATE, True, ""),
        ],
    },
    {
        "slug": "sprawdzenie-licznika",
        "name": "Umówienie sprawdzenia licznika",
        "name_en": "Appointment for a meter check",
        "category": "appointment",
        "team": "Serwis techniczny",
        "first_response_hours": 8,
        "resolution_hours": 120,
        "fields": [
            ("point", "Punkt poboru", "Service point", K.SERVICE_POINT, True, ""),
            ("reason", "Powód", "Reason", K.LONG_TEXT, True, ""),
        ],
    },
    {
        "slug": "zamowienie",
        "name": "Zamówienie",
        "name_en": "Order",
        "category": "order",
        "team": "Sprzedaż B2B",
        "segments": ["business"],
        "first_response_hours": 8,
        "resolution_hours": 40,
        "fields": [
            ("items", "Pozycje", "Items", K.ORDER_LINES, True, ""),
            ("delivery", "Termin dostawy", "Delivery date", K.DATE, False, ""),
            ("notes", "Uwagi", "Notes", K.LONG_TEXT, False, ""),
        ],
    },
    {
        "slug": "zapytanie-ofertowe",
        "name": "Zapytanie ofertowe",
        "name_en": "Quote request",
        "category": "quote",
        "team": "Sprzedaż B2B",
        "segments": ["business"],
        "first_response_hours": 16,
        "resolution_hours": 80,
        "fields": [
            ("items", "Pozycje", "Items", K.ORDER_LINES, True, ""),
            ("notes", "Uwagi", "Notes", K.LONG_TEXT, False, ""),
        ],
    },
    {
        "slug": "pytanie",
        "name": "Pytanie",
        "name_en": "Question",
        "category": "general",
        "team": "Obsługa klienta",
        "first_response_hours": 16,
        "resolution_hours": 40,
        "fields": [("question", "Twoje pytanie", "Your question", K.LONG_TEXT, True, "")],
    },
]

CATALOGUE = [
    ("LICZ-1F", "Licznik energii jednofazowy", "Single-phase energy meter", "szt.", "289.00"),
    ("LICZ-3F", "Licznik energii trójfazowy", "Three-phase energy meter", "szt.", "689.00"),
    ("KAB-YKY-5", "Kabel YKY 5×10 mm²", "YKY cable 5×10 mm²", "m", "41.50"),
    ("WYL-B16", "Wyłącznik nadprądowy B16", "B16 circuit breaker", "szt.", "18.90"),
    ("SERW-H", "Roboczogodzina serwisu", "Service hour", "h", "160.00"),
]


def seed_demo_servicedesk(context) -> None:
    with transaction.atomic():
        if RequestType.objects.exists():
            return
        admin = User.objects.filter(email="admin@example.pl").first()
        calendar = WorkingCalendar.objects.create(
            name="Biuro Obsługi Klienta", opens_at=time(8), closes_at=time(16)
        )
        teams = {}
        for name in ("Reklamacje", "Serwis techniczny", "Obsługa klienta", "Sprzedaż B2B"):
            group, _created = Group.objects.get_or_create(name=name)
            if admin:
                admin.groups.add(group)
            teams[name] = Team.objects.create(group=group, lead=admin)
        from customers.models import Segment

        for order, spec in enumerate(TYPES):
            request_type = RequestType.objects.create(
                slug=spec["slug"],
                name=spec["name"],
                name_en=spec["name_en"],
                category=spec["category"],
                description=spec.get("description", ""),
                description_en=spec.get("description_en", ""),
                team=teams[spec["team"]],
                default_assignee=admin if spec["category"] in ("service", "order") else None,
                priority=spec.get("priority", "normal"),
                calendar=calendar,
                first_response_hours=spec["first_response_hours"],
                resolution_hours=spec["resolution_hours"],
                statutory_days=spec.get("statutory_days"),
                sort_order=order,
            )
            if spec.get("segments"):
                request_type.segments.set(Segment.objects.filter(code__in=spec["segments"]))
            for position, (key, label, label_en, kind, required, choices) in enumerate(
                spec["fields"]
            ):
                FormField.objects.create(
                    request_type=request_type,
                    sort_order=position,
                    key=key,
                    label=label,
                    label_en=label_en,
                    kind=kind,
                    required=required,
                    choices=choices,
                )
        for code, name, name_en, unit, price in CATALOGUE:
            CatalogueItem.objects.create(
                code=code, name=name, name_en=name_en, unit=unit, unit_price=Decimal(price)
            )
        _requests(admin)
    context.notes.append(
        "Service desk: seven request types (orders and quotes for business customers); "
        "Jan Kowalski and the wholesaler have requests in every state; staff work them in "
        "the admin under 'Requests'."
    )


def _file(customer_number, slug, data, *, point_code=None, lines=()):
    customer = Customer.objects.get(number=customer_number)
    membership = (
        Membership.objects.filter(customer=customer, role="owner").select_related("user").first()
    )
    point = ServicePoint.objects.filter(code=point_code).first() if point_code else None
    request_type = RequestType.objects.get(slug=slug)
    if lines:
        data = {**data, "items": [{"code": code, "quantity": quantity} for code, quantity in lines]}
    subject = request_type.name + (
        f": {data[next(iter(data))]}" if slug == "reklamacja-rachunku" else ""
    )
    return services.file_request(
        membership=membership,
        user=membership.user,
        request_type=request_type,
        data=data,
        service_point=point,
        subject=subject,
        order_lines=[(CatalogueItem.objects.get(code=c), Decimal(q)) for c, q in lines],
    )


def _backdate(request: Request, days: int) -> None:
    """Move a demo request into the past, its deadlines with it."""
    shift = timedelta(days=days)
    Request.objects.filter(pk=request.pk).update(
        created_at=request.created_at - shift,
        first_response_due=request.first_response_due - shift,
        resolution_due=request.resolution_due - shift,
    )
    request.events.update(created_at=timezone.now() - shift)
    request.refresh_from_db()


def _requests(admin) -> None:
    household = "100001"
    point = "PL0037100001000001"
    complaint = _file(
        household,
        "reklamacja-rachunku",
        {
            "invoice": "FV/2026/10/100023",
            "what": "Zużycie na fakturze jest dwa razy wyższe niż zwykle.",
            "point": point,
            "files": [],
        },
        point_code=point,
    )
    _backdate(complaint, 3)
    if admin:
        services.assign(complaint, assignee=admin, actor=admin)
        services.change_status(complaint, S.IN_PROGRESS, actor=admin, by_staff=True)
        services.reply(
            complaint,
            author=admin,
            body="Sprawdzamy odczyty z licznika zdalnego; odezwiemy się wkrótce.",
            by_staff=True,
        )
        services.reply(
            complaint,
            author=admin,
            body="Odczyt z 28.09 wygląda na błędny — do weryfikacji z działem rozliczeń.",
            by_staff=True,
            internal=True,
        )

    waiting = _file(
        household,
        "zmiana-taryfy",
        {
            "point": point,
            "tariff": "G12 — dzień i noc",
            "from": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
        point_code=point,
    )
    _backdate(waiting, 2)
    if admin:
        services.assign(waiting, assignee=admin, actor=admin)
        services.change_status(waiting, S.IN_PROGRESS, actor=admin, by_staff=True)
        services.change_status(
            waiting,
            S.WAITING,
            actor=admin,
            by_staff=True,
            text="Prosimy o podanie aktualnego stanu licznika w obu strefach.",
        )

    resolved = _file(
        household,
        "awaria-licznika",
        {
            "point": point,
            "symptom": "Pusty wyświetlacz",
            "sealed": True,
            "details": "Od rana wyświetlacz nic nie pokazuje.",
            "photo": [],
        },
        point_code=point,
    )
    _backdate(resolved, 6)
    if admin:
        services.change_status(resolved, S.IN_PROGRESS, actor=admin, by_staff=True)
        CostItem.objects.create(
            request=resolved,
            kind=CostItem.Kind.LABOUR,
            description="Diagnoza i wymiana zasilacza licznika",
            quantity=Decimal("1.5"),
            unit="h",
            unit_price=Decimal("160.00"),
        )
        CostItem.objects.create(
            request=resolved,
            kind=CostItem.Kind.TRAVEL,
            description="Dojazd",
            quantity=Decimal("24"),
            unit="km",
            unit_price=Decimal("1.15"),
        )
        services.change_status(
            resolved,
            S.RESOLVED,
            actor=admin,
            by_staff=True,
            text="Technik wymienił zasilacz licznika; licznik działa. Koszt pokrywa gwarancja.",
        )

    closed = _file(
        household, "pytanie", {"question": "Czy mogę dostawać faktury tylko elektronicznie?"}
    )
    _backdate(closed, 20)
    if admin:
        services.assign(closed, assignee=admin, actor=admin)
        services.change_status(closed, S.IN_PROGRESS, actor=admin, by_staff=True)
        services.change_status(
            closed,
            S.RESOLVED,
            actor=admin,
            by_staff=True,
            text="Tak — e-faktura jest już włączona na Pana koncie.",
        )
        services.change_status(closed, S.CLOSED, actor=closed.filed_by, by_staff=False)
        services.rate(closed, user=closed.filed_by, rating=5, comment="Szybko i konkretnie.")

    _file(
        household,
        "sprawdzenie-licznika",
        {"point": point, "reason": "Chcę sprawdzić, czy licznik liczy poprawnie."},
        point_code=point,
    )

    order = _file(
        "200001",
        "zamowienie",
        {"items": [], "delivery": None, "notes": "Dostawa na magazyn przy ul. Przemysłowej."},
        lines=[("LICZ-3F", "4"), ("WYL-B16", "20")],
    )
    _backdate(order, 1)
    _file(
        "200001",
        "zapytanie-ofertowe",
        {"items": [], "notes": "Prosimy o ofertę na 200 m kabla."},
        lines=[("KAB-YKY-5", "200")],
    )
