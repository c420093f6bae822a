"""The statement of account: balances that add up, the same gate as everything else, files.

Labels are not asserted (their Polish translations land separately); the data is.
"""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from billing.balance import balance_for
from billing.models import AdvanceInstalment, Payment
from billing.pdf import format_money
from billing.services import apply_credit, book_payment
from billing.statement import statement_for
from customers.models import AuditEvent
from customers.periods import a_year_before
from tests.factories import InvoiceFactory, MembershipFactory, ServicePointFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def owner(home_page):
    return MembershipFactory(role="owner")


def pay(customer, amount, on, **kwargs):
    return book_payment(
        customer=customer,
        amount=D(amount),
        received_on=on,
        kind=Payment.Kind.TRANSFER,
        **kwargs,
    )


def small_history(customer):
    """Before February: 123.00 invoiced, 100.00 paid. February and March: see the test."""
    InvoiceFactory(customer=customer, number="FV/1", issue_date=date(2026, 1, 10))
    pay(customer, "100.00", date(2026, 1, 20), title="za FV/1")
    original = InvoiceFactory(
        customer=customer,
        number="FV/2",
        issue_date=date(2026, 2, 10),
        lines=[("Energia czynna", D("1"), "szt.", D("200.00"), "23")],
    )
    InvoiceFactory(
        customer=customer,
        number="FV/K/1",
        kind="corrective",
        corrected_invoice=original,
        issue_date=date(2026, 2, 10),
        lines=[("Korekta energii", D("-1"), "szt.", D("50.00"), "23")],
    )
    InvoiceFactory(customer=customer, number="PF/1", kind="proforma", issue_date=date(2026, 2, 15))
    AdvanceInstalment.objects.create(
        customer=customer, schedule="P/2026", due_date=date(2026, 3, 1), amount=D("80.00")
    )
    pay(customer, "50.00", date(2026, 3, 1))
    InvoiceFactory(customer=customer, number="FV/3", issue_date=date(2026, 4, 5))


SMALL_PERIOD = {"from": "2026-02-01", "to": "2026-03-31"}


def test_opening_running_and_closing_balances(owner):
    small_history(owner.customer)

    statement = statement_for(owner, date(2026, 2, 1), date(2026, 3, 31))

    assert statement.opening_balance == D("23.00")
    assert [
        (row.date, row.document, row.debit, row.credit, row.balance) for row in statement.rows
    ] == [
        (date(2026, 2, 10), "FV/2", D("246.00"), D("0.00"), D("269.00")),
        (date(2026, 2, 10), "FV/K/1", D("0.00"), D("61.50"), D("207.50")),
        (date(2026, 3, 1), "P/2026", D("80.00"), D("0.00"), D("287.50")),
        (date(2026, 3, 1), "", D("0.00"), D("50.00"), D("237.50")),
    ]
    assert statement.total_debit == D("326.00")
    assert statement.total_credit == D("111.50")
    assert statement.closing_balance == D("237.50")
    assert all(isinstance(row.balance, Decimal) for row in statement.rows)


def test_a_pro_forma_is_never_on_the_statement(owner):
    small_history(owner.customer)
    statement = statement_for(owner, date(2000, 1, 1), date(2026, 12, 31))
    assert "PF/1" not in [row.document for row in statement.rows]
    assert statement.closing_balance == D("360.50")  # 237.50 + FV/3's 123.00


def test_the_closing_balance_is_the_balance_due(owner):
    small_history(owner.customer)
    statement = statement_for(owner, date(2025, 1, 1), timezone.localdate())
    assert statement.closing_balance == balance_for(owner).amount_due


def test_a_negative_correction_lowers_the_balance_due_too(owner):
    original = InvoiceFactory(customer=owner.customer, issue_date=date(2026, 1, 10))
    InvoiceFactory(
        customer=owner.customer,
        kind="corrective",
        corrected_invoice=original,
        issue_date=date(2026, 1, 20),
        lines=[("Korekta", D("-1"), "szt.", D("50.00"), "23")],
    )
    statement = statement_for(owner, date(2026, 1, 1), timezone.localdate())
    assert statement.closing_balance == D("61.50")
    assert balance_for(owner).amount_due == statement.closing_balance


