from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from secportal.registry import bench_seeders


class Command(BaseCommand):
    help = "Top the database up to the benchmark's sizes (bulk inserts; run again with larger sizes to grow it)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--modifications", type=int, default=2000)
        parser.add_argument("--parties", type=int, default=300)
        parser.add_argument("--users", type=int, default=3000)
        parser.add_argument("--news", type=int, default=500)
        parser.add_argument("--events", type=int, default=200)
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (a throwaway database only).")

    def handle(self, *args, force: bool = False, **sizes) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("seed_bench fills the database with made-up rows; use --force on a throwaway database.")
        for key, seeder in bench_seeders.seeders():
            with transaction.atomic():
                seeder(sizes=sizes, stdout=self.stdout)
            self.stdout.write(f"  {key}: done")
