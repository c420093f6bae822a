"""Who an announcement is meant for: its customers, their users, and the text of its areas.

An audience is one of: everyone (public), all customers, customers of chosen segments,
chosen customers, or customers served in chosen areas (postal code prefixes such as
"00-9", or localities matched on the city of an active service point). The resolution is
a handful of queries whatever the number of customers; nothing loops over customers.
"""

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from customers.models import Customer, Membership, ServicePoint

PUBLIC = "public"
ALL_CUSTOMERS = "all_customers"
SEGMENTS = "segments"
CUSTOMERS = "customers"
AREAS = "areas"

POSTCODE_PREFIX = re.compile(r"\d{1,2}|\d{2}-\d{1,3}")
"""A Polish postal code ("00-950") or its beginning ("0", "00", "00-9", "00-95")."""


def split_entries(text: str, separators: str = r"[\n\r,;]+") -> list[str]:
    """The non-empty entries of a list typed one per line (or comma separated), in order,
    each once."""
    entries = []
    for entry in re.split(separators, text or ""):
        entry = " ".join(entry.split())
        if entry and entry not in entries:
            entries.append(entry)
    return entries


def normalize_postcode(entry: str) -> str:
    """ "00 950", "00950" and "00-950" are one code; "00-" is the prefix "00"."""
    compact = re.sub(r"\s+", "", entry)
    if re.fullmatch(r"\d{3,5}", compact):
        compact = f"{compact[:2]}-{compact[2:]}"
    return compact.rstrip("-")


def parse_postcodes(text: str) -> tuple[list[str], list[str]]:
    """The postal code prefixes in `text` (normalized), and the entries that are none."""
    prefixes, invalid = [], []
    for entry in split_entries(text):
        prefix = normalize_postcode(entry)
        if POSTCODE_PREFIX.fullmatch(prefix):
            if prefix not in prefixes:
                prefixes.append(prefix)
        else:
            invalid.append(entry)
    return prefixes, invalid


def parse_localities(text: str) -> list[str]:
    """Localities typed one per line, as written (whitespace tidied)."""
    return split_entries(text, separators=r"[\n\r]+")


def prefixes_of(postal_code: str) -> list[str]:
    """Every prefix an announcement may name to reach this postal code: "00-950" gives
    "0", "00", "00-9", "00-95" and "00-950"."""
    code = normalize_postcode(postal_code)
    return [code[:end] for end in range(1, len(code) + 1) if not code[:end].endswith("-")]


def lines(values: list[str]) -> str:
    """Values one per line with a newline at both ends, so that a whole line is found with
    `contains="\\n<value>\\n"` in any database."""
    return f"\n{chr(10).join(values)}\n" if values else ""


def _ids(related) -> list[int]:
    """Primary keys of a many-to-many value, saved or still in memory (a page revision)."""
    return [obj.pk for obj in related.all()]


def matching_cities(localities: list[str]) -> list[str]:
    """The cities of active service points, as stored, that match the localities without
    regard to case (in Python: SQLite folds only ASCII letters, and "Łódź" has others)."""
    wanted = {locality.casefold() for locality in localities}
    if not wanted:
        return []
    cities = ServicePoint.objects.active().values_list("city", flat=True).distinct()
    return [city for city in cities if " ".join(city.split()).casefold() in wanted]


def area_service_points(page) -> QuerySet:
    """Active service points in the page's areas: a postal code starting with one of its
    prefixes, or a city equal to one of its localities."""
    prefixes, _invalid = parse_postcodes(page.postcodes)
    condition = Q(pk__in=[])
    for prefix in prefixes:
        condition |= Q(postal_code__startswith=prefix)
    cities = matching_cities(parse_localities(page.localities))
    if cities:
        condition |= Q(city__in=cities)
    return ServicePoint.objects.active().filter(condition)


