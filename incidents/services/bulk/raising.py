"""Raising requests from a CSV of Device IDs: rows ``device_id[,reference]``.

Each Device is judged by the rules of a single raise (:func:`device_refusal`, one open request
per Device); a chunk of rows costs a fixed handful of queries whatever its size. No email per
request: the finished upload sends one digest per installing Supplier (:meth:`digest`).
"""

import datetime as dt
import uuid
from collections import defaultdict

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEventKind, Supplier
from accounts.services import security_event_record
from incidents.calendar import answer_deadline, deadline_text, working_day_calendar
from incidents.models import (
    OPEN_STATUSES,
    Assignment,
    BulkOutcome,
    BulkResult,
    BulkRow,
    BulkUpload,
    Incident,
    IncidentEvent,
    IncidentStatus,
    RaiseChannel,
    reference_for,
)
from incidents.services.bulk import rows as bulk_rows
from incidents.services.bulk.files import SourceRow
from incidents.services.bulk.rows import MAX_REFERENCE, Parsed, RowHandler, RowResult, cell
from incidents.services.clock import clock_start
from incidents.services.common import looks_like_install_code, portal_url
from incidents.services.entitlement import (
    entitlement_verdict,
    raise_entitlements,
    raise_tally_add,
    supplier_allowance,
    supplier_limit_row_message,
    supplier_overdrawn,
    supplier_rate,
)
from incidents.services.events import Change, record_events
from incidents.services.lifecycle import answer_with_code
from incidents.services.lodged import answered_from_lodged_message, lodged_codes_take
from incidents.services.raising import (
    SENT_TO_HELPDESK_MESSAGE,
    DeviceFacts,
    already_open_error,
    assigned_message,
    device_refusal,
)
from incidents.services.recipes import RECIPES, Audience
from inventory.models import Device
from inventory.selectors.registrations import EntitlementStatus
from notifications.services import QueueItem
from ssi_portal.lib.bulk_sql import RowMaker, in_values, insert_rows
from ssi_portal.lib.identifiers import IdentifierError, parse_device_id
from ssi_portal.lib.text import count_of
from ssi_portal.lib.working_days import LONDON

Kind = IncidentEvent.Kind
REGISTRATION_REASONS = (
    EntitlementStatus.NOT_REGISTERED,
    EntitlementStatus.UNKNOWN,
    EntitlementStatus.NO_METER_POINT,
)
SECURITY_REASONS = (*REGISTRATION_REASONS, "rate_limited")
INCIDENTS = RowMaker(Incident)
ASSIGNMENTS = RowMaker(Assignment)
_PUBLIC_ID = INCIDENTS.fields.index("public_id")
_DEVICE = INCIDENTS.fields.index("device_id")
_REGISTRATION = INCIDENTS.fields.index("registration_mpxn")
_REFERENCE = INCIDENTS.fields.index("raiser_reference")


