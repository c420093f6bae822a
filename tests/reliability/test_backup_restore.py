"""A backup made by bin/backup and restored by bin/restore into an empty database and
empty file folders serves the customer the same data: the same rows in the invoice list,
the meter's readings and the request list, and the same bytes of every stored file.

The scripts run as they would in production, in processes of their own: on PostgreSQL
(pg_dump's custom format, pg_restore into a new database) when the suite runs on it, on
SQLite (its online backup API) otherwise. The restored copy is read by another process
with the settings pointed at it, so nothing of this process's state can stand in for it.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(__file__).resolve().parents[2]
SUFFIX = f"-{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else ""
INVOICE_PDF = b"%PDF-1.4 faktura z ERP "
SCAN = b"%PDF-1.4 skan protokolu "
PRICE_LIST = b"%PDF-1.4 cennik "


def database_url(name: str) -> str:
    """This test's database, or another on the same server, as DATABASE_URL."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{settings['PORT'] or 5432}/{name}"


def row_counts() -> dict[str, int]:
    """Rows of every model's table."""
    from django.apps import apps

    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def served(email: str, paths: list[str]) -> dict[str, str]:
    """What the customer signed in as `email` is served at each path: the rows of a page's
    tables (whitespace folded), or the SHA-256 of a file; a non-200 answer as its status."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(email=email))
    answers = {}
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            answers[path] = f"status {response.status_code}"
        elif response.get("Content-Type", "").startswith("text/html"):
            html = response.content.decode()
            rows = re.findall(
                r"<tr[\s>].*?</tr>", "".join(re.findall(r"<tbody>.*?</tbody>", html, re.S)), re.S
            )
            answers[path] = json.dumps([" ".join(row.split()) for row in rows])
        else:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            answers[path] = hashlib.sha256(body).hexdigest()
    return answers


def seed_customer(home_page) -> tuple[str, list[str], dict[str, bytes]]:
    """A customer with three invoices (two with the ERP's PDF), a meter with readings (one
    with a photo), a request with a scan, and a public price list: the e-mail of its owner,
    the paths to compare, and the bytes the files must have."""
    from datetime import date, timedelta

    from django.core.files.base import ContentFile
    from django.urls import reverse
    from django.utils import timezone
    from wagtail.documents.models import Document

    from servicedesk.models import Attachment, Request, RequestType, WorkingCalendar
    from tests.factories import (
        InvoiceFactory,
        MembershipFactory,
        MeterFactory,
        ReadingFactory,
        ServicePointFactory,
        png_bytes,
    )

    owner = MembershipFactory(role="owner", user__email="kopia@example.pl")
    customer = owner.customer
    files = {}
    paths = [reverse("billing:invoices")]
    for n in range(3):
        invoice = InvoiceFactory(customer=customer, issue_date=date(2026, 7 + n, 1))
        if n < 2:
            content = INVOICE_PDF + invoice.number.encode()
            invoice.erp_pdf.save(f"{invoice.number.replace('/', '-')}.pdf", ContentFile(content))
            path = reverse("billing:invoice_pdf", kwargs={"invoice_id": invoice.public_id})
            paths.append(path)
            files[path] = content
    meter = MeterFactory(service_point=ServicePointFactory(customer=customer))
    register = meter.registers.get()
    for month in range(1, 7):
        ReadingFactory(register=register, value=1000 + 150 * month, read_on=date(2026, month, 28))
    photo = png_bytes((6, 5))
    reading = ReadingFactory(
        register=register,
        value=2100,
        read_on=date(2026, 7, 28),
        source="customer",
        photo=ContentFile(photo, name="licznik.png"),
    )
    paths.append(reverse("metering:meter", kwargs={"meter_id": meter.public_id}))
    path = reverse("metering:photo", kwargs={"reading_id": reading.public_id})
    paths.append(path)
    files[path] = photo

    calendar = WorkingCalendar.objects.create(name="BOK")
    request_type = RequestType.objects.create(
        slug="pytanie", name="Pytanie", name_en="Question", category="general", calendar=calendar
    )
    now = timezone.now()
    request = Request.objects.create(
        customer=customer,
        filed_by=owner.user,
        request_type=request_type,
        subject="Protokół z wymiany licznika",
        first_response_due=now + timedelta(hours=8),
        resolution_due=now + timedelta(days=5),
    )
    attachment = Attachment.objects.create(
        request=request,
        file=ContentFile(SCAN + bytes(range(256)), name="protokol.pdf"),
        original_name="protokół.pdf",
        content_type="application/pdf",
        size=len(SCAN) + 256,
        uploaded_by=owner.user,
    )
    paths.append(reverse("servicedesk:requests"))
    path = reverse(
        "servicedesk:attachment",
        kwargs={"request_id": request.public_id, "attachment_id": attachment.public_id},
    )
    paths.append(path)
    files[path] = SCAN + bytes(range(256))

    document = Document.objects.create(
        title="Cennik", file=ContentFile(PRICE_LIST + b"2026", name="cennik.pdf")
    )
    paths.append(document.url)
    files[document.url] = PRICE_LIST + b"2026"
    return owner.user.email, paths, files


def script(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """bin/<command[0]> with the rest as arguments, the settings' variables set from `env`."""
    return subprocess.run(  # noqa: S603 - our own scripts
        [str(BASE_DIR / "bin" / command[0]), *command[1:]],
        env={**os.environ, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


READ_RESTORED = """
import json, sys
import django
django.setup()
from tests.reliability.test_backup_restore import row_counts, served
counts = row_counts()
print(json.dumps({"counts": counts, "served": served(sys.argv[1], json.loads(sys.argv[2]))}))
"""


@pytest.fixture
def restored(tmp_path):
    """Where the copy goes: a new, empty database (on SQLite, a file not made yet), dropped
    afterwards, and a settings folder (OKIENKO_VAR_DIR) whose media folders the test
    settings of the reading process use."""
    var = tmp_path / "restored-var"
    if connection.vendor == "sqlite":
        target = database_url(str(tmp_path / "restored.sqlite3"))
        yield target, var
        return
    name = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name), var
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_serves_the_customer_the_same_data(
    home_page, settings, tmp_path, restored
):
    from django.core.files.storage import storages

    email, paths, files = seed_customer(home_page)
    counts = row_counts()
    source = {
        "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(storages["private"].location),
    }
    made = script(["backup", str(tmp_path / "backups")], source)
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.split()[0])
    expected = {"SHA256SUMS", "media.tar.gz", "private-media.tar.gz"}
    expected.add("database.pgdump" if connection.vendor == "postgresql" else "database.sqlite3")
    assert {path.name for path in folder.iterdir()} == expected

    original = served(email, paths)
    for path, content in files.items():
        assert original[path] == hashlib.sha256(content).hexdigest(), path
    pages = {path: json.loads(answer) for path, answer in original.items() if path not in files}
    invoice_list, meter_page, request_list = pages.values()
    assert len(invoice_list) == 3
    assert len([row for row in meter_page if "Całodobowa" in row]) == 7  # the readings
    assert len(request_list) == 1
    assert "Protokół z wymiany licznika" in request_list[0]

    target_url, var = restored
    target = {
        "DATABASE_URL": target_url,
        "MEDIA_ROOT": str(var / f"test-media{SUFFIX}"),
        "PRIVATE_MEDIA_ROOT": str(var / f"test-private-media{SUFFIX}"),
    }
    restore = script(["restore", str(folder)], target)
    assert restore.returncode == 0, restore.stderr

    read = subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-c", READ_RESTORED, email, json.dumps(paths)],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": target_url,
            "OKIENKO_VAR_DIR": str(var),
            "CACHE_URL": "locmemcache://restored",
        },
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert read.returncode == 0, read.stderr[-3000:]
    copy = json.loads(read.stdout.splitlines()[-1])
    assert copy["counts"] == counts
    assert sum(counts.values()) > 100
    assert copy["served"] == original
    print(
        f"compared {len(counts)} tables, {sum(counts.values())} rows, {len(paths)} pages and files"
    )