HISTORY = st.lists(
    st.one_of(
        st.tuples(
            st.just("invoice"),
            st.integers(0, 400),
            st.integers(1, 500_000),
            st.sampled_from(["vat", "advance", "proforma"]),
            st.integers(0, 2),
        ),
        st.tuples(st.just("instalment"), st.integers(0, 400), st.integers(1, 100_000)),
        st.tuples(st.just("payment"), st.integers(0, 400), st.integers(1, 500_000), st.booleans()),
        st.tuples(st.just("settle")),
    ),
    max_size=14,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(history=HISTORY, limited=st.booleans())
def test_statement_closes_at_the_balance_due_for_any_history(db, history, limited):
    """Invoices (pro-formas too), instalments and payments, dated up to today, in any order;
    for the whole customer and for a member limited to one of two service points."""
    today = timezone.localdate()
    owner = MembershipFactory(role="owner")
    customer = owner.customer
    points = [ServicePointFactory(customer=customer) for _ in range(2)]
    membership = owner
    if limited:
        membership = MembershipFactory(customer=customer, role="technical")
        membership.service_points.set([points[1]])
    last_invoice = None
    for event in history:
        if event[0] == "invoice":
            _kind, days_ago, cents, kind, point = event
            issued = today - timedelta(days=days_ago)
            last_invoice = InvoiceFactory(
                customer=customer,
                kind=kind,
                service_point=(None, *points)[point],
                issue_date=issued,
                due_date=issued + timedelta(days=14),
                gross_total=D(cents) / 100,
            )
        elif event[0] == "instalment":
            _kind, days_ago, cents = event
            AdvanceInstalment.objects.create(
                customer=customer,
                schedule="P/1",
                due_date=today - timedelta(days=days_ago),
                amount=D(cents) / 100,
            )
        elif event[0] == "payment":
            _kind, days_ago, cents, named = event
            pay(
                customer,
                D(cents) / 100,
                today - timedelta(days=days_ago),
                named_invoice=last_invoice if named else None,
            )
        else:
            apply_credit(customer)

    statement = statement_for(membership, today - timedelta(days=401), today)

    assert statement.closing_balance == balance_for(membership).amount_due
    assert statement.opening_balance == D("0.00")
    assert statement.closing_balance == (
        statement.opening_balance + statement.total_debit - statement.total_credit
    )
    if statement.rows:
        assert statement.rows[-1].balance == statement.closing_balance


def test_a_member_limited_to_a_service_point_sees_its_share_of_payments(owner):
    customer = owner.customer
    first, second = ServicePointFactory(customer=customer), ServicePointFactory(customer=customer)
    technician = MembershipFactory(customer=customer, role="technical")
    technician.service_points.set([second])
    InvoiceFactory(
        customer=customer, number="FV/P1", service_point=first, issue_date=date(2026, 1, 1)
    )
    InvoiceFactory(
        customer=customer,
        number="FV/P2",
        service_point=second,
        issue_date=date(2026, 1, 2),
        lines=[("Energia", D("1"), "szt.", D("100.00"), "0")],
    )
    pay(customer, "150.00", date(2026, 2, 1))  # 123.00 settles FV/P1 first, 27.00 FV/P2

    statement = statement_for(technician, date(2026, 1, 1), timezone.localdate())

    assert [(row.document, row.debit, row.credit) for row in statement.rows] == [
        ("FV/P2", D("100.00"), D("0.00")),
        ("", D("0.00"), D("27.00")),
    ]
    assert statement.closing_balance == D("73.00") == balance_for(technician).amount_due


# The page and the files.


def test_the_page_shows_the_statement_for_the_period(client, owner):
    small_history(owner.customer)
    client.force_login(owner.user)

    response = client.get(reverse("billing:statement"), SMALL_PERIOD)

    assert response.status_code == 200
    statement = response.context["statement"]
    assert statement.closing_balance == D("237.50")
    html = response.content.decode()
    for number in ("FV/2", "FV/K/1", "P/2026"):
        assert number in html
    for absent in ("FV/1<", "PF/1", "FV/3"):
        assert absent not in html
    assert "237,50\xa0zł" in html and "23,00\xa0zł" in html
    query = "from=2026-02-01&amp;to=2026-03-31"
    assert f"{reverse('billing:statement_pdf')}?{query}" in html
    assert f"{reverse('billing:statement_csv')}?{query}" in html


def test_the_period_defaults_to_the_last_twelve_months(client, owner):
    client.force_login(owner.user)
    statement = client.get(reverse("billing:statement")).context["statement"]
    today = timezone.localdate()
    assert (statement.start, statement.end) == (a_year_before(today), today)
    assert a_year_before(date(2028, 2, 29)) == date(2027, 2, 28)


def queries(client, url):
    client.get(url)  # warm the per-process caches (site root paths, content types)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_the_history(client, home_page):
    today = timezone.localdate()
    small, large = MembershipFactory(role="owner"), MembershipFactory(role="owner")
    for membership, count in ((small, 1), (large, 150)):
        for n in range(count):
            InvoiceFactory(customer=membership.customer, issue_date=today - timedelta(days=n))
        AdvanceInstalment.objects.create(
            customer=membership.customer, schedule="P/1", due_date=today, amount=D("10.00")
        )
        pay(membership.customer, "50.00", today)
    url = reverse("billing:statement")
    client.force_login(small.user)
    few = queries(client, url)
    client.force_login(large.user)
    many = queries(client, url)
    assert few == many


def read_pdf(content: bytes) -> list[str]:
    assert content.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def assert_audited_attachment(response, owner, extension):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith(f'.{extension}"')
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD, customer=owner.customer)
    assert event.actor == owner.user
    assert event.detail["format"] == extension


