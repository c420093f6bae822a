"""The ERP import from outside: the command, the Celery job, the admin pages, the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from customers.models import Customer
from integrations.models import ImportRun
from tests.factories import UserFactory

from .test_import_service import CUSTOMERS

pytestmark = pytest.mark.django_db


def upload(text=CUSTOMERS, name="klienci.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_the_command_reports_counts_and_errors(tmp_path, capsys):
    path = tmp_path / "klienci.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    call_command("erp_import", "customers", str(path))
    assert "created 2" in capsys.readouterr().out or Customer.objects.count() == 2
    call_command("erp_import", "customers", str(path), "--dry-run")
    bad = tmp_path / "bad.csv"
    bad.write_text(CUSTOMERS.replace("526-000-12-46", "1234567890"), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("erp_import", "customers", str(bad))
    assert "2" in capsys.readouterr().err


def test_staff_import_through_the_admin_and_the_job(
    staff_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("integrations_import"), {"kind": "customers", "file": upload()}
        )
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert run.status == ImportRun.Status.DONE
    assert (run.created, run.rows_done) == (2, 2)
    assert Customer.objects.count() == 2
    page = staff_client.get(reverse("integrations_import"))
    assert page.status_code == 200
    assert b"import-done" in page.content
    detail = staff_client.get(reverse("integrations_import_detail", args=[run.pk]))
    assert b'http-equiv="refresh"' not in detail.content


def test_a_refused_import_shows_its_errors(staff_client, django_capture_on_commit_callbacks):
    bad = CUSTOMERS.replace("526-000-12-46", "1234567890")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("integrations_import"), {"kind": "customers", "file": upload(bad)}
        )
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.errors[0]["row"] == 2 and run.errors[0]["column"] == "nip"
    detail = staff_client.get(reverse("integrations_import_detail", args=[run.pk]))
    assert b"import-errors" in detail.content
    assert Customer.objects.count() == 0


def test_a_queued_run_refreshes_its_page(staff_client):
    run = ImportRun.objects.create(kind="customers", file_name="x.csv")
    detail = staff_client.get(reverse("integrations_import_detail", args=[run.pk]))
    assert b'http-equiv="refresh"' in detail.content


def test_customers_and_plain_staff_may_not_import(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    response = client.get(reverse("integrations_import"))
    assert response.status_code in (302, 403)


def test_the_api_queues_an_import_for_staff(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/api/v1/imports/", {"kind": "customers", "file": upload(), "partial": "false"}
        )
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    report = staff_client.get(f"/api/v1/imports/{run_id}/")
    assert report.status_code == 200
    assert report.json()["status"] == "done"
    assert report.json()["created"] == 2


def test_the_api_refuses_a_customer(client):
    client.force_login(UserFactory())
    response = client.post("/api/v1/imports/", {"kind": "customers", "file": upload()})
    assert response.status_code in (401, 403)
    assert ImportRun.objects.count() == 0
