"""The deadline sweeps' digests: one email per organisation told and per sweep, listing its
requests, instead of one email per request (a sweep that escalates 25,000 requests of one
installing Supplier sends it one email).

A sweep stamps every request it handles with its own time (``breached_at`` / ``reminded_at``),
so the requests of one sweep are those with that stamp and the stamp names the digest: the
outbox source ``<kind>-digest:<audience>:<id>:<stamp>`` is unique, and a sweep run again, or a
catch-up of it, writes nothing twice. At-least-once per stamp: a sweep that died after
committing some batches but before its digests is caught up by a later sweep (stamps between
``CATCH_UP_FROM`` and ``CATCH_UP_AFTER`` old that have no digest yet).
"""

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone

from accounts.models import Supplier, supplier_audience
from notifications.models import Notification
from notifications.services import QueueItem
from ssi_portal.lib.working_days import LONDON

from ..models import Incident, IncidentEvent, reference_for
from .common import portal_url
from .recipes import RECIPES, Audience

Kind = IncidentEvent.Kind

# An email lists this many requests, then says how many more and links to the filtered list:
# long enough for a day's work, short enough to read (and to stay a small outbox row).
LISTED = 200
# A stamp younger than this may belong to a sweep still running: only that sweep digests it.
CATCH_UP_AFTER = dt.timedelta(hours=1)
CATCH_UP_FROM = dt.timedelta(days=1)


class Sweep(NamedTuple):
    kind: str  # the event kind: breached or reminded
    column: str  # the stamp the sweep writes on each request it handles
    name: str  # the outbox source's prefix


BREACH = Sweep(Kind.BREACHED, "breached_at", "breach-digest")
REMINDER = Sweep(Kind.REMINDED, "reminded_at", "reminder-digest")
SWEEPS = {Kind.BREACHED: BREACH, Kind.REMINDED: REMINDER}


def _stamp(at: dt.datetime) -> str:
    return f"{at.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}"  # 22 characters: sources hold 64


def _day(at: dt.datetime) -> str:
    return f"{timezone.localtime(at, LONDON):%d %b %Y}"


def _item(incident: dict) -> dict:
    return {
        "reference": reference_for(incident["pk"]),
        "device_id": incident["device__device_id"],
        "raised": _day(incident["created_at"]),
        "due": _day(incident["due_at"]),
        "url": portal_url(reverse("incidents:detail", kwargs={"public_id": incident["public_id"]})),
    }


def _listed(stamped: Q, column: str, by: str, wanted: set[tuple]) -> dict[tuple, list[dict]]:
    """The first ``LISTED`` requests of each (``by``, stamp) group, by deadline: one query.

    The requests are ranked first and joined to their Device after, so that a sweep of
    25,000 looks up the Devices of the few hundred listed, not of all 25,000."""
    if not wanted:
        return {}
    group = [F(by), F(column)]
    ranked = (
        Incident.objects.filter(stamped, **{f"{by}__in": {key for key, _ in wanted}})
        .annotate(
            n=Window(RowNumber(), partition_by=group, order_by=[F("due_at").asc(), F("pk").asc()])
        )
        .filter(n__lte=LISTED)
        .values("pk")
    )
    rows = (
        Incident.objects.filter(pk__in=ranked)
        .order_by(by, column, "due_at", "pk")
        .values(by, column, "pk", "public_id", "device__device_id", "created_at", "due_at")
    )
    listed: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        if (row[by], row[column]) in wanted:
            listed[(row[by], row[column])].append(_item(row))
    return listed


