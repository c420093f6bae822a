from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.bank.importer import import_statement
from billing.bank.parsers import StatementError
from documents.pdf import issuing_company


class Command(BaseCommand):
    help = "Book the credits of a bank statement (MT940 or camt.053); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            result = import_statement(
                file.read_bytes(), own_account=issuing_company().bank_account, filename=file.name
            )
        except StatementError as error:
            raise CommandError(f"{file.name}: {error}") from error
        self.stdout.write(
            f"{file.name}: {result.booked} booked, {result.to_review} to review in the admin, "
            f"{result.already_imported} imported before"
        )
