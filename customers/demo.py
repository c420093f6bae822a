"""Demo data shared by the rooms: deterministic, idempotent, realistic Polish data.

`manage.py seed_demo` walks the `seed_demo` hooks in their order; each room
registers one in its `wagtail_hooks.py` and adds its part through a DemoContext.
"""

import random
from dataclasses import dataclass, field

DEMO_PASSWORD = "Okienko-demo-2026"  # noqa: S105 - published demo credential

FIRST_NAMES = [
    "Anna",
    "Maria",
    "Katarzyna",
    "Małgorzata",
    "Agnieszka",
    "Barbara",
    "Ewa",
    "Krystyna",
    "Zofia",
    "Joanna",
    "Piotr",
    "Krzysztof",
    "Andrzej",
    "Tomasz",
    "Paweł",
    "Michał",
    "Marcin",
    "Grzegorz",
    "Łukasz",
    "Józef",
    "Stanisław",
    "Wojciech",
    "Jakub",
    "Żaneta",
]
LAST_NAMES = [
    "Nowak",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Jankowski",
    "Mazur",
    "Kwiatkowski",
    "Krawczyk",
    "Piotrowski",
    "Grabowski",
    "Nowakowski",
    "Pawłowski",
    "Michalski",
    "Król",
    "Wieczorek",
    "Jabłoński",
    "Wróbel",
    "Majewski",
    "Olszewski",
    "Stępień",
    "Malinowski",
]
STREETS = [
    "ul. Kwiatowa",
    "ul. Polna",
    "ul. Leśna",
    "ul. Słoneczna",
    "ul. Krótka",
    "ul. Szkolna",
    "ul. Ogrodowa",
    "ul. Lipowa",
    "ul. Brzozowa",
    "ul. Łąkowa",
    "ul. Kościuszki",
    "ul. Mickiewicza",
    "ul. Żeromskiego",
    "al. Niepodległości",
    "ul. Źródlana",
]
LOCALITIES = [
    ("00-950", "Warszawa"),
    ("30-001", "Kraków"),
    ("50-001", "Wrocław"),
    ("60-001", "Poznań"),
    ("80-001", "Gdańsk"),
    ("90-001", "Łódź"),
    ("20-001", "Lublin"),
    ("15-001", "Białystok"),
]


@dataclass
class DemoContext:
    """What a room's demo seeder gets: a seeded random source and where to report."""

    rng: random.Random
    customers: int
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add_login(self, email: str, password: str, description: str) -> None:
        self.logins.append((email, password, description))

    def person_name(self) -> tuple[str, str]:
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        if first.endswith("a") and last.endswith("ski"):
            last = last[:-1] + "a"
        return first, last

    def address(self) -> tuple[str, str, str]:
        postal_code, city = self.rng.choice(LOCALITIES)
        street = f"{self.rng.choice(STREETS)} {self.rng.randint(1, 120)}"
        return street, postal_code, city


def nip_with_checksum(first_nine: str) -> str:
    """Complete nine digits to a valid NIP (bases whose check digit would be 10 are bumped)."""
    from stdnum.pl import nip

    number = int(first_nine)
    while True:
        base = f"{number:09d}"
        for check in "0123456789":
            if nip.is_valid(base + check):
                return base + check
        number += 1


def virtual_account(customer_number: str) -> str:
    """An individual transfer account: the company's bank branch plus the customer number."""
    from stdnum import iban

    bban = "10901014" + customer_number.rjust(16, "0")
    return "PL" + iban.calc_check_digits("PL00" + bban) + bban


DEMO_SEGMENTS = [
    ("households", "Gospodarstwa domowe", False),
    ("business", "Firmy", False),
    ("cooperatives", "Spółdzielnie i wspólnoty", False),
    ("vip", "Klienci VIP", True),
]

