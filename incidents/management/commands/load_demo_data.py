"""``manage.py load_demo_data``: Suppliers, users, an SMI and a few requests to try the portal
(:mod:`incidents.demo`)."""

from django.core.management.base import BaseCommand

from incidents.demo import demo_data_load


class Command(BaseCommand):
    help = (
        "Create demo Suppliers, users (password ssi-demo-2026), ~3,000 SMI Devices and a "
        "dozen Requests for Install Code. Safe to run again. For development only."
    )

    def handle(self, *args, **options):
        demo_data_load(out=self.stdout)
