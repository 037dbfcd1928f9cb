"""Answering requests from a CSV: rows ``device_id_or_reference,install_code``, where the code
may be ``NOT_INSTALLED``.

A row names a request by its INC reference, or by its Device (whose one open request is meant).
It is answered only when that request awaits the uploading Supplier's answer; the answer is
applied by the same functions as a single answer (:func:`answer_with_code`,
:func:`answer_not_installed`) to the chunk's incidents, locked together, and written with a
few set-based statements. No email per request: the finished upload sends one digest to each
raising Supplier's raisers, and one to the DCC helpdesk for the "not installed" answers.
"""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.models import supplier_audience
from incidents.calendar import working_day_calendar
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
    pk_from_reference,
    reference_for,
)
from incidents.permissions import Refusal, incident_access
from incidents.services.bulk.files import SourceRow
from incidents.services.bulk.rows import Parsed, RowHandler, RowResult, cell
from incidents.services.common import portal_url
from incidents.services.events import Change, record_events
from incidents.services.lifecycle import (
    NOT_INSTALLED_FIELDS,
    Answer,
    answer_not_installed,
    answer_with_code,
)
from incidents.services.recipes import RECIPES, Audience
from inventory.identifiers import parse_install_code
from inventory.models import Device
from notifications.services import QueueItem
from ssi_portal.lib.bulk_sql import in_values, update_rows
from ssi_portal.lib.identifiers import IdentifierError, parse_device_id
from ssi_portal.lib.working_days import LONDON

Kind = IncidentEvent.Kind
NOT_INSTALLED = "NOT_INSTALLED"


