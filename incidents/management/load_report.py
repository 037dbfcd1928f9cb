"""What the load commands (``load_smi``, ``load_registrations``) print of a load's rows."""

from ssi_portal.lib.text import count_of

SHOWN_ISSUES = 20


def write_load_summary(
    command, report, *, rejects_path: str | None, key: str, after_counts: tuple[str, ...] = ()
) -> None:
    """The counts (then ``after_counts``), the first rejected rows and warnings, and the
    closing line. ``key``: the attribute of a row issue that names the row (``device_id``,
    ``mpxn``)."""
    out = command.stdout
    out.write(f"Rows read:  {report.rows_read}")
    out.write(
        f"Loaded:     {report.loaded} (created {report.created}, updated "
        f"{report.updated}, unchanged {report.unchanged})"
    )
    out.write(f"Rejected:   {report.rejected}")
    out.write(f"Warnings:   {report.warnings}")
    for line in after_counts:
        out.write(line)
    _issues(
        out,
        "Rejected rows",
        report.rejects,
        report.rejected,
        key=key,
        more=f"Every rejected row is in {rejects_path}."
        if rejects_path
        else "Use --rejects PATH to write every rejected row to a file.",
    )
    _issues(out, "Warnings (rows loaded anyway)", report.warning_notes, report.warnings, key=key)
    if report.rejected:
        out.write(
            command.style.WARNING(
                f"\n{count_of(report.rejected, 'row')} "
                f"{'was' if report.rejected == 1 else 'were'} rejected; "
                + (f"the other {report.loaded:,} loaded." if report.loaded else "none loaded.")
            )
        )
    elif report.loaded == 1:
        out.write(command.style.SUCCESS("\nThe row loaded."))
    else:
        out.write(command.style.SUCCESS(f"\nAll {report.loaded:,} rows loaded."))


def _issues(out, title, issues, total, *, key: str, more: str = "") -> None:
    if not total:
        return
    shown = f", first {SHOWN_ISSUES} of {total}" if total > SHOWN_ISSUES else ""
    out.write(f"\n{title}{shown}:")
    for issue in issues[:SHOWN_ISSUES]:
        out.write(f"  line {issue.line}: {getattr(issue, key) or f'(no {key})'}: {issue.reason}")
    if more:
        out.write(f"  {more}")