@pytest.mark.django_db  # needs no committed rows: only the database's tables and files
def test_restore_refuses_a_damaged_backup_and_a_database_in_use(settings, tmp_path):
    """Each refusal comes before anything is written: the target database, which does not
    exist, is not made either (bin/restore never creates one)."""
    from django.core.files.storage import storages

    live = {
        "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(storages["private"].location),
    }
    made = script(["backup", str(tmp_path / "backups")], live)
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.split()[0])

    var = tmp_path / "restored-var"
    name = (
        str(tmp_path / "restored.sqlite3")
        if connection.vendor == "sqlite"
        else f"{connection.settings_dict['NAME']}_never"
    )
    empty = {
        "DATABASE_URL": database_url(name),
        "MEDIA_ROOT": str(var / "media"),
        "PRIVATE_MEDIA_ROOT": str(var / "private-media"),
    }
    into_live = script(["restore", str(folder)], {**empty, "DATABASE_URL": live["DATABASE_URL"]})
    assert into_live.returncode != 0
    assert "restore into an empty one" in into_live.stderr or "is not empty" in into_live.stderr

    (var / "private-media").mkdir(parents=True)
    (var / "private-media" / "left-over.pdf").write_bytes(b"%PDF")
    over_files = script(["restore", str(folder)], empty)
    assert over_files.returncode != 0
    assert "is not empty" in over_files.stderr
    (var / "private-media" / "left-over.pdf").unlink()

    dump = next(folder.glob("database.*"))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    damaged = script(["restore", str(folder)], empty)
    assert damaged.returncode != 0
    assert "damaged" in damaged.stderr
    assert not database_exists(name)
    assert not any(var.rglob("*.*"))


def database_exists(name: str) -> bool:
    if connection.vendor == "sqlite":
        return Path(name).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None
