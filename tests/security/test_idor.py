"""Every customer route, asked by customer A for customer B's objects, answers 404 or 403.

Routes are gathered from the URL resolver, so a new customer page or API endpoint is
probed the day it is added; one whose URL takes an object this suite does not know
fails the suite until it is taught below.
"""

import uuid
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

CUSTOMER_NAMESPACES = ("customer", "billing", "metering", "servicedesk", "announcements", "api-v1")

# How to find, for a URL keyword, the object of a given customer (A or B) in the world.
OBJECT_KWARGS = {
    "service_point_id": lambda side, second=False: side.service_points[second].public_id,
    "membership_id": lambda side, second=False: (
        (side.owner_membership if second else side.membership).public_id
    ),
    "invitation_id": lambda side, second=False: side.invitations[second].public_id,
    "invoice_id": lambda side, second=False: side.invoices[second].public_id,
    "contract_id": lambda side, second=False: side.contracts[second].public_id,
    "document_id": lambda side, second=False: side.documents[second].public_id,
    "online_payment_id": lambda side, second=False: side.online_payments[second].public_id,
    "meter_id": lambda side, second=False: side.meters[second].public_id,
    "reading_id": lambda side, second=False: side.readings[second].public_id,
    "request_id": lambda side, second=False: side.requests[second].public_id,
    "attachment_id": lambda side, second=False: side.attachments[second].public_id,
    "slot_id": lambda side, second=False: side.slots[second].public_id,
    # Inbox messages: each side's are addressed to its customer alone, a file each.
    "message_id": lambda side, second=False: side.messages[second].public_id,
    "message_attachment_id": lambda side, second=False: side.message_attachments[second].public_id,
    # Request types: each side's may be filed only by its own segment.
    "slug": lambda side, second=False: side.request_types[second].slug,
    "customer_id": lambda side, second=False: side.customer.public_id,
    # ERP imports are staff objects: customers must be refused whatever the id.
    "import_id": lambda side, second=False: uuid.UUID(int=int(second) + 1),
    # A bearer token from an e-mail, not an object id: only unknown tokens are probed here.
    "token": lambda side, second=False: f"not-a-token-{int(second)}",
}
# Routes that are not about one customer's objects (documentation of the API).
NOT_CUSTOMER_DATA = {"api-v1:schema", "api-v1:docs", "api-v1:redoc"}
# Customer-area routes meant for visitors who are not signed in yet (still probed for leaks).
PUBLIC_ROUTES = {
    "customer:activate",
    "customer:accept_invitation",
    "customer:signup",
    "customer:signup_sent",
    "customer:signup_confirm",
}

REPORT = Path(__file__).resolve().parents[2] / "artifacts" / "idor-probes.txt"


def customer_routes() -> list[tuple[str, list[str]]]:
    """(URL name, its keyword names) for every route in the customer namespaces."""
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace in CUSTOMER_NAMESPACES:
                if entry.name is None:
                    continue
                name = f"{namespace}:{entry.name}"
                if name not in NOT_CUSTOMER_DATA:
                    found.append((name, sorted(entry.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, None)
    return sorted(set((name, tuple(kwargs)) for name, kwargs in found))


def test_every_room_under_the_customer_area_is_probed():
    mounted = {
        entry.namespace
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and str(entry.pattern).startswith("account/")
    }
    mounted.discard(None)
    assert mounted <= set(CUSTOMER_NAMESPACES), "add the room's namespace to CUSTOMER_NAMESPACES"


def test_every_customer_route_with_an_object_is_known():
    unknown = [
        (name, kwarg)
        for name, kwargs in customer_routes()
        for kwarg in kwargs
        if kwarg not in OBJECT_KWARGS and kwarg != "format"
    ]
    assert unknown == [], "teach OBJECT_KWARGS how to find these objects for the IDOR suite"


def test_customer_a_never_reaches_customer_b(client, two_customers):
    a, b = two_customers.a, two_customers.b
    leaks, probed = [], {}
    secrets_of_b = [
        b.customer.number,
        b.service_point.code,
        b.owner.email,
        b.billing.email,
        *(invoice.number for invoice in b.invoices),
        *(meter.serial_number for meter in b.meters),
        *(request.reference for request in b.requests),
        *(request.subject for request in b.requests),
        *(message.subject for message in b.messages),
    ]
    routes = customer_routes()
    assert routes, "no customer routes found: the resolver walk is broken"

    def probe(name, method, url, user):
        response = getattr(client, method)(url)
        probed[name] = probed.get(name, 0) + 1
        body = response.content.decode(errors="replace")
        if (
            user is None
            and name not in PUBLIC_ROUTES
            and response.status_code not in (302, 403, 404, 405)
        ):
            leaks.append(("anonymous", method, url, response.status_code))
        if any(secret in body for secret in secrets_of_b):
            leaks.append((getattr(user, "email", "anonymous"), method, url, "shows B's data"))
        return response

    for user in (a.owner, a.billing, a.technician, None):
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, kwargs in routes:
            object_kwargs = [k for k in kwargs if k in OBJECT_KWARGS]
            if not object_kwargs:
                for method in ("get", "post"):
                    probe(name, method, reverse(name), user)
                continue
            candidates = {
                "B's object": {k: OBJECT_KWARGS[k](b) for k in object_kwargs},
                "B's other object": {k: OBJECT_KWARGS[k](b, second=True) for k in object_kwargs},
                "unknown id": {k: uuid.uuid4() for k in object_kwargs},
            }
            if user == a.technician:
                # A's own objects outside the technician's subset of service points.
                outside = {
                    "service_point_id": a.service_points[0].public_id,
                    "meter_id": a.meters[0].public_id,
                    "reading_id": a.readings[0].public_id,
                    "request_id": a.requests[0].public_id,
                    "slot_id": a.slots[0].public_id,
                    "attachment_id": a.attachments[0].public_id,
                }
                if set(object_kwargs) <= set(outside):
                    candidates["outside subset"] = {k: outside[k] for k in object_kwargs}
            for label, values in candidates.items():
                url = reverse(name, kwargs=values)
                for method in ("get", "post", "put", "patch", "delete"):
                    response = probe(name, method, url, user)
                    if user is not None and response.status_code not in (403, 404, 405):
                        leaks.append((user.email, method, name, label, response.status_code))

    REPORT.parent.mkdir(parents=True, exist_ok=True)
    total = sum(probed.values())
    REPORT.write_text(f"{total} probes over {len(routes)} customer routes, {len(leaks)} leaks\n")
    assert leaks == []
    assert set(probed) == {name for name, _ in routes}


def test_own_objects_are_reachable_so_the_probe_is_not_vacuous(client, two_customers, home_page):
    a = two_customers.a
    client.force_login(a.owner)
    for name, kwargs in customer_routes():
        if not kwargs or name in {
            "customer:revoke_member",
            "customer:revoke_invitation",
            "customer:accept_invitation",
            "customer:decide_member",
            "customer:signup_confirm",
            "customer:accept_terms",
            "api-v1:import-detail",  # staff only: customers are refused their own ids too
        }:
            continue
        if "format" in kwargs:
            continue  # DRF's ".json" variant of a route checked without it
        values = {k: OBJECT_KWARGS[k](a) for k in kwargs}
        url = reverse(name, kwargs=values)
        response = client.get(url)
        if response.status_code == 405:  # an action: a POST with A's own object is taken up
            assert client.post(url).status_code not in (403, 404, 405), name
        else:
            assert response.status_code in (200, 302), name
