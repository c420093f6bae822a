"""`manage.py erp_import KIND FILE [--partial] [--dry-run] [--files DIR]`: import one ERP
export."""

from django.core.management.base import BaseCommand, CommandError

from integrations.importer import KINDS, import_file
from integrations.importer.files import FolderFiles


class Command(BaseCommand):
    help = "Import an ERP export (CSV or JSON Lines), upserting by external_id."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file")
        parser.add_argument("--partial", action="store_true", help="Import the valid rows.")
        parser.add_argument("--dry-run", action="store_true", help="Validate, write nothing.")
        parser.add_argument(
            "--files", help="Folder of the PDFs the records name (default: the file's folder)."
        )
        parser.add_argument("--every", type=int, default=10000, help="Progress every N rows.")

    def handle(self, *args, kind, file, partial, dry_run, every, files, **options):
        last = [0]

        def progress(rows: int) -> None:
            if rows - last[0] >= every:
                last[0] = rows
                self.stderr.write(f"\r{kind}: {rows} rows", ending="")
                self.stderr.flush()

        try:
            report = import_file(
                kind,
                file,
                partial=partial,
                dry_run=dry_run,
                progress=progress,
                files=FolderFiles(files) if files else None,
            )
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        if last[0]:
            self.stderr.write("")
        for line in report.error_lines():
            self.stderr.write(line)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(f"{report.rows} rows: {report.summary()}")
