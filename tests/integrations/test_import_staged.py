"""PostgreSQL's set-based path for invoice CSV files against the Python path.

The same files go through both; the set-based proof must refuse every file the Python
checks refuse (and then the Python path names the problems exactly as it does alone), and
a file it accepts must give the same records as the Python path writes.
"""

import io

import pytest
from django.db import connection
from django.utils import translation

from billing.models import Invoice, InvoiceLine
from customers.models import Customer
from integrations.importer import import_file, staged

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's"
    ),
]

SETUP = {
    "customers": (
        "external_id;number;name;billing_street;billing_postal_code;billing_city\n"
        "K1;100001;Jan Kowalski;ul. Długa 1;00-001;Warszawa\n"
        "K2;100002;Firma Sp. z o.o.;ul. Krótka 2;00-002;Kraków\n"
    ),
    "service_points": (
        "external_id,customer,code,street,postal_code,city\n"
        "P1,K1,PL0037000000000001,ul. Długa 1,00-001,Warszawa\n"
    ),
}
HEADER = (
    "external_id;number;customer;service_point;kind;issue_date;sale_date;due_date;currency;"
    "net_total;vat_total;gross_total;split_payment;ksef_number;line_position;line_description;"
    "line_quantity;line_unit;line_unit_net_price;line_vat_rate;line_net;line_vat;line_gross\n"
)
F1 = "F1;FV/1;K1;P1;vat;2025-01-31;2025-01-31;2025-02-14;PLN;150,00;34,50;184,50;0;;"
F1_LINES = [
    F1 + "1;Energia;100;kWh;1,00;23;100,00;23,00;123,00\n",
    F1 + "2;Opłata;1;szt;50,00;23;50,00;11,50;61,50\n",
]
F2 = "F2;FV/2;K2;;;2025-01-31;2025-01-31;2025-02-14;;10.00;2.30;12.30;tak;KSEF-1;"
F2_LINES = [F2 + "1;Opłata;1;szt;10,00;23;10,00;2,30;12,30\n"]
F3 = "F3;FV/3;K2;;proforma;2025-03-01;2025-03-01;2025-03-15;EUR;5;0;5;N;;"
F3_LINES = [F3 + "1;Zaliczka;1,5;szt;3,3333;zw;5;0;5\n"]
VALID = HEADER + "".join(F1_LINES + F2_LINES + F3_LINES)


def csv_file(text: str) -> io.BytesIO:
    data = io.BytesIO(text.encode())
    data.name = "faktury.csv"
    return data


@pytest.fixture
def references():
    for kind, text in SETUP.items():
        assert import_file(kind, csv_file(text)).ok


@pytest.fixture
def proofs(monkeypatch):
    """What the set-based proof answered for each chunk."""
    answers = []
    proven = staged.StagedImport.proven

    def recorded(self, seen_table):
        answers.append(proven(self, seen_table))
        return answers[-1]

    monkeypatch.setattr(staged.StagedImport, "proven", recorded)
    return answers


def stored() -> list[tuple]:
    invoices = Invoice.objects.order_by("external_id").values_list(
        "external_id",
        "number",
        "customer__external_id",
        "service_point__external_id",
        "kind",
        "issue_date",
        "sale_date",
        "due_date",
        "currency",
        "net_total",
        "vat_total",
        "gross_total",
        "split_payment",
        "ksef_number",
        "erp_pdf",
    )
    lines = InvoiceLine.objects.order_by("invoice__external_id", "position").values_list(
        "invoice__external_id",
        "position",
        "description",
        "quantity",
        "unit",
        "unit_net_price",
        "vat_rate",
        "net",
        "vat",
        "gross",
    )
    return [*invoices, *lines]


def both_paths(monkeypatch, text: str, **options):
    """The report and the stored records, first by the Python path alone, then by the
    set-based path; the database is put back between them."""
    results = []
    for python_only in (True, False):
        with monkeypatch.context() as patch:
            if python_only:
                patch.setattr(staged, "for_kind", lambda spec, columns: None)
            with translation.override("en"):
                report = import_file("invoices", csv_file(text), **options)
            results.append((report, stored()))
        Invoice.objects.filter(external_id__startswith="F").delete()
    return results


def described(report) -> tuple:
    return (
        report.ok,
        report.refused,
        [error.as_dict() for error in report.errors],
        (report.created, report.updated, report.unchanged),
        report.rows,
        report.records,
    )


