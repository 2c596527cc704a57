from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from secportal.registry import demo_seeders


class Command(BaseCommand):
    help = "Load the demo data of every app, dated from today (running it twice changes nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never on a live portal).")

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it refuses to run with "
                "DEBUG off. Use --force only on a throwaway database."
            )
        with transaction.atomic():
            for key, seeder in demo_seeders.seeders():
                seeder(stdout=self.stdout)
                self.stdout.write(f"  {key}: done")
        self.stdout.write(self.style.SUCCESS("Demo data is in place (demo accounts: see README)."))