DEMO_USERS = [
    ("jan.kowalski@example.pl", "Jan", "Kowalski", False, "household customer, owner"),
    ("biuro@hurtownia.example.pl", "Barbara", "Wolska", False, "business customer, owner"),
    (
        "ksiegowosc@hurtownia.example.pl",
        "Krystyna",
        "Lis",
        False,
        "business customer, billing only",
    ),
    ("zarzad@sm-przylesie.example.pl", "Zenon", "Przybylski", False, "housing cooperative, owner"),
    ("admin@example.pl", "Adam", "Administrator", True, "staff superuser"),
]

DEMO_CUSTOMERS = [
    {
        "number": "100001",
        "kind": "person",
        "name": "Jan Kowalski",
        "email": "jan.kowalski@example.pl",
        "phone": "+48 600 100 200",
        "billing_street": "ul. Kwiatowa 5 m. 12",
        "billing_postal_code": "02-512",
        "billing_city": "Warszawa",
        "segments": ["households"],
        "service_points": [
            (
                "PL0037100001000001",
                "Mieszkanie",
                "ul. Kwiatowa 5 m. 12",
                "02-512",
                "Warszawa",
                "electricity",
                "G12",
            ),
            (
                "8018590365500000000001",
                "Mieszkanie — gaz",
                "ul. Kwiatowa 5 m. 12",
                "02-512",
                "Warszawa",
                "gas",
                "W-1.1",
            ),
            (
                "WOD-100001-01",
                "Mieszkanie — woda",
                "ul. Kwiatowa 5 m. 12",
                "02-512",
                "Warszawa",
                "water",
                "W1",
            ),
        ],
        "members": [("jan.kowalski@example.pl", "owner", [])],
    },
    {
        "number": "200001",
        "kind": "company",
        "name": "Hurtownia Elektryczna Volt Sp. z o.o.",
        "nip_base": "521301234",
        "email": "biuro@hurtownia.example.pl",
        "phone": "+48 22 300 40 50",
        "billing_street": "ul. Przemysłowa 18",
        "billing_postal_code": "03-234",
        "billing_city": "Warszawa",
        "segments": ["business", "vip"],
        "credit_limit": "50000.00",
        "discount_percent": "3.00",
        "service_points": [
            (
                "PL0037200001000001",
                "Magazyn",
                "ul. Przemysłowa 18",
                "03-234",
                "Warszawa",
                "electricity",
                "C21",
            ),
            (
                "PL0037200001000002",
                "Biuro",
                "ul. Marszałkowska 80",
                "00-517",
                "Warszawa",
                "electricity",
                "C11",
            ),
        ],
        "members": [
            ("biuro@hurtownia.example.pl", "owner", []),
            ("ksiegowosc@hurtownia.example.pl", "billing", []),
        ],
    },
    {
        "number": "300001",
        "kind": "cooperative",
        "name": "Spółdzielnia Mieszkaniowa Przylesie",
        "nip_base": "952101234",
        "email": "zarzad@sm-przylesie.example.pl",
        "phone": "+48 22 500 60 70",
        "billing_street": "ul. Leśna 1",
        "billing_postal_code": "05-500",
        "billing_city": "Piaseczno",
        "segments": ["cooperatives"],
        "service_points": [
            (
                "CW-PRZYLESIE-01",
                "Budynek A — węzeł cieplny",
                "ul. Leśna 3",
                "05-500",
                "Piaseczno",
                "heat",
                "A2",
            ),
            (
                "CW-PRZYLESIE-02",
                "Budynek B — węzeł cieplny",
                "ul. Leśna 5",
                "05-500",
                "Piaseczno",
                "heat",
                "A2",
            ),
            (
                "WOD-PRZYLESIE-01",
                "Przyłącze wodne",
                "ul. Leśna 1",
                "05-500",
                "Piaseczno",
                "water",
                "W1",
            ),
        ],
        "members": [("zarzad@sm-przylesie.example.pl", "owner", [])],
    },
    {
        "number": "100002",
        "kind": "person",
        "name": "Maria Wiśniewska",
        "email": "maria.wisniewska@example.pl",
        "billing_street": "ul. Słoneczna 14",
        "billing_postal_code": "30-001",
        "billing_city": "Kraków",
        "segments": ["households"],
        "service_points": [
            (
                "PL0037100002000001",
                "Dom",
                "ul. Słoneczna 14",
                "30-001",
                "Kraków",
                "electricity",
                "G12",
            ),
        ],
        "members": [],
    },
]