def test_the_pdf_names_the_customer_and_the_closing_balance(client, owner):
    small_history(owner.customer)
    client.force_login(owner.user)

    response = client.get(reverse("billing:statement_pdf"), SMALL_PERIOD)

    assert_audited_attachment(response, owner, "pdf")
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(read_pdf(response.content))
    assert owner.customer.number in text
    assert " ".join(format_money(D("237.50")).split()) in text
    assert "FV/K/1" in text and "PF/1" not in text


def test_a_long_pdf_repeats_the_table_header_on_every_page(client, owner):
    today = timezone.localdate()
    for n in range(120):
        InvoiceFactory(customer=owner.customer, issue_date=today - timedelta(days=n))
    client.force_login(owner.user)

    pages = read_pdf(client.get(reverse("billing:statement_pdf")).content)

    with translation.override("pl"):
        header = gettext("Debit")
    assert len(pages) > 1
    assert all(header in page for page in pages)
    assert " ".join(format_money(D("14760.00")).split()) in pages[-1]  # 120 × 123.00


def test_the_csv_opens_in_a_polish_spreadsheet(client, owner):
    small_history(owner.customer)
    client.force_login(owner.user)

    response = client.get(reverse("billing:statement_csv"), SMALL_PERIOD)

    assert_audited_attachment(response, owner, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert all(len(row) == 6 for row in rows)
    header, opening, *entries, closing = rows
    assert opening[0] == "2026-02-01" and opening[5] == "23,00"
    assert [(row[0], row[1], row[3], row[4], row[5]) for row in entries] == [
        ("2026-02-10", "FV/2", "246,00", "", "269,00"),
        ("2026-02-10", "FV/K/1", "", "61,50", "207,50"),
        ("2026-03-01", "P/2026", "80,00", "", "287,50"),
        ("2026-03-01", "", "", "50,00", "237,50"),
    ]
    assert closing[0] == "2026-03-31"
    assert closing[3:] == ["326,00", "111,50", "237,50"]


def test_a_csv_cell_never_starts_a_formula(client, owner):
    pay(owner.customer, "10.00", timezone.localdate(), title='=HYPERLINK("http://x")')
    client.force_login(owner.user)
    content = client.get(reverse("billing:statement_csv")).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(content), delimiter=";") for cell in row]
    assert not any(cell.startswith("=") for cell in cells)
    assert any("HYPERLINK" in cell for cell in cells)


@pytest.mark.parametrize(
    "period, field",
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-01-01", "to": "31.01.2026"}, "to"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "from"),
    ],
)
def test_bad_dates_get_a_form_error_and_nothing_else(client, owner, period, field):
    InvoiceFactory(customer=owner.customer, number="FV/SEEN", issue_date=timezone.localdate())
    client.force_login(owner.user)
    with translation.override("pl"):
        label = {
            "from": pgettext("start of a period", "From"),
            "to": pgettext("end of a period", "To"),
        }[field]

    page = client.get(reverse("billing:statement"), period)
    assert page.status_code == 200
    assert list(page.context["form"].errors) == [field]
    assert "statement" not in page.context
    assert "FV/SEEN" not in page.content.decode()
    for name in ("billing:statement_pdf", "billing:statement_csv"):
        response = client.get(reverse(name), period)
        assert response.status_code == 400
        assert response.content.decode().startswith(f"{label}: ")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_customer_b_never_appears_on_customer_a_statement(client, two_customers):
    a, b = two_customers.a, two_customers.b
    pay(b.customer, "99.99", timezone.localdate(), title="B-SECRET-TITLE")
    AdvanceInstalment.objects.create(
        customer=b.customer,
        schedule="B-SECRET-SCHEDULE",
        due_date=timezone.localdate(),
        amount=D("10.00"),
    )
    secrets = [b.customer.number, "B-SECRET", *(invoice.number for invoice in b.invoices)]
    client.force_login(a.owner)
    period = {"from": "2000-01-01"}

    page = client.get(reverse("billing:statement"), period)
    html = page.content.decode()
    csv_text = client.get(reverse("billing:statement_csv"), period).content.decode("utf-8-sig")
    pdf_text = " ".join(read_pdf(client.get(reverse("billing:statement_pdf"), period).content))

    for text in (html, csv_text, pdf_text):
        assert all(invoice.number in text for invoice in a.invoices)
        assert not any(secret in text for secret in secrets)
    assert page.context["statement"].closing_balance == D("246.00")


def test_a_member_without_billing_rights_gets_no_statement(client, two_customers):
    client.force_login(two_customers.a.technician)
    for name in ("billing:statement", "billing:statement_pdf", "billing:statement_csv"):
        assert client.get(reverse(name)).status_code == 403
