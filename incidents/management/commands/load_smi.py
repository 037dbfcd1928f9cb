"""``manage.py load_smi PATH [--rejects PATH]``: load an SMI extract, close the requests it
overtakes, and print what happened.

It lives in ``incidents`` rather than ``inventory`` because it does both: ``inventory`` knows
nothing of requests, and this command is where the two meet (as ``load_demo_data`` does).
"""

from django.core.management.base import BaseCommand, CommandError

from incidents.management.load_report import write_load_summary
from incidents.services.smi_sync import OUTCOME_BY_STATUS, incidents_sync_with_smi
from inventory.services import SMI_COLUMNS, SmiLoadError, smi_load_csv

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

        moves = ", ".join(
            f"{count} to {status or 'no status'}"
            for status, count in sorted(report.status_changes_to.items(), key=str)
        )
        write_load_summary(
            self,
            report,
            rejects_path=rejects,
            key="device_id",
            after_counts=(
                f"SMI status: {report.status_changes} changed" + (f" ({moves})" if moves else ""),
            ),
        )

        # After the load has committed, in batches of their own: a failure here leaves the
        # load in place, and ``incidents_sync_with_smi(device_ids=None)`` closes what is left.
        closed = (
            incidents_sync_with_smi(device_ids=report.status_changed_device_pks)
            if report.status_changes
            else 0
        )
        self.stdout.write(
            f"Requests closed: {closed}"
            + (f" (their Device is now {_STATUSES}; both Suppliers emailed)" if closed else "")
        )
