"""An ERP import killed halfway (kill -9 of the process) leaves the database as it was;
the same file run again imports completely.

The import runs as `manage.py erp_import` in a process of its own against this test's
PostgreSQL database, and is killed once its transaction is writing invoice lines.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from bench.import_bench import LINES_PER_INVOICE, ensure_customers, write_file
from billing.models import Invoice, InvoiceLine

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="kills a PostgreSQL import mid-transaction"
    ),
]

BASE_DIR = Path(__file__).resolve().parents[2]
INVOICES = 40_000


def import_command(path: Path) -> tuple[list[str], dict[str, str]]:
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    command = [sys.executable, str(BASE_DIR / "manage.py"), "erp_import", "invoices", str(path)]
    return command, {**os.environ, "DATABASE_URL": url}


def import_sessions(writing_lines: bool = False) -> list[int]:
    """Other sessions on this database (the import's); with `writing_lines`, only one whose
    statement touches the invoice lines."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND (NOT %s OR query ILIKE %s)",
            [writing_lines, "%billing_invoiceline%"],
        )
        return [row[0] for row in cursor.fetchall()]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.005)
    pytest.fail(f"waited {timeout} s for {what}")


def test_a_killed_import_changes_nothing_and_a_second_run_completes(tmp_path):
    customers = ensure_customers(50)
    path = tmp_path / "invoices.csv"
    write_file(path, INVOICES, customers, "KILL")
    command, env = import_command(path)

    importing = subprocess.Popen(  # noqa: S603 - our interpreter and manage.py
        command, env=env, cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for(
            lambda: importing.poll() is not None or import_sessions(writing_lines=True),
            timeout=120,
            what="the import to write invoice lines",
        )
        assert importing.poll() is None, "the import ended before it could be killed"
        os.kill(importing.pid, signal.SIGKILL)
        importing.wait(timeout=30)
    finally:
        if importing.poll() is None:
            importing.kill()
    assert importing.returncode == -signal.SIGKILL

    # PostgreSQL notices the dead client and rolls its transaction back.
    wait_for(lambda: not import_sessions(), timeout=60, what="the import's session to end")
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()

    again = subprocess.run(  # noqa: S603
        command, env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert Invoice.objects.filter(external_id__startswith="KILL-").count() == INVOICES
    assert InvoiceLine.objects.count() == INVOICES * LINES_PER_INVOICE
