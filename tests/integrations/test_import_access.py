"""Importing who uses the portal (invitations, members) and shipments: the e-mails leave
once, and only when the import commits."""

import io
import json
import re

import pytest
from django.utils import translation

from customers.models import Invitation, Membership, Shipment
from integrations.importer import import_file
from notifications.models import Delivery
from tests.factories import CustomerFactory, MembershipFactory, ServicePointFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Zielona-Lampa-nad-Wisłą-7"

MEMBERS = (
    "external_id;customer;email;role;service_points\n"
    "D1;K1;Anna.Serwis@Example.pl;technical;P2|P1\n"
    "D2;K1;ksiegowa@example.pl;billing;\n"
    "D3;K2;szef@example.pl;owner;P3\n"
)

SHIPMENTS = (
    "external_id,customer,carrier,tracking_number,description,sent_on\n"
    "S1,K1,inpost,620111222,Nowy licznik,2025-02-03\n"
    "S2,K2,poczta_polska,PX 123,Aneks do umowy,2025-02-04\n"
)


def data_file(text: str, name="import.csv") -> io.BytesIO:
    data = io.BytesIO(text.encode())
    data.name = name
    return data


def run(kind, text, capture, name="import.csv", **options):
    """An import whose commit hooks run, as outside a test: the outbox is handed on."""
    with capture(execute=True):
        return import_file(kind, data_file(text, name), **options)


def counts(report) -> tuple[int, int, int]:
    return report.created, report.updated, report.unchanged


@pytest.fixture
def world(db):
    first = CustomerFactory(external_id="K1", name="Klient Pierwszy")
    second = CustomerFactory(external_id="K2", name="Klient Drugi")
    points = {
        "P1": ServicePointFactory(customer=first, external_id="P1"),
        "P2": ServicePointFactory(customer=first, external_id="P2"),
        "P3": ServicePointFactory(customer=second, external_id="P3"),
    }
    return {"K1": first, "K2": second, **points}


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_members_from_csv_are_invited_by_the_company_once(world, capture, mailoutbox):
    report = run("memberships", MEMBERS, capture)
    assert report.ok, report.error_lines()
    assert counts(report) == (3, 0, 0)
    technician = Invitation.objects.get(external_id="D1")
    assert (technician.customer, technician.email, technician.role) == (
        world["K1"],
        "anna.serwis@example.pl",
        "technical",
    )
    assert technician.invited_by is None
    assert set(technician.service_points.all()) == {world["P1"], world["P2"]}
    assert not Invitation.objects.get(external_id="D2").service_points.exists()
    assert sorted(message.to[0] for message in mailoutbox) == [
        "anna.serwis@example.pl",
        "ksiegowa@example.pl",
        "szef@example.pl",
    ]
    body = next(m.body for m in mailoutbox if m.to == ["anna.serwis@example.pl"])
    assert "Klient Pierwszy" in body
    assert "None" not in body
    assert "http://testserver/" in body

    again = run("memberships", MEMBERS, capture)
    assert counts(again) == (0, 0, 3)
    assert len(mailoutbox) == 3
    assert Delivery.objects.count() == 3
    assert Invitation.objects.count() == 3


def test_members_from_json_lines_with_an_array_of_points(world, capture, mailoutbox):
    records = [
        {"external_id": "D1", "customer": "K1", "email": "a@example.pl", "role": "read_only"},
        {
            "external_id": "D2",
            "customer": "K1",
            "email": "b@example.pl",
            "role": "technical",
            "service_points": ["P2"],
        },
    ]
    text = "".join(json.dumps(record) + "\n" for record in records)
    report = run("memberships", text, capture, name="members.jsonl")
    assert report.ok, report.error_lines()
    assert counts(report) == (2, 0, 0)
    assert list(Invitation.objects.get(external_id="D2").service_points.all()) == [world["P2"]]
    assert len(mailoutbox) == 2
    again = run("memberships", text, capture, name="members.jsonl")
    assert counts(again) == (0, 0, 2)
    assert len(mailoutbox) == 2


def test_a_bad_email_or_role_names_row_and_column_and_nothing_goes_out(world, capture, mailoutbox):
    bad = MEMBERS.replace("ksiegowa@example.pl", "ksiegowa(at)example.pl").replace(
        ";owner;", ";boss;"
    )
    report = run("memberships", bad, capture)
    assert not report.ok
    assert [(error.row, error.column) for error in report.errors] == [(2, "email"), (3, "role")]
    assert counts(report) == (0, 0, 0)
    assert Invitation.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert mailoutbox == []


def test_a_point_of_another_customer_or_an_unknown_one_is_refused(world, capture, mailoutbox):
    text = "external_id,customer,email,role,service_points\nD1,K1,a@example.pl,technical,P3 P9\n"
    report = run("memberships", text, capture)
    assert [(e.row, e.column) for e in report.errors] == [
        (1, "service_points"),
        (1, "service_points"),
    ]
    assert "P3" in report.errors[0].message and "P9" in report.errors[1].message
    assert Invitation.objects.count() == 0
    assert mailoutbox == []


def test_one_person_twice_for_a_customer_is_refused(world, capture):
    text = MEMBERS + "D4;K1;anna.serwis@example.pl;owner;\n"
    with translation.override("en"):
        report = run("memberships", text, capture)
    assert [(e.row, e.column) for e in report.errors] == [(4, "email")]
    assert "row 1" in report.errors[0].message
    assert Invitation.objects.count() == 0