def line_of(invoice_line: str, **changes) -> str:
    """An invoice row with some columns changed (by name)."""
    names = HEADER.strip().split(";")
    values = invoice_line.rstrip("\n").split(";")
    for name, value in changes.items():
        values[names.index(name)] = value
    return ";".join(values) + "\n"


REFUSED = {
    "a line's gross is not net + VAT": [
        line_of(F1_LINES[0], line_gross="124,00", gross_total="185,50"),
        line_of(F1_LINES[1]),
    ],
    "the lines do not add up to the header": [F1_LINES[0], line_of(F1_LINES[1], line_net="49,00")],
    "the header's total differs from the lines": [
        line_of(row, vat_total="34,51") for row in F1_LINES
    ],
    "a row differs from the invoice's first row": [
        F1_LINES[0],
        line_of(F1_LINES[1], due_date="2025-02-15"),
    ],
    "a repeated line position": [F1_LINES[0], line_of(F1_LINES[1], line_position="1")],
    "a position written with a leading zero": [
        F1_LINES[0],
        line_of(F1_LINES[1], line_position="01"),
    ],
    "an invoice's rows apart": [F1_LINES[0], *F2_LINES, F1_LINES[1]],
    "an unknown customer": [line_of(row, customer="K9") for row in F1_LINES],
    "an unknown service point": [line_of(row, service_point="P9") for row in F1_LINES],
    "two invoices with one number": [*F1_LINES, line_of(F2_LINES[0], number="FV/1")],
    "an impossible date": [line_of(row, issue_date="2025-02-30") for row in F1_LINES],
    "a thirteenth month": [line_of(row, due_date="2025-13-01") for row in F1_LINES],
    "the year zero": [line_of(row, sale_date="0000-01-01") for row in F1_LINES],
    "a date in another format": [line_of(row, issue_date="31.01.2025") for row in F1_LINES],
    "too many decimal places": [
        F1_LINES[0],
        line_of(F1_LINES[1], line_net="50,001", line_gross="61,501"),
    ],
    "both separators in an amount": [line_of(row, net_total="1.150,00") for row in F1_LINES],
    "an amount too large": [line_of(F2_LINES[0], line_quantity="12345678901234")],
    "a word for an amount": [line_of(F2_LINES[0], line_unit_net_price="dziesięć")],
    "an empty number": [line_of(row, number="") for row in F1_LINES],
    "an empty external_id": [line_of(row, external_id="") for row in F1_LINES],
    "an external_id too long": [line_of(F2_LINES[0], external_id="F" * 65)],
    "a number too long": [line_of(F2_LINES[0], number="N" * 41)],
    "an unknown VAT rate": [line_of(F2_LINES[0], line_vat_rate="22")],
    "an unknown kind": [line_of(F2_LINES[0], kind="bill")],
    "a currency too long": [line_of(F2_LINES[0], currency="PLNX")],
    "a yes/no that is neither": [line_of(F2_LINES[0], split_payment="maybe")],
    "a description too long": [line_of(F2_LINES[0], line_description="x" * 301)],
    "an empty description": [line_of(F2_LINES[0], line_description="")],
    "a negative position": [line_of(F2_LINES[0], line_position="-1")],
    "a position out of range": [line_of(F2_LINES[0], line_position="40000")],
}


@pytest.mark.parametrize("rows", REFUSED.values(), ids=REFUSED.keys())
def test_a_file_the_python_checks_refuse_is_never_proven(monkeypatch, references, proofs, rows):
    (python, python_stored), (set_based, set_based_stored) = both_paths(
        monkeypatch, HEADER + "".join(rows)
    )
    assert not python.ok and python.errors, "the case must be one the Python path refuses"
    assert proofs and not any(proofs)
    assert described(set_based) == described(python)
    assert set_based_stored == python_stored == []


def test_a_nul_in_a_value_is_left_to_the_python_path(references, proofs):
    """COPY cannot stage a NUL: the row is not proven, and the Python path names it."""
    text = HEADER + line_of(F2_LINES[0], line_unit="s\x00zt")
    with translation.override("en"):
        report = import_file("invoices", csv_file(text))
    assert not report.ok
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (1, "line_unit", "Null characters are not allowed.")
    ]
    assert proofs == [False]
    assert not Invoice.objects.exists()


