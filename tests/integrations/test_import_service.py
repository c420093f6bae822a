"""The ERP import service: formats, validation, all or nothing, idempotence."""

import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice, InvoiceLine
from customers.models import Customer, ServicePoint
from integrations.importer import import_file

pytestmark = pytest.mark.django_db

CUSTOMERS = (
    "external_id;number;name;nip;billing_street;billing_postal_code;billing_city;credit_limit\n"
    "K1;100001;Jan Kowalski;;ul. Długa 1;00-001;Warszawa;1 234,56\n"
    "K2;100002;Firma Sp. z o.o.;526-000-12-46;ul. Krótka 2;00-002;Kraków;1234.50\n"
)

INVOICE_HEADER = (
    "external_id,number,customer,service_point,issue_date,sale_date,due_date,"
    "net_total,vat_total,gross_total,line_position,line_description,line_quantity,line_unit,"
    "line_unit_net_price,line_vat_rate,line_net,line_vat,line_gross\n"
)
INVOICES = INVOICE_HEADER + (
    'F1,FV/1,K1,P1,2025-01-31,2025-01-31,2025-02-14,"150,00","34,50","184,50",'
    '1,Energia,100,kWh,"1,00",23,"100,00","23,00","123,00"\n'
    'F1,FV/1,K1,P1,2025-01-31,2025-01-31,2025-02-14,"150,00","34,50","184,50",'
    '2,Opłata,1,szt,"50,00",23,"50,00","11,50","61,50"\n'
    'F2,FV/2,K2,,2025-01-31,2025-01-31,2025-02-14,"10,00","2,30","12,30",'
    '1,Opłata,1,szt,"10,00",23,"10,00","2,30","12,30"\n'
)


def csv_file(text: str, name="import.csv", encoding="utf-8") -> io.BytesIO:
    data = io.BytesIO(text.encode(encoding))
    data.name = name
    return data


@pytest.fixture
def customers():
    report = import_file("customers", csv_file(CUSTOMERS))
    assert report.ok, report.errors
    return report


@pytest.fixture
def service_point(customers):
    text = (
        "external_id,customer,code,street,postal_code,city,tariff\n"
        "P1,K1,PL0037000000000001,ul. Długa 1,00-001,Warszawa,G11\n"
    )
    report = import_file("service_points", csv_file(text))
    assert report.ok, report.errors
    return ServicePoint.objects.get(external_id="P1")


