from django.core.management.base import BaseCommand, CommandError

from incidents.services.keys import install_codes_reencrypt
from ssi_portal.lib.crypto import SecretError


class Command(BaseCommand):
    help = "Re-seal every stored install code under the newest key (the first one configured)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            counts = install_codes_reencrypt(batch_size=batch_size)
        except SecretError as exc:
            raise CommandError(
                f"{exc} Keep every key that sealed a stored code in the key list until this "
                "command has finished."
            ) from exc
        for what, count in counts.items():
            self.stdout.write(f"{what}: {count} re-sealed under the newest key")
