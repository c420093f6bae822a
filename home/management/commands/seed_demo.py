import random

from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail import hooks

from customers.demo import DemoContext


class Command(BaseCommand):
    help = "Create or refresh the demo data and print the demo logins. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=0,
            help="Generated customers to add beside the named demo ones (default 0).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")

    def handle(self, *args, customers: int, seed: int, **options):
        if customers < 0:
            self.stderr.write("--customers must be 0 or more.")
            raise SystemExit(2)
        rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
        context = DemoContext(rng=rng, customers=customers)
        with transaction.atomic():
            for seeder in hooks.get_hooks("seed_demo"):
                seeder(context)
        for note in context.notes:
            self.stdout.write(note)
        self.stdout.write(self.style.SUCCESS("Demo logins:"))
        width = max((len(email) for email, _, _ in context.logins), default=0)
        for email, password, description in context.logins:
            self.stdout.write(f"  {email.ljust(width)}  {password}  ({description})")