def seed_demo_customers(context: DemoContext) -> None:
    """Logins, segments, the named demo customers and, when asked, generated households."""
    from decimal import Decimal

    from django.contrib.auth.models import Group

    from .models import Customer, Membership, Segment, ServicePoint, User

    users = {}
    for email, first_name, last_name, is_admin, description in DEMO_USERS:
        users[email] = _upsert_user(User, email, first_name, last_name, is_admin)
        if is_admin:
            codes = _demo_second_factor(users[email], context)
            description += f"; second factor: a backup code, e.g. {codes[0]}"
            context.notes.append(
                f"{email} signs in with a second factor: use a backup code "
                f"({', '.join(codes)}) or add the TOTP key {DEMO_TOTP_KEY_BASE32} to an "
                "authenticator app."
            )
        context.add_login(email, DEMO_PASSWORD, description)

    segments = {}
    for code, name, requires_two_factor in DEMO_SEGMENTS:
        group, _ = Group.objects.get_or_create(name=name)
        segments[code], _ = Segment.objects.get_or_create(
            code=code, defaults={"group": group, "requires_two_factor": requires_two_factor}
        )

    specs = list(DEMO_CUSTOMERS)
    for number in range(1, context.customers + 1):
        first_name, last_name = context.person_name()
        street, postal_code, city = context.address()
        email = f"klient{number:06d}@example.pl"
        users[email] = _upsert_user(User, email, first_name, last_name, False)
        specs.append(
            {
                "number": f"9{number:06d}",
                "kind": "person",
                "name": f"{first_name} {last_name}",
                "email": email,
                "billing_street": street,
                "billing_postal_code": postal_code,
                "billing_city": city,
                "segments": ["households"],
                "service_points": [
                    (
                        f"PL00379{number:011d}",
                        "",
                        street,
                        postal_code,
                        city,
                        "electricity",
                        context.rng.choice(["G11", "G12"]),
                    )
                ],
                "members": [(email, "owner", [])],
            }
        )

    for spec in specs:
        customer = Customer.objects.filter(number=spec["number"]).first()
        if customer is None:
            customer = Customer(
                number=spec["number"],
                kind=spec["kind"],
                name=spec["name"],
                nip=nip_with_checksum(spec["nip_base"]) if "nip_base" in spec else "",
                email=spec.get("email", ""),
                phone=spec.get("phone", ""),
                billing_street=spec["billing_street"],
                billing_postal_code=spec["billing_postal_code"],
                billing_city=spec["billing_city"],
                bank_account=virtual_account(spec["number"]),
                credit_limit=Decimal(spec.get("credit_limit", "0")),
                discount_percent=Decimal(spec.get("discount_percent", "0")),
                e_invoice_consent=True,
                external_id=f"ERP-{spec['number']}",
            )
            customer.full_clean()
            customer.save()
            customer.segments.set([segments[code] for code in spec["segments"]])
        for code, name, street, postal_code, city, kind, tariff in spec["service_points"]:
            ServicePoint.objects.get_or_create(
                code=code,
                defaults={
                    "customer": customer,
                    "name": name,
                    "street": street,
                    "postal_code": postal_code,
                    "city": city,
                    "service_kind": kind,
                    "tariff": tariff,
                },
            )
        for email, role, point_codes in spec["members"]:
            membership, created = Membership.objects.get_or_create(
                user=users[email], customer=customer, defaults={"role": role}
            )
            if created and point_codes:
                membership.service_points.set(ServicePoint.objects.filter(code__in=point_codes))

    _demo_activation_letter(context, users["admin@example.pl"])
    _demo_contracts()

    if context.customers:
        context.notes.append(
            f"Generated customer logins klient000001…klient{context.customers:06d}@example.pl "
            f"share the password {DEMO_PASSWORD}."
        )