class RaiseRows(RowHandler):
    echo_bad_cells = True

    def __init__(self, upload: BulkUpload):
        super().__init__(upload)
        self._suppliers: dict[int, Supplier] = {}
        self._limited = False  # requests raised under a limit since the last recheck

    def parse(self, row: SourceRow) -> Parsed | RowResult:
        bad = self.bad_columns(row)
        if bad:
            return bad
        raw, reference = cell(row, 0), cell(row, 1)
        if len(reference) > MAX_REFERENCE or looks_like_install_code(reference):
            why = (
                f"is longer than {MAX_REFERENCE} characters"
                if len(reference) > MAX_REFERENCE
                else "looks like an install code, which must never be put in a reference"
            )
            return self.refused(row.line, self.shown(raw), "bad_format", f"The reference {why}.")
        try:
            device_id = parse_device_id(raw)
        except IdentifierError as exc:
            return self.refused(
                row.line, self.shown(raw), "bad_format", str(exc), reference=reference
            )
        duplicate = self.duplicate(row.line, device_id, what="Device", reference=reference)
        return duplicate or Parsed(row.line, device_id, reference=reference)

    def apply(self, parsed: list[Parsed], *, now: dt.datetime) -> list[RowResult]:
        devices = {
            d.device_id: d
            for d in map(
                DeviceFacts._make,
                Device.objects.filter(
                    in_values("device_id", [p.key for p in parsed], "text")
                ).values_list(*DeviceFacts._fields),
            )
        }
        refusals = {p.key: device_refusal(devices.get(p.key), p.key, self.supplier) for p in parsed}
        checked = raise_entitlements(
            [devices[key] for key, refusal in refusals.items() if refusal is None],
            self.supplier,
            now=now,
        )
        # Read once per chunk: rows past what is left of the Supplier's rate limit are refused.
        allowance = supplier_allowance(self.supplier.pk, now=now)
        open_requests = dict(
            Incident.objects.filter(
                in_values("device_id", [d.pk for d in devices.values()], "bigint"),
                status__in=OPEN_STATUSES,
            ).values_list("device_id", "pk")
        )
        results: list[RowResult] = []
        to_raise: list[tuple[Parsed, DeviceFacts, str, str]] = []
        for p in parsed:
            device = devices.get(p.key)
            refusal, registered, warning = refusals[p.key], "", ""
            if refusal is None:
                verdict = entitlement_verdict(checked and checked[device.pk], p.key, self.supplier)
                refusal, registered, warning = (
                    verdict.refusal,
                    verdict.registration_mpxn,
                    verdict.warning,
                )
            if refusal:
                results.append(self.refused_by(p.line, p.key, refusal, reference=p.reference))
            elif device.pk in open_requests:
                existing = open_requests[device.pk]
                error = already_open_error(p.key, reference_for(existing))
                results.append(
                    self.refused_by(
                        p.line, p.key, error, reference=p.reference, incident_id=existing
                    )
                )
            elif allowance is not None and len(to_raise) >= allowance:
                results.append(
                    self.refused(
                        p.line,
                        p.key,
                        "rate_limited",
                        supplier_limit_row_message(self.supplier),
                        reference=p.reference,
                    )
                )
            else:
                to_raise.append((p, device, registered, warning))
        self._limited |= allowance is not None and bool(to_raise)
        if to_raise:
            results += self._raise(to_raise, now)
        return results

    def recheck(self, *, now: dt.datetime) -> None:
        limited, self._limited = self._limited, False
        if limited and supplier_overdrawn(self.supplier.pk, now=now):
            raise bulk_rows.StaleRead("the chunk raised past the Supplier's limit")

    def _raise(
        self, to_raise: list[tuple[Parsed, DeviceFacts, str, str]], now: dt.datetime
    ) -> list[RowResult]:
        """Insert the chunk's incidents, their clocks and events; answer those with a lodged
        code at once. Each row carries the meter point its raiser is registered for and the
        warning of a ``warn`` registration check."""
        installers = {d.installing_supplier_id for _, d, _, _ in to_raise} - {None}
        self._suppliers.update(Supplier.objects.in_bulk(installers - self._suppliers.keys()))
        codes = lodged_codes_take([d for _, d, _, _ in to_raise])
        calendar = working_day_calendar()
        due = answer_deadline(now, calendar)  # the same deadline for the whole chunk
        due_text = deadline_text(due, now=now)  # as the incident page says it
        # The incident of each installer (None: the helpdesk) as the single raise builds it;
        # the chunk's rows are copies of it with their own Device and public id.
        templates: dict[int | None, tuple[tuple, str]] = {}
        planned, rows = [], []
        for p, device, registered, warning in to_raise:
            installer = self._suppliers.get(device.installing_supplier_id)
            key = installer.pk if installer else None
            if key not in templates:
                template, message = self._incident(device, installer, now, due)
                templates[key] = (INCIDENTS.of(template), message)
            values, raised_message = templates[key]
            code = codes.get(device.pk)
            if code is None:
                answer = None
                values = list(values)
                values[_PUBLIC_ID], values[_DEVICE] = uuid.uuid4(), device.pk
                values[_REGISTRATION], values[_REFERENCE] = registered, p.reference
                rows.append(tuple(values))
            else:
                incident, _ = self._incident(device, installer, now, due)
                incident.registration_mpxn = registered
                incident.raiser_reference = p.reference
                answer = answer_with_code(
                    incident, supplier_id=installer.pk, code=code, now=now, calendar=calendar
                )
                rows.append(INCIDENTS.of(incident))
            if warning:
                raised_message = f"{raised_message} {warning}"
            planned.append((p, installer, raised_message, answer, warning))
        ids = insert_rows(Incident, INCIDENTS.fields, rows, with_ids=True)

        assignments, events, results = [], [], []
        actor, supplier = self.actor.pk, self.supplier.pk
        for incident_id, (p, installer, raised_message, answer, warning) in zip(
            ids, planned, strict=True
        ):
            to_status = (
                IncidentStatus.AWAITING_INSTALLER if installer else IncidentStatus.WITH_HELPDESK
            )
            events.append(
                Change(incident_id, Kind.RAISED, actor, supplier, "", to_status, raised_message)
            )
            if installer is None:
                outcome = BulkOutcome.SENT_TO_HELPDESK
                message = (
                    "Raised and sent to the DCC helpdesk: the SMI names no installing Supplier."
                )
            else:
                assignments.append(
                    ASSIGNMENTS(
                        incident_id=incident_id,
                        supplier_id=installer.pk,
                        notified_at=now,
                        due_at=due,
                        **(answer.clock_fields if answer else {}),
                    )
                )
                outcome = BulkOutcome.RAISED
                message = f"Raised and assigned to {installer.name}; answer due by {due_text}."
            if answer:
                answered = answered_from_lodged_message(installer.name)
                provided = IncidentStatus.CODE_PROVIDED
                events.append(
                    Change(
                        incident_id,
                        Kind.CODE_PROVIDED,
                        None,
                        None,
                        answer.from_status,
                        provided,
                        answered,
                    )
                )
                outcome, message = BulkOutcome.ANSWERED_FROM_LODGED, f"Raised. {answered}"
            if warning:
                message = f"{message} {warning}"
            results.append(
                self.accepted(
                    p.line, p.key, outcome, message, incident_id=incident_id, reference=p.reference
                )
            )
        insert_rows(Assignment, ASSIGNMENTS.fields, assignments)
        # No email per request: the finished upload sends its digests.
        record_events(events, now=now, emails=False)
        raise_tally_add(self.supplier.pk, len(ids), now=now)
        return results

    def _incident(
        self, device: DeviceFacts, installer: Supplier | None, now: dt.datetime, due: dt.datetime
    ) -> tuple[Incident, str]:
        """The incident a single raise would build for ``device`` (clock started, unsaved),
        and the words of its ``raised`` event."""
        incident = Incident(
            device_id=device.pk,
            raised_by_id=self.actor.pk,
            raising_supplier_id=self.supplier.pk,
            channel=RaiseChannel.BULK,
            created_at=now,
            updated_at=now,
        )
        if installer is None:
            incident.status = IncidentStatus.WITH_HELPDESK
            return incident, SENT_TO_HELPDESK_MESSAGE
        incident.status = IncidentStatus.AWAITING_INSTALLER
        started = clock_start(incident, installer, now=now, due_at=due)
        return incident, assigned_message(installer, started)

    def conflict(self, parsed: Parsed) -> RowResult:
        existing = (
            Incident.objects.filter(device__device_id=parsed.key, status__in=OPEN_STATUSES)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is None:
            return super().conflict(parsed)
        error = already_open_error(parsed.key, reference_for(existing))
        return self.refused_by(
            parsed.line, parsed.key, error, reference=parsed.reference, incident_id=existing
        )

    def log_security_events(self, upload: BulkUpload, *, now: dt.datetime) -> None:
        """One security-log entry per kind of refusal that may show fishing for codes: rows
        the registration check refused, rows past the rate limit."""
        counts = dict(
            BulkRow.objects.filter(upload=upload, reason_code__in=SECURITY_REASONS)
            .values_list("reason_code")
            .annotate(n=Count("pk"))
            .order_by()
        )
        refused = {code: counts[code] for code in REGISTRATION_REASONS if counts.get(code)}
        if refused:
            security_event_record(
                kind=SecurityEventKind.RAISE_REFUSED,
                actor=upload.uploaded_by,
                reference=f"bulk-upload:{upload.public_id}",
                detail=f"Bulk raise {upload.filename}: "
                f"{count_of(sum(refused.values()), 'row')} refused ("
                + ", ".join(f"{code} {n:,}" for code, n in refused.items())
                + ").",
                now=now,
            )
        if counts.get("rate_limited"):
            security_event_record(
                kind=SecurityEventKind.RAISE_RATE_LIMITED,
                actor=upload.uploaded_by,
                reference=f"bulk-upload:{upload.public_id}",
                detail=f"Bulk raise {upload.filename}: "
                f"{count_of(counts['rate_limited'], 'row')} past "
                f"the Supplier's limit ({supplier_rate()}).",
                now=now,
            )

    def digest(self, upload: BulkUpload) -> list[QueueItem]:
        """One email per installing Supplier (how many requests, from whom, a link to its
        worklist), and one to the DCC helpdesk for the requests that had no installer."""
        digest = RECIPES[Kind.RAISED].digest  # who hears of a raise, and with which template
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        helpdesk = 0
        grouped = (
            BulkRow.objects.filter(upload=upload, result=BulkResult.ACCEPTED)
            .values_list("outcome", "incident__assigned_supplier_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for outcome, supplier_id, n in grouped:
            if outcome == BulkOutcome.SENT_TO_HELPDESK or supplier_id is None:
                helpdesk += n
            else:
                counts[supplier_id][outcome] += n
        source = f"bulk-upload:{upload.pk}"
        items: list[QueueItem] = []
        worklist = portal_url(reverse("incidents:assigned") + "?status=awaiting_installer")
        raised_at = f"{timezone.localtime(upload.created_at, LONDON):%d %B %Y, %H:%M}"
        for installer in Supplier.objects.filter(pk__in=counts).prefetch_related("contacts"):
            by_outcome = counts[installer.pk]
            context = {
                "raising_supplier": self.supplier.name,
                "assigned": by_outcome[BulkOutcome.RAISED],
                "answered_from_lodged": by_outcome[BulkOutcome.ANSWERED_FROM_LODGED],
                "raised_at": raised_at,
                "url": worklist,
            }
            items.append(
                (
                    f"{source}:{installer.pk}",
                    digest[Audience.ASSIGNEE],
                    installer.contact_emails,
                    context,
                    installer.audience,
                )
            )
        if helpdesk:
            items.append(
                (
                    f"{source}:helpdesk",
                    digest[Audience.HELPDESK],
                    settings.HELPDESK_EMAILS,
                    {
                        "supplier": self.supplier.name,
                        "count": helpdesk,
                        "why": "raised for Devices whose installing Supplier the SMI does not name",
                        "raised_at": raised_at,
                        "url": portal_url(
                            reverse("admin:incidents_incident_changelist")
                            + "?status__exact=with_helpdesk"
                        ),
                    },
                    None,
                )
            )
        return items
