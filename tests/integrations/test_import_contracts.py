"""Importing contracts (service points, PDF versions), advance schedules and invoice PDFs."""

import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from billing.models import AdvanceInstalment, Invoice, Payment
from customers.models import Contract, ContractAcceptance, ContractDocument, ServicePoint
from integrations.importer import import_file
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = (
    "external_id;number;name;billing_street;billing_postal_code;billing_city\n"
    "K1;100001;Jan Kowalski;ul. Długa 1;00-001;Warszawa\n"
    "K2;100002;Firma Sp. z o.o.;ul. Krótka 2;00-002;Kraków\n"
)
POINTS = (
    "external_id,customer,code,street,postal_code,city\n"
    "P1,K1,PL0037000000000001,ul. Długa 1,00-001,Warszawa\n"
    "P2,K1,PL0037000000000002,ul. Długa 3,00-001,Warszawa\n"
    "P3,K2,PL0037000000000003,ul. Krótka 2,00-002,Kraków\n"
)

CONTRACT_HEADER = (
    "external_id;number;customer;kind;status;start_date;end_date;service_points;"
    "pdf;pdf_title;pdf_requires_acceptance\n"
)
CONTRACTS = CONTRACT_HEADER + (
    "U1;UK/1;K1;comprehensive;active;2025-01-01;2026-12-31;P1 | P2;umowa-1.pdf;Umowa;0\n"
    "U2;UK/2;K2;sale;;2025-03-01;;;;;\n"
)

INVOICE_HEADER = (
    "external_id,number,customer,issue_date,sale_date,due_date,net_total,vat_total,gross_total,"
    "line_position,line_description,line_quantity,line_unit,line_unit_net_price,line_vat_rate,"
    "line_net,line_vat,line_gross,pdf\n"
)


def pdf(text: str) -> bytes:
    return f"%PDF-1.4\n% {text}\n%%EOF\n".encode()


def data_file(text: str, name: str = "import.csv") -> io.BytesIO:
    stream = io.BytesIO(text.encode())
    stream.name = name
    return stream


def zip_file(files: dict[str, bytes | str]) -> io.BytesIO:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    stream.seek(0)
    stream.name = "import.zip"
    return stream


def counts(report) -> tuple[int, int, int]:
    return report.created, report.updated, report.unchanged


def invoice_rows(pdf_one: str = "pdf/F1.pdf", pdf_two: str = "pdf/F2.pdf") -> str:
    return INVOICE_HEADER + (
        f'F1,FV/1,K1,2025-01-31,2025-01-31,2025-02-14,"10,00","2,30","12,30",'
        f'1,Opłata,1,szt,"10,00",23,"10,00","2,30","12,30",{pdf_one}\n'
        f'F2,FV/2,K2,2025-01-31,2025-01-31,2025-02-14,"20,00","4,60","24,60",'
        f'1,Opłata,1,szt,"20,00",23,"20,00","4,60","24,60",{pdf_two}\n'
    )


@pytest.fixture
def points():
    for kind, text in (("customers", CUSTOMERS), ("service_points", POINTS)):
        report = import_file(kind, data_file(text))
        assert report.ok, report.error_lines()
    return {point.external_id: point for point in ServicePoint.objects.all()}


def write_folder(folder, files: dict[str, bytes | str]):
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return folder


# -- contracts --


def test_contracts_from_a_folder_with_points_and_a_first_version(points, tmp_path):
    write_folder(tmp_path, {"contracts.csv": CONTRACTS, "umowa-1.pdf": pdf("umowa 1")})
    report = import_file("contracts", str(tmp_path / "contracts.csv"))
    assert report.ok, report.error_lines()
    assert counts(report) == (2, 0, 0)
    first = Contract.objects.get(external_id="U1")
    assert (first.number, first.customer.external_id, first.kind) == ("UK/1", "K1", "comprehensive")
    assert (first.start_date, first.end_date) == (date(2025, 1, 1), date(2026, 12, 31))
    assert {p.external_id for p in first.service_points.all()} == {"P1", "P2"}
    document = first.documents.get()
    assert (document.version, document.title, document.requires_acceptance) == (1, "Umowa", False)
    assert document.uploaded_by is None
    with document.file.open("rb") as stored:
        assert stored.read() == pdf("umowa 1")
    assert document.file.name.startswith("contracts/") and document.file.name.endswith(".pdf")
    second = Contract.objects.get(external_id="U2")
    assert (second.status, second.end_date) == ("active", None)
    assert not second.service_points.exists() and not second.documents.exists()

    again = import_file("contracts", str(tmp_path / "contracts.csv"))
    assert counts(again) == (0, 0, 2)
    assert ContractDocument.objects.count() == 1
    assert Contract.service_points.through.objects.count() == 2


