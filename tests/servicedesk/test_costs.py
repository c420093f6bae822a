"""The cost report: amounts rounded per line like an invoice, staff forms, the customer's PDF.

Labels are not asserted in Polish (their translations land separately); where a label
matters, the test asks gettext for it under the renderer's language.
"""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from customers.models import AuditEvent
from servicedesk import costs, services
from servicedesk.costs import cost_report, format_money, line_amounts
from servicedesk.models import CostItem, Event, Request, RequestType
from tests.conftest import verify_with_second_factor
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.mark.parametrize(
    ("quantity", "price", "rate", "expected"),
    [
        ("1", "100.00", "23", ("100.00", "23.00", "123.00")),
        ("1.5", "33.33", "23", ("50.00", "11.50", "61.50")),  # 49.995 rounds up
        ("1", "2.50", "5", ("2.50", "0.13", "2.63")),  # 0.125 rounds up, not to even
        ("3", "10.05", "23", ("30.15", "6.93", "37.08")),  # 6.9345
        ("0.05", "0.10", "23", ("0.01", "0.00", "0.01")),  # 0.005 → 0.01, VAT 0.0023
        ("2", "0.00", "23", ("0.00", "0.00", "0.00")),
        ("1", "1003.71", "23", ("1003.71", "230.85", "1234.56")),
        ("7", "12.34", "0", ("86.38", "0.00", "86.38")),
    ],
)
def test_a_line_is_rounded_half_up_to_the_grosz(quantity, price, rate, expected):
    assert line_amounts(D(quantity), D(price), D(rate)) == tuple(D(v) for v in expected)


@pytest.fixture
def repair(desk, home_page):
    service = RequestType.objects.create(
        slug="naprawa",
        name="Naprawa",
        name_en="Repair",
        category=RequestType.Category.SERVICE,
        team=desk.team,
        calendar=desk.calendar,
    )
    return services.file_request(
        membership=desk.owner,
        user=desk.owner.user,
        request_type=service,
        data={},
        service_point=desk.point,
        subject="Wymiana zaworu — Łódź",
    )


def add(request, actor, **fields):
    defaults = {
        "kind": CostItem.Kind.LABOUR,
        "description": "Robocizna",
        "quantity": D("1"),
        "unit": "h",
        "unit_price": D("100.00"),
        "vat_rate": D("23"),
    }
    return costs.add_cost_item(request, actor=actor, **(defaults | fields))


def test_totals_are_sums_of_rounded_lines(repair, admin_user):
    # Each line: 0.02 net, 0.0046 VAT → 0.00; VAT on the summed net would round to 0.01.
    add(repair, admin_user, unit_price=D("0.02"))
    add(repair, admin_user, unit_price=D("0.02"), kind=CostItem.Kind.PARTS, unit="szt.")
    report = cost_report(repair)
    assert [line.vat for line in report.lines] == [D("0.00"), D("0.00")]
    assert (report.net, report.vat, report.gross) == (D("0.04"), D("0.00"), D("0.04"))


def test_a_mixed_report_adds_up(repair, admin_user):
    add(repair, admin_user, quantity=D("2.5"), unit_price=D("120.00"))  # 300.00 + 69.00
    add(
        repair,
        admin_user,
        kind=CostItem.Kind.PARTS,
        description="Zawór kulowy",
        quantity=D("3"),
        unit="szt.",
        unit_price=D("10.05"),
        vat_rate=D("8"),
    )  # 30.15 + 2.412 → 2.41
    add(
        repair,
        admin_user,
        kind=CostItem.Kind.TRAVEL,
        description="Dojazd",
        quantity=D("42"),
        unit="km",
        unit_price=D("1.15"),
    )  # 48.30 + 11.109 → 11.11
    report = cost_report(repair)
    assert report.net == D("378.45")
    assert report.vat == D("82.52")
    assert report.gross == D("460.97") == report.net + report.vat
    assert bool(report)


def test_every_change_is_in_the_history_and_a_closed_report_is_frozen(repair, admin_user):
    item = add(repair, admin_user, description="Przegląd")
    costs.remove_cost_item(item, actor=admin_user)
    events = list(repair.events.filter(kind=Event.Kind.COST))
    assert len(events) == 2 and all(event.public for event in events)
    assert "Przegląd" in events[0].text and "Przegląd" in events[1].text
    assert not repair.cost_items.exists()
    kept = add(repair, admin_user)
    Request.objects.filter(pk=repair.pk).update(status=Request.Status.CLOSED)
    with pytest.raises(ValidationError, match="closed|zamkn"):
        add(repair, admin_user)
    with pytest.raises(ValidationError, match="closed|zamkn"):
        costs.remove_cost_item(kept, actor=admin_user)
    assert list(repair.cost_items.all()) == [kept]


def test_a_line_must_be_valid(repair, admin_user):
    with pytest.raises(ValidationError) as excinfo:
        add(repair, admin_user, quantity=D("0"), description="")
    assert set(excinfo.value.message_dict) == {"quantity", "description"}
    assert not repair.cost_items.exists()


# The desk's forms.