def test_a_number_taken_by_a_stored_invoice_is_not_proven(monkeypatch, references, proofs):
    Invoice.objects.create(
        customer=Customer.objects.get(external_id="K1"),
        number="FV/2",
        issue_date="2025-01-01",
        sale_date="2025-01-01",
        due_date="2025-01-15",
        net_total=0,
        vat_total=0,
        gross_total=0,
    )
    (python, _), (set_based, _) = both_paths(monkeypatch, VALID)
    assert not python.ok
    assert proofs == [False]
    assert described(set_based) == described(python)


def test_a_repeat_in_a_later_chunk_is_not_proven(monkeypatch, references, proofs):
    others = [line_of(F2_LINES[0], external_id=f"F{n}", number=f"FV/{n}") for n in range(10, 22)]
    text = HEADER + "".join(F1_LINES + others + F1_LINES)
    (python, _), (set_based, _) = both_paths(monkeypatch, text, chunk_size=1)
    assert [(e.row, e.column) for e in python.errors] == [(15, "external_id")]
    assert proofs[0] is True and proofs[-1] is False
    assert described(set_based) == described(python)


@pytest.mark.parametrize(
    "text",
    [
        VALID,
        # Values the Python checks accept and the proof leaves to them: the same result.
        VALID.replace("2025-03-01;2025-03-01", "2025-3-1;2025-03-01"),
        VALID.replace("150,00;34,50;184,50", "1 50,00;34,50;184,50"),
        VALID.replace(";1;Energia;", ";01;Energia;").replace(
            ";2;Opłata;1;szt;50", ";02;Opłata;1;szt;50"
        ),
    ],
    ids=["proven", "a short date", "a spaced amount", "leading zeros"],
)
def test_a_valid_file_gives_the_same_records_by_both_paths(monkeypatch, references, text):
    (python, python_stored), (set_based, set_based_stored) = both_paths(monkeypatch, text)
    assert python.ok, python.error_lines()
    assert described(set_based) == described(python)
    assert set_based_stored == python_stored
    assert len(python_stored) == 3 + 4


def test_the_proof_holds_for_a_valid_file_and_writes_it(references, proofs):
    report = import_file("invoices", csv_file(VALID))
    assert proofs == [True]
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    f2 = Invoice.objects.get(external_id="F2")
    assert (f2.kind, f2.currency, f2.split_payment, f2.ksef_number) == (
        "vat",
        "PLN",
        True,
        "KSEF-1",
    )
    assert f2.service_point is None


def test_changes_by_both_paths_count_alike(monkeypatch, references):
    changed = HEADER + "".join(
        [
            line_of(F1_LINES[0], line_description="Energia czynna"),
            F1_LINES[1],
            line_of(F2_LINES[0], due_date="2025-02-28"),
            *F3_LINES,
        ]
    )
    results = []
    for python_only in (True, False):
        with monkeypatch.context() as patch:
            if python_only:
                patch.setattr(staged, "for_kind", lambda spec, columns: None)
            first = import_file("invoices", csv_file(VALID))
            again = import_file("invoices", csv_file(changed))
            one_line = line_of(
                F1_LINES[0], net_total="100,00", vat_total="23,00", gross_total="123,00"
            )
            lines_gone = import_file("invoices", csv_file(HEADER + one_line))
            results.append(
                [(r.created, r.updated, r.unchanged) for r in (first, again, lines_gone)]
                + [stored()]
            )
        Invoice.objects.all().delete()
    assert results[0] == results[1]
    assert results[0][:3] == [(3, 0, 0), (0, 2, 1), (0, 1, 0)]


def test_partial_writes_the_same_valid_invoices(monkeypatch, references):
    text = HEADER + "".join([*F1_LINES, line_of(F2_LINES[0], customer="K9"), *F3_LINES])
    (python, python_stored), (set_based, set_based_stored) = both_paths(
        monkeypatch, text, partial=True
    )
    assert python.ok and [e.column for e in python.errors] == ["customer"]
    assert described(set_based) == described(python)
    assert set_based_stored == python_stored
    assert {row[0] for row in python_stored} == {"F1", "F3"}


def test_dry_run_writes_nothing(references, proofs):
    report = import_file("invoices", csv_file(VALID), dry_run=True)
    assert proofs == [True]
    assert report.ok and report.created == 3
    assert not Invoice.objects.exists()


def test_a_cut_off_file_is_refused_after_the_rows_before_it(monkeypatch, references):
    text = VALID + 'F4;"FV/4;K1\n'
    (python, _), (set_based, _) = both_paths(monkeypatch, text)
    assert python.refused
    assert described(set_based) == described(python)