def test_contracts_as_json_lines_in_a_zip(points):
    rows = [
        {
            "external_id": "U7",
            "number": "UK/7",
            "customer": "K1",
            "kind": "distribution",
            "start_date": "2025-02-01",
            "service_points": ["P2"],
            "pdf": "pdf/U7.pdf",
            "pdf_title": "Warunki 2025",
            "pdf_requires_acceptance": True,
        }
    ]
    text = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n"
    upload = zip_file({"contracts.jsonl": text, "pdf/U7.pdf": pdf("u7")})
    report = import_file("contracts", upload)
    assert report.ok, report.error_lines()
    contract = Contract.objects.get(external_id="U7")
    assert list(contract.service_points.all()) == [points["P2"]]
    document = contract.documents.get()
    assert (document.title, document.requires_acceptance) == ("Warunki 2025", True)
    assert document.file.read() == pdf("u7")
    assert counts(
        import_file("contracts", zip_file({"c.jsonl": text, "pdf/U7.pdf": pdf("u7")}))
    ) == (
        0,
        0,
        1,
    )


def test_a_different_pdf_adds_the_next_version_and_the_same_adds_nothing(points, tmp_path):
    write_folder(tmp_path, {"c.csv": CONTRACTS, "umowa-1.pdf": pdf("umowa 1")})
    import_file("contracts", str(tmp_path / "c.csv"))
    annex = CONTRACTS.replace("umowa-1.pdf;Umowa;0", "umowa-1.pdf;Nowe warunki;1")
    write_folder(tmp_path, {"c.csv": annex, "umowa-1.pdf": pdf("nowe warunki")})

    report = import_file("contracts", str(tmp_path / "c.csv"))
    assert counts(report) == (0, 1, 1)
    contract = Contract.objects.get(external_id="U1")
    versions = list(contract.documents.values_list("version", "title", "requires_acceptance"))
    assert versions == [(1, "Umowa", False), (2, "Nowe warunki", True)]
    assert contract.documents.get(version=2).file.read() == pdf("nowe warunki")
    assert contract.documents.get(version=1).file.read() == pdf("umowa 1")

    assert counts(import_file("contracts", str(tmp_path / "c.csv"))) == (0, 0, 2)
    write_folder(tmp_path, {"c.csv": CONTRACTS, "umowa-1.pdf": pdf("umowa 1")})
    assert counts(import_file("contracts", str(tmp_path / "c.csv"))) == (0, 0, 2)
    assert contract.documents.count() == 2


def test_an_imported_version_to_accept_is_offered_like_a_staff_upload(client, points, tmp_path):
    text = CONTRACTS.replace("umowa-1.pdf;Umowa;0", "umowa-1.pdf;Nowe warunki;1")
    write_folder(tmp_path, {"c.csv": text, "umowa-1.pdf": pdf("do akceptacji")})
    assert import_file("contracts", str(tmp_path / "c.csv")).ok
    contract = Contract.objects.get(external_id="U1")
    document = contract.documents.get()
    owner = MembershipFactory(
        customer=contract.customer, role="owner", user=UserFactory(email="wlasciciel@example.pl")
    ).user
    client.force_login(owner)

    page = client.get(reverse("customer:contract", args=[contract.public_id]))
    accept_url = reverse("customer:accept_terms", args=[document.public_id])
    assert page.status_code == 200 and accept_url in page.content.decode()
    download = client.get(reverse("customer:contract_document", args=[document.public_id]))
    assert b"".join(download.streaming_content) == pdf("do akceptacji")
    client.post(accept_url)
    assert ContractAcceptance.objects.get().document == document


