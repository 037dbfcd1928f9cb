"""``manage.py load_smi PATH [--rejects PATH]``: load an SMI extract, close the requests it
overtakes, and print what happened.

It lives in ``incidents`` rather than ``inventory`` because it does both: ``inventory`` knows
nothing of requests, and this command is where the two meet (as ``load_demo_data`` does).
"""

from django.core.management.base import BaseCommand, CommandError

from incidents.services.smi_sync import OUTCOME_BY_STATUS, incidents_sync_with_smi
from inventory.services import SMI_COLUMNS, SmiLoadError, smi_load_csv

SHOWN_ISSUES = 20
_STATUSES = ", ".join(list(OUTCOME_BY_STATUS)[:-1]) + f" or {list(OUTCOME_BY_STATUS)[-1]}"


class Command(BaseCommand):
    help = (
        "Load Devices from an SMI extract in CSV (UTF-8) with the header "
        f"{','.join(SMI_COLUMNS)}. Valid rows are inserted or updated; invalid rows are "
        "rejected with a reason and the rest still load. Safe to run again on the same file. "
        f"Open requests whose Device the load moves to {_STATUSES} are then closed, and both "
        "Suppliers told why."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file to load.")
        parser.add_argument(
            "--rejects",
            metavar="PATH",
            help="Write every rejected row to this CSV file (line,device_id,reason).",
        )

    def handle(self, *args, path, rejects=None, **options):
        try:
            report = smi_load_csv(source=path, reject_file=rejects)
        except SmiLoadError as exc:
            raise CommandError(f"{path} was not loaded: {exc}") from exc

        out = self.stdout
        out.write(f"Rows read:  {report.rows_read}")
        out.write(
            f"Loaded:     {report.loaded} (created {report.created}, updated "
            f"{report.updated}, unchanged {report.unchanged})"
        )
        out.write(f"Rejected:   {report.rejected}")
        out.write(f"Warnings:   {report.warnings}")
        moves = ", ".join(
            f"{count} to {status or 'no status'}"
            for status, count in sorted(report.status_changes_to.items(), key=str)
        )
        out.write(f"SMI status: {report.status_changes} changed" + (f" ({moves})" if moves else ""))
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
        # load in place, and ``incidents_sync_with_smi(device_ids=None)`` closes what is left.
        closed = (
            incidents_sync_with_smi(device_ids=report.status_changed_device_pks)
            if report.status_changes
            else 0
        )
        out.write(
            f"Requests closed: {closed}"
            + (f" (their Device is now {_STATUSES}; both Suppliers emailed)" if closed else "")
        )

    def _issues(self, title, issues, total, *, more=""):
        if not total:
            return
        shown = f", first {SHOWN_ISSUES} of {total}" if total > SHOWN_ISSUES else ""
        self.stdout.write(f"\n{title}{shown}:")
        for issue in issues[:SHOWN_ISSUES]:
            self.stdout.write(
                f"  line {issue.line}: {issue.device_id or '(no device_id)'}: {issue.reason}"
            )
        if more:
            self.stdout.write(f"  {more}")