def deadline_digests(sweep: Sweep, *, now: dt.datetime) -> list[QueueItem]:
    """The digests of the sweep stamped ``now`` and of any dead sweep's stamp left without one.

    Runs inside the caller's transaction, in a constant number of queries. Locks the Suppliers
    told, so that two sweeps catching up one stamp write its digests once.
    """
    column = sweep.column
    stamped = Q(**{column: now}) | Q(
        **{f"{column}__gte": now - CATCH_UP_FROM, f"{column}__lte": now - CATCH_UP_AFTER}
    )
    groups = list(
        Incident.objects.filter(stamped)
        .values(column, "assigned_supplier_id", "raising_supplier_id", "raised_by_id")
        .annotate(count=Count("pk"), email=F("raised_by__email"))
        .order_by()
    )
    if not groups:
        return []
    told = {g["assigned_supplier_id"] for g in groups} | {g["raising_supplier_id"] for g in groups}
    suppliers = {
        s.pk: s
        for s in Supplier.objects.select_for_update(of=("self",))
        .filter(pk__in=told)
        .order_by("pk")
        .prefetch_related("contacts")
    }
    templates = RECIPES[sweep.kind].digest
    counts: dict[str, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
    by_installer: dict[dt.datetime, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    raisers: dict[int, tuple[str, int]] = {}
    for g in groups:
        stamp = g[column]
        counts["supplier"][(g["assigned_supplier_id"], stamp)] += g["count"]
        counts["raiser"][(g["raised_by_id"], stamp)] += g["count"]
        by_installer[stamp][g["assigned_supplier_id"]] += g["count"]
        raisers[g["raised_by_id"]] = (g["email"], g["raising_supplier_id"])

    def source(audience: str, key, stamp: dt.datetime) -> str:
        return f"{sweep.name}:{audience}:{key}:{_stamp(stamp)}"

    wanted = {
        source(audience, key, stamp): (audience, key, stamp)
        for audience, in_templates in (
            ("supplier", Audience.ASSIGNEE),
            ("raiser", Audience.RAISER),
        )
        if in_templates in templates
        for key, stamp in counts[audience]
    }
    if Audience.HELPDESK in templates:
        wanted.update({source("helpdesk", "dcc", s): ("helpdesk", "dcc", s) for s in by_installer})
    wanted_sources = set(wanted)
    for done in Notification.objects.filter(source__in=wanted).values_list("source", flat=True):
        wanted_sources.discard(done)

    def todo(audience: str) -> set[tuple]:
        return {
            (k, s) for src, (a, k, s) in wanted.items() if a == audience and src in wanted_sources
        }

    items: list[QueueItem] = []
    for (supplier_id, stamp), requests in _listed(
        stamped, column, "assigned_supplier_id", todo("supplier")
    ).items():
        installer = suppliers[supplier_id]
        items.append(
            (
                source("supplier", supplier_id, stamp),
                templates[Audience.ASSIGNEE],
                installer.contact_emails,
                _context(
                    sweep,
                    stamp,
                    counts["supplier"][(supplier_id, stamp)],
                    requests,
                    reverse("incidents:assigned"),
                    installer.name,
                ),
                installer.audience,
            )
        )
    for (user_id, stamp), requests in _listed(
        stamped, column, "raised_by_id", todo("raiser")
    ).items():
        email, raising_supplier_id = raisers[user_id]
        items.append(
            (
                source("raiser", user_id, stamp),
                templates[Audience.RAISER],
                [email],
                _context(
                    sweep,
                    stamp,
                    counts["raiser"][(user_id, stamp)],
                    requests,
                    reverse("incidents:raised"),
                    suppliers[raising_supplier_id].name,
                ),
                supplier_audience(raising_supplier_id),
            )
        )
    for _, stamp in todo("helpdesk"):
        installers = by_installer[stamp]
        items.append(
            (
                source("helpdesk", "dcc", stamp),
                templates[Audience.HELPDESK],
                list(settings.HELPDESK_EMAILS),
                {
                    "count": sum(installers.values()),
                    "swept_at": _swept_at(stamp),
                    "suppliers": sorted(
                        ({"name": suppliers[pk].name, "count": n} for pk, n in installers.items()),
                        key=lambda row: (-row["count"], row["name"]),
                    ),
                    "url": portal_url(
                        reverse("admin:incidents_incident_changelist") + "?overdue=yes"
                    ),
                },
                "",
            )
        )
    return items


def _swept_at(stamp: dt.datetime) -> str:
    return f"{timezone.localtime(stamp, LONDON):%d %B %Y, %H:%M}"


def _context(sweep: Sweep, stamp, count: int, requests: list[dict], path: str, name: str) -> dict:
    """An organisation's digest: how many requests, the first ``LISTED`` of them, a link to its
    list filtered as the digest is (overdue, or running clocks soonest due first)."""
    query = "?overdue=on&sort=due" if sweep.kind == Kind.BREACHED else "?sort=due"
    return {
        "organisation": name,
        "count": count,
        "requests": requests,
        "more": max(0, count - len(requests)),
        "swept_at": _swept_at(stamp),
        "url": portal_url(path + query),
    }
