"""``manage.py load_demo_data``: Suppliers, users, an SMI and a few requests to try the portal
(:mod:`incidents.demo`)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from incidents.demo import demo_data_load


class Command(BaseCommand):
    help = (
        "Create demo Suppliers, users (password ssi-demo-2026), ~3,000 SMI Devices and a "
        "dozen Requests for Install Code. Safe to run again. For development only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bulk-devices",
            type=int,
            default=0,
            metavar="N",
            help="Also N electricity meters aurora may request, and a CSV file raising them "
            "all (a bulk upload that runs long enough to watch; 20,000 take a few seconds).",
        )
        parser.add_argument(
            "--bulk-file",
            type=Path,
            default=None,
            metavar="PATH",
            help="Where to write that file (default: demo/bulk-raise-aurora.csv in the var "
            "directory).",
        )

    def handle(self, *args, bulk_devices, bulk_file, **options):
        if bulk_devices and bulk_file is None:
            bulk_file = settings.VAR_DIR / "demo" / "bulk-raise-aurora.csv"
        demo_data_load(out=self.stdout, bulk_devices=bulk_devices, bulk_file=bulk_file)
