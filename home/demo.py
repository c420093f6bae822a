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