def test_the_desk_adds_and_removes_lines_from_the_request_page(staff_client, repair):
    page = staff_client.get(reverse("servicedesk_request", args=[repair.pk]))
    assert page.status_code == 200
    assert reverse("servicedesk_cost_add", args=[repair.pk]) in page.content.decode()
    url = reverse("servicedesk_cost_add", args=[repair.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        {
            "kind": "parts",
            "description": "Licznik",
            "quantity": "1",
            "unit": "szt.",
            "unit_price": "1003.71",
            "vat_rate": "23",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("servicedesk_request", args=[repair.pk])
    item = repair.cost_items.get()
    assert (item.kind, item.unit_price, item.vat_rate) == ("parts", D("1003.71"), D("23"))
    page = staff_client.get(reverse("servicedesk_request", args=[repair.pk])).content.decode()
    assert "1234,56" in page.replace("\xa0", "").replace(" ", "")

    response = staff_client.post(reverse("servicedesk_cost_delete", args=[item.pk]))
    assert response.status_code == 302
    assert not repair.cost_items.exists()


def test_the_desk_reads_what_is_wrong_with_a_line(staff_client, repair):
    response = staff_client.post(
        reverse("servicedesk_cost_add", args=[repair.pk]),
        {
            "kind": "labour",
            "description": "Robocizna",
            "quantity": "0",
            "unit": "h",
            "unit_price": "-5",
            "vat_rate": "150",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"quantity", "unit_price", "vat_rate"}
    assert not repair.cost_items.exists()


def test_staff_without_the_permission_change_nothing(client, desk, repair, admin_user):
    item = add(repair, admin_user)
    desk.agent.user_permissions.add(Permission.objects.get(codename="access_admin"))
    verify_with_second_factor(client, desk.agent)
    response = client.post(reverse("servicedesk_cost_delete", args=[item.pk]))
    assert response["Location"] == "/admin/"
    response = client.post(reverse("servicedesk_cost_add", args=[repair.pk]), {})
    assert response["Location"] == "/admin/"
    assert list(repair.cost_items.all()) == [item]


# The customer's view and PDF.


def pdf_url(request):
    return reverse("servicedesk:cost_pdf", kwargs={"request_id": request.public_id})


def flat(text: str) -> str:
    """Whitespace as single spaces: wrapped lines and non-breaking spaces read as one."""
    return " ".join(text.split())


@pytest.fixture
def priced(repair, admin_user):
    add(repair, admin_user, description="Wymiana licznika; gęśl", unit_price=D("1003.71"))
    add(
        repair,
        admin_user,
        kind=CostItem.Kind.TRAVEL,
        description="Dojazd",
        quantity=D("1.5"),
        unit="km",
        unit_price=D("33.33"),
    )
    return repair


def test_the_customer_reads_the_report_on_the_request_page(client, desk, priced):
    client.force_login(desk.owner.user)
    page = client.get(reverse("servicedesk:request", kwargs={"request_id": priced.public_id}))
    text = page.content.decode()
    assert "Wymiana licznika; gęśl" in text and pdf_url(priced) in text
    # 1 234,56 + 61,50 gross.
    assert "1296,06" in flat(text).replace(" ", "").replace("\xa0", "")


def test_the_customer_downloads_the_report_as_a_polish_pdf(client, desk, priced):
    client.force_login(desk.owner.user)
    response = client.get(pdf_url(priced), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith(f'{priced.reference}.pdf"')
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"%PDF-")
    text = flat(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    )
    assert priced.reference in text
    assert "Wymiana zaworu — Łódź" in text
    assert priced.customer.name in text and priced.customer.number in text
    assert "Okienko Energia Sp. z o.o." in text  # the letterhead of the PDF kit
    assert "Wymiana licznika; gęśl" in text
    assert "1 003,71" in text  # unit price and net
    assert "230,85" in text and "11,50" in text
    assert flat(format_money(D("1234.56") + D("61.50"))) in text  # 1 296,06 zł
    with translation.override("pl"):
        assert gettext("Customer number") in text
        assert gettext("Gross") in text
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert event.customer == priced.customer and event.actor == desk.owner.user
    assert event.detail["file"] == "cost_report" and priced.reference in event.object_repr


def test_polish_amounts_are_formatted_polish_style():
    assert format_money(D("1234.56")) == "1\xa0234,56\xa0zł"
    assert format_money(D("1234567.5")) == "1\xa0234\xa0567,50\xa0zł"
    assert format_money(D("0")) == "0,00\xa0zł"
    assert costs.format_number(D("1.50"), 0, 2) == "1,5"


def test_another_customer_gets_no_report(client, priced):
    stranger = MembershipFactory(role="owner")
    client.force_login(stranger.user)
    assert client.get(pdf_url(priced)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_no_report_no_pdf(client, desk, repair):
    client.force_login(desk.owner.user)
    assert client.get(pdf_url(repair)).status_code == 404
    page = client.get(reverse("servicedesk:request", kwargs={"request_id": repair.public_id}))
    assert pdf_url(repair) not in page.content.decode()
