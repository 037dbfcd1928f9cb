"""``manage.py load_registrations PATH [--rejects PATH]``: load the registration services'
extract (the Supplier registered for each MPAN/MPRN), cancel the requests whose raiser it no
longer names, and print what happened.

In ``incidents`` for the reason ``load_smi`` is: it loads inventory data and acts on requests.
"""

from django.core.management.base import BaseCommand, CommandError

from incidents.management.load_report import write_load_summary
from incidents.services.registration_sync import incidents_cancel_registration_moved
from inventory.services import REGISTRATION_COLUMNS, RegistrationLoadError, registrations_load_csv


class Command(BaseCommand):
    help = (
        "Load registrations from a CSV (UTF-8) with the header "
        f"{','.join(REGISTRATION_COLUMNS)}: the MPAN core or MPRN, the registered Supplier's "
        "MPID (MPAN) or gas short code (MPRN), the first day and the last day (empty while it "
        "lasts), dates as YYYY-MM-DD. Valid rows are inserted or updated; invalid rows are "
        "rejected with a reason and the rest still load. Safe to run again on the same file. "
        "Open requests whose raiser is then no longer the registered Supplier are cancelled."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file to load.")
        parser.add_argument(
            "--rejects",
            metavar="PATH",
            help="Write every rejected row to this CSV file (line,mpxn,reason).",
        )

    def handle(self, *args, path, rejects=None, **options):
        try:
            report = registrations_load_csv(source=path, reject_file=rejects)
        except RegistrationLoadError as exc:
            raise CommandError(f"{path} was not loaded: {exc}") from exc

        write_load_summary(self, report, rejects_path=rejects, key="mpxn")
        out = self.stdout

        # After the load has committed, in batches of their own: a failure here leaves the
        # load in place, and the hourly job cancels what is left.
        cancelled = incidents_cancel_registration_moved()
        out.write(
            f"Requests cancelled: {cancelled}"
            + (
                " (their raiser is no longer the registered Supplier; both sides emailed)"
                if cancelled
                else ""
            )
        )