def test_service_points_are_replaced_only_when_they_differ(points, tmp_path):
    write_folder(tmp_path, {"c.csv": CONTRACTS, "umowa-1.pdf": pdf("umowa 1")})
    import_file("contracts", str(tmp_path / "c.csv"))
    contract = Contract.objects.get(external_id="U1")

    write_folder(tmp_path, {"c.csv": CONTRACTS.replace("P1 | P2", "P2|P1")})
    assert counts(import_file("contracts", str(tmp_path / "c.csv"))) == (0, 0, 2)

    write_folder(tmp_path, {"c.csv": CONTRACTS.replace("P1 | P2", "P2")})
    assert counts(import_file("contracts", str(tmp_path / "c.csv"))) == (0, 1, 1)
    assert list(contract.service_points.all()) == [points["P2"]]

    without_column = (
        "external_id;number;customer;kind;start_date\nU1;UK/1;K1;comprehensive;2025-01-01\n"
    )
    report = import_file("contracts", data_file(without_column))
    assert counts(report) == (0, 0, 1)
    assert Contract.objects.get(external_id="U1").end_date == date(2026, 12, 31)
    assert list(contract.service_points.all()) == [points["P2"]]
    assert contract.documents.count() == 1

    write_folder(tmp_path, {"c.csv": CONTRACTS.replace("P1 | P2", "")})
    assert counts(import_file("contracts", str(tmp_path / "c.csv"))) == (0, 1, 1)
    assert not contract.service_points.exists()


def test_a_service_point_of_another_customer_is_refused(points, tmp_path):
    write_folder(
        tmp_path, {"c.csv": CONTRACTS.replace("P1 | P2", "P1 P3"), "umowa-1.pdf": pdf("x")}
    )
    report = import_file("contracts", str(tmp_path / "c.csv"))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(1, "service_points")]
    assert "P3" in report.errors[0].message
    assert Contract.objects.count() == 0 and ContractDocument.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "row", "column"),
    [
        (("2026-12-31", "2024-12-31"), 1, "end_date"),
        (("P1 | P2", "P1 P9"), 1, "service_points"),
        (("umowa-1.pdf;Umowa", "umowa-1.pdf;"), 1, "pdf_title"),
        (("umowa-1.pdf", "brak.pdf"), 1, "pdf"),
        (("2025-03-01", "2025-13-01"), 2, "start_date"),
        (("K2;sale", "K9;sale"), 2, "customer"),
        (("K2;sale", "K2;rent"), 2, "kind"),
    ],
)
def test_a_bad_contract_row_names_row_and_column_and_writes_nothing(
    points, tmp_path, change, row, column
):
    text = CONTRACTS.replace(*change)
    write_folder(tmp_path, {"c.csv": text, "umowa-1.pdf": pdf("umowa 1")})
    report = import_file("contracts", str(tmp_path / "c.csv"))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(row, column)]
    assert Contract.objects.count() == 0
    assert ContractDocument.objects.count() == 0
    assert not Contract.service_points.through.objects.exists()


# -- advance schedules --

SCHEDULE = (
    "external_id;customer;service_point;schedule;due_date;amount;currency\n"
    "H1;K1;P1;HP/1;2025-02-10;60,00;PLN\n"
    "H2;K1;;HP/1;2025-03-10;60,00;\n"
)


def test_advance_schedules_are_created_and_reimported_unchanged(points):
    report = import_file("advance_schedules", data_file(SCHEDULE))
    assert report.ok, report.error_lines()
    assert counts(report) == (2, 0, 0)
    first = AdvanceInstalment.objects.get(external_id="H1")
    assert (first.customer.external_id, first.service_point, first.schedule) == (
        "K1",
        points["P1"],
        "HP/1",
    )
    assert (first.due_date, first.amount, first.currency) == (
        date(2025, 2, 10),
        Decimal("60.00"),
        "PLN",
    )
    assert AdvanceInstalment.objects.get(external_id="H2").service_point is None
    assert counts(import_file("advance_schedules", data_file(SCHEDULE))) == (0, 0, 2)
    changed = SCHEDULE.replace("2025-03-10;60,00", "2025-03-10;65,50")
    assert counts(import_file("advance_schedules", data_file(changed))) == (0, 1, 1)
    assert AdvanceInstalment.objects.get(external_id="H2").amount == Decimal("65.50")