def test_customers_are_created_with_polish_decimals_and_a_bom(customers):
    assert (customers.created, customers.updated, customers.unchanged) == (2, 0, 0)
    first = Customer.objects.get(external_id="K1")
    assert first.credit_limit == Decimal("1234.56")
    assert Customer.objects.get(external_id="K2").nip == "5260001246"
    again = import_file("customers", csv_file("\ufeff" + CUSTOMERS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_a_changed_row_is_updated_and_only_it(customers):
    changed = CUSTOMERS.replace("Jan Kowalski", "Jan Nowak")
    report = import_file("customers", csv_file(changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Customer.objects.get(external_id="K1").name == "Jan Nowak"


def test_one_bad_row_writes_nothing_and_names_row_and_column():
    bad = CUSTOMERS.replace("526-000-12-46", "1234567890")
    report = import_file("customers", csv_file(bad))
    assert not report.ok
    assert Customer.objects.count() == 0
    assert report.errors[0].row == 2
    assert report.errors[0].column == "nip"
    assert (report.created, report.updated) == (0, 0)


def test_partial_imports_the_valid_rows():
    bad = CUSTOMERS.replace("526-000-12-46", "1234567890")
    report = import_file("customers", csv_file(bad), partial=True)
    assert report.ok
    assert report.created == 1
    assert [e.row for e in report.errors] == [2]
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["K1"]


def test_dry_run_writes_nothing():
    report = import_file("customers", csv_file(CUSTOMERS), dry_run=True)
    assert report.created == 2
    assert Customer.objects.count() == 0


def test_wrong_columns_are_refused_naming_them():
    text = "external_id;nazwa;number\nK1;X;1\n"
    report = import_file("customers", csv_file(text))
    assert "name" in report.refused and "nazwa" in report.refused
    assert "billing_city" in report.refused


def test_cp1250_is_refused_with_a_clear_message():
    report = import_file(
        "customers", csv_file(CUSTOMERS.replace("Krótka", "Źródlana"), encoding="cp1250")
    )
    assert "UTF-8" in report.refused
    assert Customer.objects.count() == 0


def test_a_truncated_csv_is_refused_naming_the_row():
    text = CUSTOMERS + 'K3;100003;"Cut off in the mid'
    report = import_file("customers", csv_file(text))
    assert report.refused and "3" in report.refused
    assert Customer.objects.count() == 0


def test_json_lines_and_a_truncated_last_line(customers):
    lines = [
        {
            "external_id": "P9",
            "customer": "K2",
            "code": "PL9",
            "street": "ul. A 1",
            "postal_code": "00-001",
            "city": "Łódź",
            "service_kind": "gas",
        },
    ]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    report = import_file("service_points", csv_file(text, name="points.jsonl"))
    assert report.ok and report.created == 1
    assert ServicePoint.objects.get(external_id="P9").customer.external_id == "K2"
    cut = text + '{"external_id": "P10", "customer": "K'
    report = import_file("service_points", csv_file(cut, name="points.jsonl"))
    assert "2" in report.refused


def test_an_unknown_reference_is_a_row_error(customers):
    text = "external_id,customer,code,street,postal_code,city\nP1,NOPE,PL1,ul. A,00-001,Łódź\n"
    report = import_file("service_points", csv_file(text))
    assert report.errors[0].column == "customer"
    assert ServicePoint.objects.count() == 0


def test_invoices_with_lines_and_idempotence(service_point):
    report = import_file("invoices", csv_file(INVOICES))
    assert report.ok, report.error_lines()
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    invoice = Invoice.objects.get(external_id="F1")
    assert invoice.service_point == service_point
    assert invoice.gross_total == Decimal("184.50")
    assert list(invoice.lines.values_list("position", flat=True)) == [1, 2]
    again = import_file("invoices", csv_file(INVOICES))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert InvoiceLine.objects.count() == 3


def test_changed_invoice_lines_count_as_an_update(service_point):
    import_file("invoices", csv_file(INVOICES))
    changed = INVOICES.replace("1,Opłata,1,szt", "1,Abonament,1,szt")
    report = import_file("invoices", csv_file(changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Invoice.objects.get(external_id="F2").lines.get().description == "Abonament"


def test_invoice_lines_not_summing_are_refused_naming_the_invoice(service_point):
    bad = INVOICES.replace(
        '"10,00","2,30","12,30",\n'.replace("\n", ""), '"10,00","2,30","12,31",', 1
    )
    report = import_file("invoices", csv_file(bad))
    assert not report.ok
    assert any("FV/2" in str(error) for error in report.errors)
    assert Invoice.objects.count() == 0


def test_invoices_as_json_lines(service_point):
    record = {
        "external_id": "F5",
        "number": "FV/5",
        "customer": "K1",
        "issue_date": "2025-01-31",
        "sale_date": "2025-01-31",
        "due_date": "2025-02-14",
        "net_total": "100,00",
        "vat_total": 23,
        "gross_total": "123.00",
        "lines": [
            {
                "position": 1,
                "description": "Energia",
                "quantity": "100",
                "unit": "kWh",
                "unit_net_price": "1",
                "vat_rate": "23",
                "net": "100",
                "vat": "23",
                "gross": "123",
            }
        ],
    }
    report = import_file("invoices", csv_file(json.dumps(record) + "\n", name="f.jsonl"))
    assert report.ok, report.error_lines()
    assert Invoice.objects.get(external_id="F5").lines.get().net == Decimal("100.00")


@pytest.mark.parametrize("lines", [[], "1 line", [{"position": 1}, "two"]])
def test_json_invoice_lines_that_are_not_objects_are_refused(service_point, lines):
    record = {
        "external_id": "F6",
        "number": "FV/6",
        "customer": "K1",
        "issue_date": "2025-01-31",
        "sale_date": "2025-01-31",
        "due_date": "2025-02-14",
        "net_total": "0",
        "vat_total": "0",
        "gross_total": "0",
        "lines": lines,
    }
    report = import_file("invoices", csv_file(json.dumps(record) + "\n", name="f.jsonl"))
    assert not report.ok
    assert "lines" in [error.column for error in report.errors]
    assert not Invoice.objects.exists()


def test_chunks_give_the_same_result(service_point):
    report = import_file("invoices", csv_file(INVOICES), chunk_size=1)
    assert report.created == 2
    assert InvoiceLine.objects.count() == 3


def test_payments_are_allocated(service_point):
    import_file("invoices", csv_file(INVOICES))
    text = "external_id;customer;amount;received_on;named_invoice\nW1;K2;12,30;2025-02-01;F2\n"
    report = import_file("payments", csv_file(text))
    assert report.ok, report.error_lines()
    assert Invoice.objects.get(external_id="F2").status() == Invoice.Status.PAID


def test_two_records_of_one_file_cannot_share_a_number():
    text = CUSTOMERS + "K3;100001;Ktoś Inny;;ul. Boczna 3;00-003;Gdańsk;0\n"
    report = import_file("customers", csv_file(text))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, "number")]
    assert not Customer.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
def test_postgresql_copies_and_upserts_instead_of_loading_the_records(service_point):
    with CaptureQueriesContext(connection) as first:
        report = import_file("invoices", csv_file(INVOICES))
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    statements = [query["sql"] for query in first.captured_queries]
    upserts = [sql for sql in statements if "ON CONFLICT" in sql]
    assert upserts and all('FROM "import_stage_' in sql for sql in upserts)
    assert not any(sql.startswith('SELECT "billing_invoice"."id"') for sql in statements)
    header_changed = INVOICES.replace("2025-02-14", "2025-02-28")
    report = import_file("invoices", csv_file(header_changed))
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    assert InvoiceLine.objects.count() == 3
    assert Invoice.objects.filter(due_date="2025-02-28").count() == 2


def test_progress_is_visible_while_the_import_runs():
    from integrations.models import ImportRun

    run = ImportRun.objects.create(kind="customers", file_name="k.csv")
    run.report_progress(1500)
    assert run.rows_read == 0
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    assert ImportRun.objects.get(pk=run.pk).rows_read == 1500
