"""``manage.py load_registrations PATH [--rejects PATH]``: load the registration services'
extract (the Supplier registered for each MPAN/MPRN), cancel the requests whose raiser it no
longer names, and print what happened.

In ``incidents`` for the reason ``load_smi`` is: it loads inventory data and acts on requests.
"""

from django.core.management.base import BaseCommand, CommandError

from incidents.services.registration_sync import incidents_cancel_registration_moved
from inventory.services import (
    REGISTRATION_COLUMNS,
    RegistrationLoadError,
    registrations_load_csv,
)

SHOWN_ISSUES = 20


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

        out = self.stdout
        out.write(f"Rows read:  {report.rows_read}")
        out.write(
            f"Loaded:     {report.loaded} (created {report.created}, updated "
            f"{report.updated}, unchanged {report.unchanged})"
        )
        out.write(f"Rejected:   {report.rejected}")
        out.write(f"Warnings:   {report.warnings}")
        self._issues(
            "Rejected rows",
            report.rejects,
            report.rejected,
            more=f"Every rejected row is in {rejects}."
            if rejects
            else "Use --rejects PATH to write every rejected row to a file.",
        )
        self._issues("Warnings (rows loaded anyway)", report.warning_notes, report.warnings)
        if report.rejected:
            out.write(
                self.style.WARNING(
                    f"\n{report.rejected} rows were rejected; the other {report.loaded} loaded."
                )
            )
        else:
            out.write(self.style.SUCCESS(f"\nAll {report.loaded} rows loaded."))

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

    def _issues(self, title, issues, total, *, more=""):
        if not total:
            return
        shown = f", first {SHOWN_ISSUES} of {total}" if total > SHOWN_ISSUES else ""
        self.stdout.write(f"\n{title}{shown}:")
        for issue in issues[:SHOWN_ISSUES]:
            self.stdout.write(f"  line {issue.line}: {issue.mpxn or '(no mpxn)'}: {issue.reason}")
        if more:
            self.stdout.write(f"  {more}")