def test_advance_schedules_as_json_lines(points):
    row = {
        "external_id": "H5",
        "customer": "K2",
        "service_point": "P3",
        "schedule": "HP/5",
        "due_date": "2025-04-10",
        "amount": 120.5,
    }
    report = import_file("advance_schedules", data_file(json.dumps(row) + "\n", "h.jsonl"))
    assert report.ok, report.error_lines()
    instalment = AdvanceInstalment.objects.get(external_id="H5")
    assert (instalment.amount, instalment.service_point) == (Decimal("120.50"), points["P3"])


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (("K1;P1", "K1;P3"), "service_point"),
        (("K1;P1", "K1;P9"), "service_point"),
        (("2025-02-10;60,00", "2025-02-10;0"), "amount"),
        (("2025-02-10;60,00", "2025-02-10;-5,00"), "amount"),
        (("2025-02-10;60,00", "2025-02-31;60,00"), "due_date"),
    ],
)
def test_a_bad_instalment_names_row_and_column_and_writes_nothing(points, change, column):
    report = import_file("advance_schedules", data_file(SCHEDULE.replace(*change)))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(1, column)]
    assert AdvanceInstalment.objects.count() == 0


def waiting_credit(amount: str) -> Payment:
    text = f"external_id;customer;amount;received_on\nW1;K1;{amount};2025-01-20\n"
    assert import_file("payments", data_file(text)).ok
    payment = Payment.objects.get(external_id="W1")
    assert payment.unallocated == Decimal(amount.replace(",", "."))
    return payment


def open_amounts() -> dict[str, Decimal]:
    return dict(AdvanceInstalment.objects.with_paid().values_list("external_id", "open_amount"))


def test_new_instalments_take_the_credit_waiting_on_the_account(points):
    payment = waiting_credit("100,00")
    assert import_file("advance_schedules", data_file(SCHEDULE)).ok
    assert open_amounts() == {"H1": Decimal("0.00"), "H2": Decimal("20.00")}
    assert payment.unallocated == Decimal("0.00")

    raised = SCHEDULE.replace("2025-02-10;60,00", "2025-02-10;70,00")
    assert counts(import_file("advance_schedules", data_file(raised))) == (0, 1, 1)
    assert open_amounts() == {"H1": Decimal("10.00"), "H2": Decimal("20.00")}


def test_a_paid_instalment_cannot_drop_below_what_was_paid_or_change_customer(points):
    waiting_credit("100,00")
    assert import_file("advance_schedules", data_file(SCHEDULE)).ok
    lowered = SCHEDULE.replace("2025-03-10;60,00", "2025-03-10;30,00")
    report = import_file("advance_schedules", data_file(lowered))
    assert [(e.row, e.column) for e in report.errors] == [(2, "amount")]
    moved = SCHEDULE.replace("H2;K1;", "H2;K2;")
    report = import_file("advance_schedules", data_file(moved))
    assert [(e.row, e.column) for e in report.errors] == [(2, "customer")]
    assert AdvanceInstalment.objects.get(external_id="H2").amount == Decimal("60.00")


# -- invoice PDFs --


def test_invoice_pdfs_in_a_zip_are_stored_and_the_same_zip_changes_nothing(points):
    files = {"faktury.csv": invoice_rows(), "pdf/F1.pdf": pdf("F1"), "pdf/F2.pdf": pdf("F2")}
    report = import_file("invoices", zip_file(files))
    assert report.ok, report.error_lines()
    assert counts(report) == (2, 0, 0)
    for key in ("F1", "F2"):
        invoice = Invoice.objects.get(external_id=key)
        assert invoice.erp_pdf.name.startswith("invoices/")
        with invoice.erp_pdf.open("rb") as stored:
            assert stored.read() == pdf(key)
    assert counts(import_file("invoices", zip_file(files))) == (0, 0, 2)


def test_an_invoice_pdf_is_found_next_to_the_csv(points, tmp_path):
    write_folder(
        tmp_path,
        {"faktury.csv": invoice_rows(), "pdf/F1.pdf": pdf("F1"), "pdf/F2.pdf": pdf("F2")},
    )
    report = import_file("invoices", str(tmp_path / "faktury.csv"))
    assert report.ok, report.error_lines()
    assert Invoice.objects.get(external_id="F2").erp_pdf.read() == pdf("F2")
    assert counts(import_file("invoices", tmp_path / "faktury.csv")) == (0, 0, 2)


