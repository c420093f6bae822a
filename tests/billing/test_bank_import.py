from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from billing.bank.importer import import_statement
from billing.bank.parsers import StatementError, parse
from billing.models import BankCredit, Invoice, Payment
from tests.factories import CustomerFactory, InvoiceFactory

# Real statements from banks live in ../shared/testdata beside the project's checkout.
TESTDATA = next(
    (
        p / "shared" / "testdata"
        for p in Path(__file__).resolve().parents
        if (p / "shared" / "testdata" / "mt940").is_dir()
    ),
    None,
)
needs_testdata = pytest.mark.skipif(TESTDATA is None, reason="../shared/testdata not found")
DEMO = Path(__file__).resolve().parents[2] / "billing" / "demo_data" / "mbank-demo.sta"
COMPANY_ACCOUNT = "PL61109010140000071219812874"
STATEMENTS = (
    sorted(TESTDATA.glob("mt940/*/*.sta")) + sorted(TESTDATA.glob("camt053/*.xml"))
    if TESTDATA
    else []
)


@pytest.mark.parametrize("path", STATEMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_statement_parses_or_is_reported_by_line(path):
    assert TESTDATA is not None
    try:
        statement = parse(path.read_bytes(), path.name)
    except StatementError as error:
        assert str(error).startswith(("line ", "MT940", "camt.053")), error
    else:
        assert statement.account
        assert all(credit.amount > 0 for credit in statement.credits)


@needs_testdata
def test_mbank_statement_reads_its_account_and_credits():
    statement = parse((TESTDATA / "mt940/mBank/mt940.sta").read_bytes())
    assert statement.account == "PL29114010810000267002001002"
    assert [c.amount for c in statement.credits] == [Decimal("0.01")] * 3
    assert "JAN NOWAK" in statement.credits[0].title


@needs_testdata
def test_camt053_credit_is_read():
    statement = parse((TESTDATA / "camt053/oca-test-camt053.xml").read_bytes())
    assert statement.account == "NL77ABNA0574908765"
    assert statement.currency == "EUR"
    assert len(statement.credits) == 1


def test_xml_bombs_are_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    )
    with pytest.raises(StatementError):
        parse(bomb)


@pytest.mark.django_db
def test_credits_match_by_individual_account_or_invoice_number_and_import_once(home_page):
    household = CustomerFactory(number="100001", bank_account="PL02109010140000000000100001")
    invoice = InvoiceFactory(
        customer=household, gross_total=Decimal("245.60"), due_date=date(2026, 11, 30)
    )
    result = import_statement(DEMO.read_bytes(), own_account=COMPANY_ACCOUNT, filename=DEMO.name)
    assert (result.booked, result.to_review) == (1, 1)
    assert invoice.status() == Invoice.Status.PAID
    unmatched = BankCredit.objects.get(status=BankCredit.Status.UNMATCHED)
    assert unmatched.amount == Decimal("99.99")

    again = import_statement(DEMO.read_bytes(), own_account=COMPANY_ACCOUNT)
    assert (again.booked, again.to_review, again.already_imported) == (0, 0, 2)
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_invoice_number_in_the_title_finds_the_customer(home_page):
    invoice = InvoiceFactory(number="FV/2026/11/000777", gross_total=Decimal("245.60"))
    data = DEMO.read_bytes().replace(
        b"NA RACH.: 02109010140000000000100001;", b"FV/2026/11/000777;"
    )
    import_statement(data, own_account=COMPANY_ACCOUNT)
    assert invoice.status() == Invoice.Status.PAID


@needs_testdata
@pytest.mark.django_db
def test_a_statement_of_another_account_is_refused_and_changes_nothing(home_page):
    with pytest.raises(StatementError, match="not the company's account"):
        import_statement(
            (TESTDATA / "mt940/mBank/mt940.sta").read_bytes(), own_account=COMPANY_ACCOUNT
        )
    assert not BankCredit.objects.exists()


@needs_testdata
@pytest.mark.django_db
def test_a_statement_in_another_currency_is_refused(home_page):
    path = TESTDATA / "camt053/oca-test-camt053.xml"
    with pytest.raises(StatementError, match="EUR"):
        import_statement(path.read_bytes(), own_account="NL77ABNA0574908765")


@pytest.mark.django_db
def test_command_reports_clearly(home_page, capsys, tmp_path):
    CustomerFactory(number="100001", bank_account="PL02109010140000000000100001")
    call_command("import_bank_statement", str(DEMO))
    assert "1 booked, 1 to review" in capsys.readouterr().out
    broken = tmp_path / "broken.sta"
    broken.write_text(":20:X\n:28C:1/1\n")
    with pytest.raises(CommandError, match="broken.sta: line"):
        call_command("import_bank_statement", str(broken))


@needs_testdata
@pytest.mark.django_db
def test_staff_upload_a_statement_and_see_what_to_review(staff_client, home_page):
    from django.core.files.uploadedfile import SimpleUploadedFile

    CustomerFactory(number="100001", bank_account="PL02109010140000000000100001")
    upload = SimpleUploadedFile("wyciag.sta", DEMO.read_bytes())
    response = staff_client.post(
        "/admin/bank-statements/upload/", {"statement": upload}, follow=True
    )
    assert response.status_code == 200
    review = staff_client.get("/admin/snippets/billing/bankcredit/", {"status": "unmatched"})
    assert "99,99" in review.content.decode() or "99.99" in review.content.decode()
    wrong = SimpleUploadedFile("obcy.sta", (TESTDATA / "mt940/mBank/mt940.sta").read_bytes())
    refused = staff_client.post("/admin/bank-statements/upload/", {"statement": wrong})
    assert "PL29114010810000267002001002" in refused.content.decode()


@pytest.mark.django_db
def test_staff_book_an_unmatched_credit_for_a_customer(staff_client, home_page):
    customer = CustomerFactory(number="555001")
    invoice = InvoiceFactory(customer=customer, gross_total=Decimal("99.99"))
    import_statement(DEMO.read_bytes(), own_account=COMPANY_ACCOUNT)
    credit = BankCredit.objects.get(amount=Decimal("99.99"))
    assert credit.status == BankCredit.Status.UNMATCHED
    page = staff_client.get("/admin/bank-statements/review/").content.decode()
    assert "NIEZNANY PLATNIK" in page
    staff_client.post("/admin/bank-statements/review/", {"credit": credit.pk, "customer": "999999"})
    credit.refresh_from_db()
    assert credit.status == BankCredit.Status.UNMATCHED
    staff_client.post(
        "/admin/bank-statements/review/",
        {"credit": credit.pk, "customer": "555001", "decision": "book"},
    )
    credit.refresh_from_db()
    assert (credit.status, credit.customer) == (BankCredit.Status.MATCHED, customer)
    assert invoice.status() == Invoice.Status.PAID