def customers_for(page) -> QuerySet:
    """The customers an announcement is meant for (public ones: every customer)."""
    audience = page.audience
    if audience in (PUBLIC, ALL_CUSTOMERS):
        return Customer.objects.all()
    if audience == SEGMENTS:
        members = Customer.segments.through.objects.filter(segment_id__in=_ids(page.segments))
        return Customer.objects.filter(pk__in=members.values("customer_id"))
    if audience == CUSTOMERS:
        return Customer.objects.filter(pk__in=_ids(page.customers))
    if audience == AREAS:
        return Customer.objects.filter(pk__in=area_service_points(page).values("customer_id"))
    return Customer.objects.none()


def users_for(page) -> QuerySet:
    """Active users with an active membership of a customer in the audience, each once."""
    members = Membership.objects.active().filter(customer__in=customers_for(page))
    return get_user_model().objects.filter(is_active=True, pk__in=members.values("user_id"))


def reaches(page, user) -> bool:
    """Whether the announcement is meant for this user (public ones: for anybody)."""
    if page.audience == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    return users_for(page).filter(pk=user.pk).exists()


@dataclass(frozen=True)
class Reader:
    """A customer as announcements' audiences see it: itself, its segments, its areas."""

    customer_id: int
    segment_ids: frozenset[int]
    prefixes: frozenset[str]  # every prefix of the postal codes of its active service points
    cities: frozenset[str]  # their cities, tidied and casefolded


def areas_of(customer, service_points=None) -> list[tuple[str, str]]:
    """Postal code and city of each active service point of the customer: from
    `service_points` (all of the customer's) when the caller has them already, else read."""
    if service_points is None:
        points = ServicePoint.objects.active().filter(customer=customer)
        return list(points.values_list("postal_code", "city"))
    return [
        (point.postal_code, point.city)
        for point in service_points
        if point.status == ServicePoint.Status.ACTIVE
    ]


def reader(customer_id: int, segment_ids, areas: list[tuple[str, str]]) -> Reader:
    prefixes, cities = set(), set()
    for postal_code, city in areas:
        prefixes.update(prefixes_of(postal_code))
        cities.add(" ".join(city.split()).casefold())
    return Reader(customer_id, frozenset(segment_ids), frozenset(prefixes), frozenset(cities))


def is_meant_for(page, page_segment_ids, page_customer_ids, reader: Reader) -> bool:
    """`customer_condition` for one page in memory, its segments' and customers' ids given."""
    audience = page.audience
    if audience in (PUBLIC, ALL_CUSTOMERS):
        return True
    if audience == SEGMENTS:
        return not reader.segment_ids.isdisjoint(page_segment_ids)
    if audience == CUSTOMERS:
        return reader.customer_id in page_customer_ids
    if audience == AREAS:
        return any(f"\n{prefix}\n" in page.postcode_lines for prefix in reader.prefixes) or any(
            f"\n{city}\n" in page.locality_lines for city in reader.cities
        )
    return False


def customer_condition(customer, through_segments, through_customers) -> Q:
    """A filter on announcement pages meant for `customer`, in one query beside the
    customer's active service points: the reverse of `customers_for`."""
    terms = reader(customer.pk, (), areas_of(customer))
    in_area = Q(pk__in=[])
    for prefix in sorted(terms.prefixes):
        in_area |= Q(postcode_lines__contains=f"\n{prefix}\n")
    for city in sorted(terms.cities):
        in_area |= Q(locality_lines__contains=f"\n{city}\n")
    segment_ids = Customer.segments.through.objects.filter(customer=customer).values("segment_id")
    return (
        Q(audience__in=[PUBLIC, ALL_CUSTOMERS])
        | Q(
            audience=SEGMENTS,
            pk__in=through_segments.objects.filter(segment_id__in=segment_ids).values(
                "announcementpage_id"
            ),
        )
        | Q(
            audience=CUSTOMERS,
            pk__in=through_customers.objects.filter(customer=customer).values(
                "announcementpage_id"
            ),
        )
        | (Q(audience=AREAS) & in_area)
    )
