"""Time the ERP import of invoices (3 lines each) against a raw COPY of the same file.

    DATABASE_URL=postgres://… .venv/bin/python bench/import_bench.py --rows 1000000 [--json F]

Each size runs in a child process, so its peak RSS is its own: memory is flat when the
peak does not grow with the file. On PostgreSQL the floor is the same CSV copied as it is
(COPY … FORMAT csv) into a staging table of text columns — no checks, no upsert.
Run against a migrated database (SQLite given by DATABASE_URL works too, without a floor).
`--per-row` checks the rows one by one in Python instead of PostgreSQL's set-based path
(the way a chunk the set-based proof refuses goes), to compare the two in one run.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

COLUMNS = (
    "external_id;number;customer;issue_date;sale_date;due_date;net_total;vat_total;"
    "gross_total;line_position;line_description;line_quantity;line_unit;"
    "line_unit_net_price;line_vat_rate;line_net;line_vat;line_gross"
)
LINES_PER_INVOICE = 3


def ensure_customers(count: int) -> list[str]:
    from customers.models import Customer

    keys = [f"BENCH-K{i}" for i in range(count)]
    existing = set(
        Customer.objects.filter(external_id__in=keys).values_list("external_id", flat=True)
    )
    Customer.objects.bulk_create(
        Customer(
            external_id=key,
            number=f"B{i}",
            name=key,
            billing_street="ul. A 1",
            billing_postal_code="00-001",
            billing_city="Warszawa",
        )
        for i, key in enumerate(keys)
        if key not in existing
    )
    return keys


def write_file(path: Path, invoices: int, customers: list[str], prefix: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(COLUMNS + "\n")
        for i in range(invoices):
            head = (
                f"{prefix}-F{i};{prefix}/{i};{customers[i % len(customers)]};2025-01-31;"
                "2025-01-31;2025-02-14;300,00;69,00;369,00"
            )
            for position in range(1, LINES_PER_INVOICE + 1):
                out.write(f"{head};{position};Energia;100;kWh;1,00;23;100,00;23,00;123,00\n")


def raw_copy(path: Path) -> float:
    """Seconds to COPY the file as it is into a temporary table of text columns."""
    from django.db import connection, transaction

    columns = ", ".join(f"{name} text" for name in COLUMNS.split(";"))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE raw_stage ({columns}) ON COMMIT DROP")
        with (
            cursor.cursor.copy(
                "COPY raw_stage FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
            ) as copy,
            path.open("rb") as data,
        ):
            while block := data.read(1 << 20):
                copy.write(block)
    return time.perf_counter() - started


def measure(invoices: int, prefix: str, per_row: bool = False) -> dict:
    """One size, in this process: import twice (new, then unchanged), then the floor.

    `per_row`: without PostgreSQL's set-based path for invoice CSV files (staged.py), to
    compare the two in one run on a shared machine."""
    import django

    django.setup()
    from django.db import connection

    from integrations.importer import import_file, staged

    if per_row:
        staged.for_kind = lambda spec, columns: None

    customers = ensure_customers(1000)
    figures: dict = {"invoices": invoices, "rows": invoices * LINES_PER_INVOICE}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "invoices.csv"
        write_file(path, invoices, customers, prefix)
        figures["file_mb"] = round(path.stat().st_size / 2**20, 1)
        for attempt in ("first", "again"):
            started = time.perf_counter()
            report = import_file("invoices", path)
            seconds = time.perf_counter() - started
            if not report.ok:
                raise SystemExit(report.summary())
            figures[attempt] = {
                "seconds": round(seconds, 2),
                "rows_per_s": round(report.rows / seconds),
                "summary": report.summary(),
            }
        if connection.vendor == "postgresql":
            seconds = raw_copy(path)
            figures["raw_copy"] = {
                "seconds": round(seconds, 2),
                "rows_per_s": round(figures["rows"] / seconds),
            }
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["vendor"] = connection.vendor
    figures["path"] = "per-row" if per_row else "default"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000, help="invoice lines (rows)")
    parser.add_argument(
        "--small", type=int, default=0, help="also a smaller size, to compare peak memory"
    )
    parser.add_argument(
        "--per-row",
        action="store_true",
        help="check invoice CSV rows one by one in Python (without the set-based path)",
    )
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        figures = measure(int(options.child[0]), options.child[1], options.per_row)
        print(json.dumps(figures))
        return
    stamp = time.strftime("%H%M%S")
    results = []
    for rows in [size for size in (options.small, options.rows) if size]:
        invoices = max(1, rows // LINES_PER_INVOICE)
        child = subprocess.run(  # noqa: S603 (this script, with our own arguments)
            [sys.executable, __file__, "--child", str(invoices), f"B{stamp}-{invoices}"]
            + (["--per-row"] if options.per_row else []),
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(figures)
        line = (
            f"{figures['rows']} rows ({figures['file_mb']} MB) on {figures['vendor']}"
            f"{' (per-row checks)' if options.per_row else ''}: "
            f"first {figures['first']['rows_per_s']} rows/s ({figures['first']['seconds']} s), "
            f"unchanged again {figures['again']['rows_per_s']} rows/s, "
            f"peak RSS {figures['peak_rss_mb']} MB"
        )
        if "raw_copy" in figures:
            ratio = figures["first"]["rows_per_s"] / figures["raw_copy"]["rows_per_s"]
            line += f"; raw COPY {figures['raw_copy']['rows_per_s']} rows/s (import = {ratio:.0%})"
        print(line, flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