def _demo_activation_letter(context: DemoContext, staff) -> None:
    """A letter ready for the demo customer without a portal user, unless one exists."""
    from documents.pdf import issuing_company

    from .activation import access_letters, email_part_b, issue_access
    from .models import AccessBatch, ActivationCode, Customer

    customer = Customer.objects.get(number="100002")
    if ActivationCode.objects.usable().filter(customer=customer).exists():
        context.notes.append(
            f"Customer {customer.number} ({customer.name}) has an activation code already; "
            "generate a new letter in the admin under Portal access."
        )
        return
    from django.core.files.base import ContentFile

    issued = issue_access([customer], staff)
    batch = AccessBatch.objects.create(
        created_by=staff, total=1, done=1, status=AccessBatch.Status.DONE
    )
    batch.customers.set([customer])
    batch.letters.save(
        f"access-letters-{batch.pk}.pdf",
        ContentFile(access_letters(issued, issuing_company())),
    )
    email_part_b(issued)
    context.notes.append(
        f"Activation letter for customer {customer.number} ({customer.name}): admin → Portal "
        f"access → batch {batch.pk}; code part A {issued[0].part_a}, part B "
        f"{issued[0].part_b} (also e-mailed); activate at /account/activate/."
    )


def _demo_contracts() -> None:
    """A comprehensive contract for each named demo customer, with new terms to accept."""
    from datetime import date

    from django.core.files.base import ContentFile

    from documents.pdf import issuing_company, paragraph, render_document

    from .models import Contract, ContractDocument, Customer

    company = issuing_company()
    for number in ("100001", "200001", "300001"):
        customer = Customer.objects.get(number=number)
        contract, created = Contract.objects.get_or_create(
            number=f"UK/2025/{number}",
            defaults={
                "customer": customer,
                "kind": Contract.Kind.COMPREHENSIVE,
                "start_date": date(2025, 1, 1),
            },
        )
        if not created:
            continue
        contract.service_points.set(customer.service_points.all())
        for version, title, accept in (
            (1, "Umowa kompleksowa", False),
            (2, "Nowe warunki umowy od 1 stycznia 2027", True),
        ):
            pdf = render_document(
                company,
                [
                    paragraph(f"{title} nr {contract.number}"),
                    paragraph(f"Zawarta między {company.name} a {customer.name}."),
                ],
                title=title,
            )
            ContractDocument.objects.create(
                contract=contract,
                version=version,
                title=title,
                requires_acceptance=accept,
                file=ContentFile(pdf, name=f"{contract.number.replace('/', '-')}-v{version}.pdf"),
            )


# A published demo key, so a demo admin can add it to an authenticator app.
DEMO_TOTP_KEY_HEX = "4f6b69656e6b6f2d64656d6f2d32303236"  # "Okienko-demo-2026"
DEMO_TOTP_KEY_BASE32 = "J5VWSZLONNXS2ZDFNVXS2MRQGI3A"


def _demo_second_factor(user, context: DemoContext) -> list[str]:
    """Staff must use a second factor: a TOTP device with the demo key and fresh backup codes."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.update_or_create(
        user=user, name="default", defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True}
    )
    backup, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
    backup.token_set.all().delete()
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    codes = ["".join(context.rng.choice(alphabet) for _ in range(8)) for _ in range(5)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return codes


def _upsert_user(User, email: str, first_name: str, last_name: str, is_admin: bool):
    user, _ = User.objects.get_or_create(email=email)
    user.first_name = first_name
    user.last_name = last_name
    user.is_staff = user.is_superuser = is_admin
    user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user