def test_a_changed_invoice_pdf_updates_the_invoice(points):
    files = {"faktury.csv": invoice_rows(), "pdf/F1.pdf": pdf("F1"), "pdf/F2.pdf": pdf("F2")}
    import_file("invoices", zip_file(files))
    before = Invoice.objects.get(external_id="F1").erp_pdf.name
    report = import_file("invoices", zip_file({**files, "pdf/F1.pdf": pdf("F1 poprawiona")}))
    assert counts(report) == (0, 1, 1)
    invoice = Invoice.objects.get(external_id="F1")
    assert invoice.erp_pdf.name != before
    assert invoice.erp_pdf.read() == pdf("F1 poprawiona")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("pdf/F2.pdf", None),
        ("pdf/F2.pdf", b"<html>not a pdf</html>"),
        ("../F2.pdf", pdf("outside")),
        ("/etc/F2.pdf", pdf("absolute")),
    ],
)
def test_a_bad_invoice_pdf_names_row_and_column_and_writes_nothing(points, tmp_path, name, content):
    folder = tmp_path / "import"
    files = {"faktury.csv": invoice_rows(pdf_two=name), "pdf/F1.pdf": pdf("F1")}
    if content is not None:
        files[name] = content
        write_folder(tmp_path, {"F2.pdf": content})
    write_folder(folder, {k: v for k, v in files.items() if not k.startswith(("..", "/"))})
    for upload in (str(folder / "faktury.csv"), zip_file(files)):
        report = import_file("invoices", upload)
        assert not report.ok
        assert [(e.row, e.column) for e in report.errors] == [(2, "pdf")]
        assert Invoice.objects.count() == 0


@pytest.mark.parametrize(
    "files",
    [
        {"a.csv": invoice_rows(), "b.jsonl": "{}\n", "pdf/F1.pdf": pdf("F1")},
        {"pdf/F1.pdf": pdf("F1"), "pdf/F2.pdf": pdf("F2")},
    ],
)
def test_a_zip_without_exactly_one_data_file_is_refused(points, files):
    with translation.override("en"):
        report = import_file("invoices", zip_file(files))
    assert "exactly one data file" in report.refused
    assert Invoice.objects.count() == 0


def test_pdfs_in_a_zipped_folder_are_found_relative_to_the_data_file(points):
    files = {
        "export/faktury.csv": invoice_rows(pdf_two="./pdf/F2.pdf"),
        "export/pdf/F1.pdf": pdf("F1"),
        "export/pdf/F2.pdf": pdf("F2"),
    }
    report = import_file("invoices", zip_file(files))
    assert report.ok, report.error_lines()
    assert counts(report) == (2, 0, 0)
    with Invoice.objects.get(external_id="F2").erp_pdf.open("rb") as stored:
        assert stored.read() == pdf("F2")


def test_pdfs_left_by_an_import_that_rolled_back_are_swept_and_named_ones_stay(points):
    """A PDF is stored while its import's transaction is open; a rollback leaves it behind."""
    import hashlib
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.db import transaction

    from integrations.importer.sweep import sweep_unreferenced_pdfs

    files = {"faktury.csv": invoice_rows(), "pdf/F1.pdf": pdf("F1"), "pdf/F2.pdf": pdf("F2")}
    assert import_file("invoices", zip_file(files)).ok
    field = Invoice._meta.get_field("erp_pdf")
    folder, storage = str(field.upload_to).strip("/"), field.storage
    digest = hashlib.sha256(pdf("F1 poprawiona")).hexdigest()
    orphan = f"{folder}/{digest[:2]}/{digest}.pdf"
    uploaded_by_staff = storage.save(f"{folder}/{digest[:2]}/skan.pdf", ContentFile(pdf("skan")))

    class Crashed(Exception):
        pass

    with pytest.raises(Crashed), transaction.atomic():
        assert import_file("invoices", zip_file({**files, "pdf/F1.pdf": pdf("F1 poprawiona")})).ok
        raise Crashed
    assert storage.exists(orphan)

    assert orphan not in sweep_unreferenced_pdfs(grace=timedelta(hours=1)), "may still run"
    # Other tests' rolled-back imports may have left files in the same private folders.
    assert orphan in sweep_unreferenced_pdfs(grace=timedelta(0))
    assert not storage.exists(orphan)
    assert storage.exists(uploaded_by_staff)
    for key in ("F1", "F2"):
        assert Invoice.objects.get(external_id=key).erp_pdf.read() == pdf(key)


def test_the_sweep_also_knows_contract_documents():
    from integrations.importer.sweep import _folders

    fields = {(model.__name__, name) for pairs in _folders().values() for model, name in pairs}
    assert {("Invoice", "erp_pdf"), ("ContractDocument", "file")} <= fields
