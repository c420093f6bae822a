"""Time the ERP import of N invoices (3 lines each) for existing customers.

    OKIENKO_VAR_DIR=/tmp/benchvar .venv/bin/python bench/import_bench.py 100000
Run against a migrated database (SQLite in OKIENKO_VAR_DIR, or DATABASE_URL).
"""

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from customers.models import Customer  # noqa: E402
from integrations.importer import import_file  # noqa: E402

HEADER = (
    "external_id;number;customer;issue_date;sale_date;due_date;net_total;vat_total;"
    "gross_total;line_position;line_description;line_quantity;line_unit;"
    "line_unit_net_price;line_vat_rate;line_net;line_vat;line_gross\n"
)


def ensure_customers(count: int) -> list[str]:
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


def write_file(path: Path, invoices: int, customers: list[str]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(invoices):
            head = (
                f"BENCH-F{i};BENCH/{i};{customers[i % len(customers)]};2025-01-31;"
                "2025-01-31;2025-02-14;300,00;69,00;369,00"
            )
            for position in (1, 2, 3):
                out.write(f"{head};{position};Energia;100;kWh;1,00;23;100,00;23,00;123,00\n")


def main() -> None:
    invoices = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    customers = ensure_customers(1000)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "invoices.csv"
        write_file(path, invoices, customers)
        for attempt in ("first", "again"):
            started = time.perf_counter()
            report = import_file("invoices", path)
            seconds = time.perf_counter() - started
            print(
                f"{attempt}: {report.summary()}; {report.rows} rows in {seconds:.1f}s = "
                f"{report.rows / seconds:.0f} rows/s"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