class AnswerRows(RowHandler):
    def __init__(self, upload: BulkUpload):
        super().__init__(upload)
        # Incident pk -> the line that answered it: a request named twice (by reference and by
        # Device) is answered once.
        self.answered: dict[int, int] = {}

    def resume(self) -> None:
        super().resume()
        rows = BulkRow.objects.filter(
            upload=self.upload, result=BulkResult.ACCEPTED, incident__isnull=False
        )
        self.answered.update(rows.values_list("incident_id", "line").iterator(5000))

    def parse(self, row: SourceRow) -> Parsed | RowResult:
        """Each row is judged on its own first (its request named well, its code well
        formed, in the answer form's words); only a row that passes can be a duplicate."""
        bad = self.bad_columns(row)
        if bad:
            return bad
        first = cell(row, 0)
        incident_pk = pk_from_reference(first)
        if incident_pk is not None:
            key, what = reference_for(incident_pk), "Request"
        else:
            try:
                key, what = parse_device_id(first), "Device"
            except IdentifierError as exc:
                return self.refused(
                    row.line,
                    "",
                    "bad_format",
                    f"The request is named neither by an INC reference nor by a Device ID: {exc}",
                )
        answer = cell(row, 1)
        if answer.upper().replace(" ", "_") == NOT_INSTALLED:
            parsed = Parsed(row.line, key, not_installed=True, incident_pk=incident_pk)
        else:
            try:
                code = parse_install_code(answer)
            except IdentifierError as exc:
                return self.refused(row.line, key, "bad_install_code", str(exc))
            parsed = Parsed(row.line, key, code=code, incident_pk=incident_pk)
        return self.duplicate(row.line, key, what=what) or parsed

    def apply(self, parsed: list[Parsed], *, now: dt.datetime) -> list[RowResult]:
        by_reference = {p.incident_pk for p in parsed if p.incident_pk is not None}
        by_device = [p.key for p in parsed if p.incident_pk is None]
        device_pks = (
            dict(
                Device.objects.filter(in_values("device_id", by_device, "text")).values_list(
                    "device_id", "pk"
                )
            )
            if by_device
            else {}
        )
        open_by_device = (
            dict(
                Incident.objects.filter(
                    in_values("device_id", device_pks.values(), "bigint"),
                    status__in=OPEN_STATUSES,
                ).values_list("device_id", "pk")
            )
            if device_pks
            else {}
        )
        # Then lock, by primary key and in pk order, only the requests assigned to us: another
        # Supplier's request stays untouched and looks exactly like a missing one. (By pk, the
        # plan is the same whatever the table's statistics say.)
        found = {
            incident.pk: incident
            for incident in Incident.objects.select_for_update(of=("self",))
            .filter(
                in_values("pk", by_reference | set(open_by_device.values()), "bigint"),
                assigned_supplier_id=self.supplier.pk,
            )
            .only(
                "pk",
                "public_id",
                "device_id",
                "status",
                "assigned_supplier_id",
                "notified_at",
                "due_at",
            )
            .order_by("pk")
        }
        calendar = working_day_calendar()
        results: list[RowResult] = []
        answered: list[tuple[Parsed, Incident, Answer]] = []
        for p in parsed:
            pk = (
                p.incident_pk
                if p.incident_pk is not None
                else open_by_device.get(device_pks.get(p.key))
            )
            incident = found.get(pk)
            refusal = self._refusal(p, incident)
            if refusal:
                results.append(refusal)
                continue
            incident.assigned_supplier = self.supplier  # known: the filter above
            if p.not_installed:
                answer = answer_not_installed(incident, reason="", now=now, calendar=calendar)
            else:
                answer = answer_with_code(
                    incident, supplier_id=self.supplier.pk, code=p.code, now=now, calendar=calendar
                )
            self.answered[incident.pk] = p.line
            answered.append((p, incident, answer))
        if answered:
            self._write(answered, now)
        for p, incident, answer in answered:
            outcome = BulkOutcome.NOT_INSTALLED if p.not_installed else BulkOutcome.CODE_PROVIDED
            results.append(
                self.accepted(
                    p.line,
                    p.key,
                    outcome,
                    _row_message(p, answer),
                    incident_id=incident.pk,
                )
            )
        return results

    def _refusal(self, p: Parsed, incident: Incident | None) -> RowResult | None:
        pk = incident.pk if incident is not None else p.incident_pk
        first = self.answered.get(pk)
        if first is not None and first != p.line:
            return self.refused(
                p.line,
                p.key,
                "duplicate_in_file",
                f"{reference_for(pk)} is also answered on line {first} of this file; "
                f"only line {first} is used.",
                incident_id=pk,
            )
        if incident is None:
            named = p.key if p.incident_pk is not None else f"Device {p.key} has no open request"
            message = (
                f"{named} is not a request assigned to {self.supplier.name}."
                if p.incident_pk is not None
                else f"{named} assigned to {self.supplier.name}."
            )
            return self.refused(p.line, p.key, "not_assigned_to_you", message)
        if not incident_access(self.actor, incident).answer:
            refusal = Refusal.NOT_AWAITING_ANSWER
            return self.refused(
                p.line, p.key, refusal.code, refusal.message(incident), incident_id=incident.pk
            )
        return None

    def _write(self, answered: list[tuple[Parsed, Incident, Answer]], now: dt.datetime) -> None:
        with_code = [incident for p, incident, _ in answered if not p.not_installed]
        not_installed = [incident for p, incident, _ in answered if p.not_installed]
        if with_code:
            # One UPDATE for the chunk: each row its sealed code, the rest the same for all.
            update_rows(
                Incident,
                ["install_code_sealed"],
                [(i.pk, i.install_code_sealed) for i in with_code],
                status=IncidentStatus.CODE_PROVIDED,
                code_provided_by=self.supplier.pk,
                code_provided_at=now,
                updated_at=now,
            )
        if not_installed:
            # The same fields for all: to the helpdesk, the clock paused (``clock_pause``).
            Incident.objects.filter(
                in_values("pk", [i.pk for i in not_installed], "bigint")
            ).update(**{field: getattr(not_installed[0], field) for field in NOT_INSTALLED_FIELDS})
        # The clocks end with a handful of UPDATEs: one per distinct set of fields.
        stops: dict[tuple, list[int]] = defaultdict(list)
        for _, incident, answer in answered:
            if answer.clock_fields:
                stops[tuple(sorted(answer.clock_fields.items()))].append(incident.pk)
        for fields, pks in stops.items():
            Assignment.objects.filter(
                in_values("incident_id", pks, "bigint"), ended_at__isnull=True
            ).update(**dict(fields))
        actor, supplier = self.actor.pk, self.supplier.pk
        # No email per request: the finished upload sends its digests.
        record_events(
            [
                Change(
                    incident.pk,
                    Kind.NOT_INSTALLED if p.not_installed else Kind.CODE_PROVIDED,
                    actor,
                    supplier,
                    answer.from_status,
                    incident.status,
                    answer.message,
                )
                for p, incident, answer in answered
            ],
            now=now,
            emails=False,
        )

    def digest(self, upload: BulkUpload) -> list[QueueItem]:
        """One email per raising Supplier, to each of its users whose requests were answered
        (how many with a code, how many "not installed"); one to the DCC helpdesk for the
        "not installed" answers, which it must reassign."""
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        recipients: dict[int, set[str]] = defaultdict(set)
        grouped = (
            BulkRow.objects.filter(upload=upload, result=BulkResult.ACCEPTED)
            .values_list("outcome", "incident__raising_supplier_id", "incident__raised_by__email")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for outcome, supplier_id, email, n in grouped:
            if supplier_id is None:
                continue
            counts[supplier_id][outcome] += n
            recipients[supplier_id].add(email)
        source = f"bulk-upload:{upload.pk}"
        answered_at = f"{timezone.localtime(upload.created_at, LONDON):%d %B %Y, %H:%M}"
        items: list[QueueItem] = []
        for supplier_id, by_outcome in sorted(counts.items()):
            items.append(
                (
                    f"{source}:{supplier_id}",
                    RECIPES[Kind.CODE_PROVIDED].digest[Audience.RAISER],
                    sorted(recipients[supplier_id]),
                    {
                        "answering_supplier": self.supplier.name,
                        "code_provided": by_outcome[BulkOutcome.CODE_PROVIDED],
                        "not_installed": by_outcome[BulkOutcome.NOT_INSTALLED],
                        "answered_at": answered_at,
                        "url": portal_url(reverse("incidents:raised") + "?status=code_provided"),
                    },
                    supplier_audience(supplier_id),
                )
            )
        not_installed = sum(c[BulkOutcome.NOT_INSTALLED] for c in counts.values())
        if not_installed:
            items.append(
                (
                    f"{source}:helpdesk",
                    RECIPES[Kind.NOT_INSTALLED].digest[Audience.HELPDESK],
                    settings.HELPDESK_EMAILS,
                    {
                        "supplier": self.supplier.name,
                        "count": not_installed,
                        "why": "answered \u201cnot installed by us\u201d and need reassigning",
                        "raised_at": answered_at,
                        "url": portal_url(
                            reverse("admin:incidents_incident_changelist")
                            + "?status__exact=with_helpdesk"
                        ),
                    },
                    None,
                )
            )
        return items


def _row_message(p: Parsed, answer: Answer) -> str:
    if p.not_installed:
        return "Answered: not installed by us. Sent to the DCC helpdesk to reassign."
    return answer.message