def test_a_dry_run_or_a_refused_import_sends_nothing(world, capture, mailoutbox):
    report = run("memberships", MEMBERS, capture, dry_run=True)
    assert report.ok and counts(report) == (3, 0, 0)
    refused = run("memberships", MEMBERS.replace(";billing;", ";nobody;"), capture)
    assert not refused.ok
    assert Invitation.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert mailoutbox == []


def test_an_existing_member_is_updated_not_invited(world, capture, mailoutbox):
    member = MembershipFactory(
        customer=world["K1"], role="read_only", user=UserFactory(email="Ksiegowa@example.pl")
    )
    text = "external_id;customer;email;role;service_points\nD2;K1;ksiegowa@example.pl;billing;P1\n"
    report = run("memberships", text, capture)
    assert counts(report) == (0, 1, 0)
    member.refresh_from_db()
    assert (member.role, member.external_id) == ("billing", "D2")
    assert list(member.service_points.all()) == [world["P1"]]
    assert Invitation.objects.count() == 0
    assert mailoutbox == []
    assert counts(run("memberships", text, capture)) == (0, 0, 1)
    widened = text.replace(";P1\n", ";\n")
    assert counts(run("memberships", widened, capture)) == (0, 1, 0)
    assert not member.service_points.exists()


def test_a_changed_role_replaces_the_pending_invitation(world, capture, mailoutbox):
    run("memberships", MEMBERS, capture)
    report = run("memberships", MEMBERS.replace(";billing;", ";read_only;"), capture)
    assert counts(report) == (0, 1, 2)
    old, new = Invitation.objects.filter(external_id="D2").order_by("created_at")
    assert old.revoked_at is not None
    assert (new.role, new.revoked_at) == ("read_only", None)
    assert len(mailoutbox) == 4
    assert mailoutbox[-1].to == ["ksiegowa@example.pl"]


def test_an_imported_invitation_is_accepted_and_the_key_passes_to_the_member(
    world, capture, mailoutbox, client, home_page
):
    run("memberships", MEMBERS, capture)
    message = next(m for m in mailoutbox if m.to == ["anna.serwis@example.pl"])
    link = re.search(r"https?://\S+", message.body).group().removeprefix("http://testserver")
    assert "Klient Pierwszy" in client.get(link).content.decode()
    response = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    member = Membership.objects.get(user__email="anna.serwis@example.pl")
    assert (member.customer, member.role, member.external_id) == (world["K1"], "technical", "D1")
    assert member.invited_by is None
    assert set(member.service_points.all()) == {world["P1"], world["P2"]}
    assert Invitation.objects.get(external_id="D1").accepted_at is not None

    again = run("memberships", MEMBERS, capture)
    assert counts(again) == (0, 0, 3)
    assert len(mailoutbox) == 3


@pytest.fixture
def members(world):
    """An owner of each customer hears of its shipments."""
    for key in ("K1", "K2"):
        MembershipFactory(customer=world[key], user=UserFactory(email=f"owner-{key}@example.pl"))


def test_shipments_from_csv_are_announced_once(world, members, capture, mailoutbox):
    report = run("shipments", SHIPMENTS, capture)
    assert report.ok, report.error_lines()
    assert counts(report) == (2, 0, 0)
    shipment = Shipment.objects.get(external_id="S2")
    assert (shipment.customer, shipment.carrier, shipment.tracking_number) == (
        world["K2"],
        "poczta_polska",
        "PX 123",
    )
    assert str(shipment.sent_on) == "2025-02-04"
    assert sorted(m.to[0] for m in mailoutbox) == ["owner-K1@example.pl", "owner-K2@example.pl"]
    inpost = next(m for m in mailoutbox if m.to == ["owner-K1@example.pl"])
    assert "https://inpost.pl/sledzenie-przesylek?number=620111222" in inpost.body

    again = run("shipments", SHIPMENTS, capture)
    assert counts(again) == (0, 0, 2)
    assert len(mailoutbox) == 2
    assert Delivery.objects.count() == 2


def test_shipments_from_json_lines_and_an_update_is_not_announced_again(
    world, members, capture, mailoutbox
):
    record = {
        "external_id": "S9",
        "customer": "K1",
        "carrier": "dpd",
        "tracking_number": "X1",
        "description": "List",
        "sent_on": "2025-03-01",
    }
    report = run("shipments", json.dumps(record) + "\n", capture, name="s.jsonl")
    assert counts(report) == (1, 0, 0)
    record["description"] = "List polecony"
    changed = run("shipments", json.dumps(record) + "\n", capture, name="s.jsonl")
    assert counts(changed) == (0, 1, 0)
    assert Shipment.objects.get().description == "List polecony"
    assert len(mailoutbox) == 1
    assert Delivery.objects.count() == 1


def test_a_bad_shipment_row_writes_and_announces_nothing(world, members, capture, mailoutbox):
    bad = SHIPMENTS.replace("poczta_polska", "pigeon")
    report = run("shipments", bad, capture)
    assert [(e.row, e.column) for e in report.errors] == [(2, "carrier")]
    assert Shipment.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert mailoutbox == []


def test_a_dry_run_of_shipments_announces_nothing(world, members, capture, mailoutbox):
    report = run("shipments", SHIPMENTS, capture, dry_run=True)
    assert counts(report) == (2, 0, 0)
    assert Shipment.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert mailoutbox == []
