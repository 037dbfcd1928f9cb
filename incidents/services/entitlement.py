"""Who may raise: the registered Supplier of the Device's meter point, within its rate limits.

Registration (``SSI_REGISTRATION_CHECK``): the raiser must be the Supplier the registration
data names today for the Device's meter point (DOMAIN.md, "Registration data"). ``enforce``
refuses anyone else; ``warn`` lets the raise go ahead with a warning; ``off`` reads no
registration data. The refusal never names the Supplier that is registered (that is another
Supplier's business), nor the meter point (it identifies a home the raiser has not shown it
supplies); the security log records the meter point for the helpdesk.

Rate limits (``SSI_RAISE_LIMIT_PER_USER``, ``SSI_RAISE_LIMIT_PER_SUPPLIER``) count requests
raised in a sliding window, in the database (shared by every web worker, no cache needed):
a user's from its incidents (at most the limit's few dozen index entries), a Supplier's from
:class:`RaiseTally` rows, one per sixtieth of the window, which the raise writes in its own
transaction. An interval is counted whole while any part of it is in the window, so the
Supplier limit errs by at most a sixtieth of the window, on the strict side. Two raises at the
same instant may both pass the last free place (the check does not lock), so a limit can be
passed by the number of raises in flight at once; it bounds volume, it is not a quota to the
unit.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Supplier, User
from inventory.models import Device
from inventory.selectors.registrations import (
    Entitlement,
    EntitlementStatus,
    entitlements,
    registration_day,
)
from ssi_portal.lib.rates import Rate, parse_rate
from ssi_portal.lib.text import count_of
from ssi_portal.lib.working_days import LONDON

from ..calendar import moment_text
from ..models import Incident, RaiseChannel, RaiseTally
from .common import IncidentError

# The user's Supplier, when the request read it with the user.
_SUPPLIER = User._meta.get_field("supplier")

ENFORCE, WARN, OFF = "enforce", "warn", "off"


def registration_mode() -> str:
    return settings.SSI_REGISTRATION_CHECK


def raise_entitlements(
    devices: Sequence[Device],
    supplier: Supplier,
    *,
    now: dt.datetime,
    registered: dict[str, int] | None = None,
) -> dict[int, Entitlement] | None:
    """The registration check of each Device (by pk) for ``supplier``; None when the check
    is off. Reads the Devices' ``mpxn`` and ``comms_hub_id``; ``registered`` as
    :func:`~inventory.selectors.registrations.entitlements` takes it."""
    if registration_mode() == OFF or not devices:
        return None
    return entitlements(devices, supplier.pk, on=registration_day(now), registered=registered)


def entitlement_problem(
    entitlement: Entitlement, device_id: str, supplier: Supplier
) -> IncidentError | None:
    """Why the registration data does not entitle ``supplier`` to the Device's install code
    (the error's ``code`` is the entitlement status), or None when it does."""
    status = entitlement.status
    if status == EntitlementStatus.REGISTERED:
        return None
    if status == EntitlementStatus.NOT_REGISTERED:
        message = (
            f"{supplier.name} is not the registered Supplier for the meter point of Device "
            f"{device_id}: the registration data names another Supplier today. Only the "
            "registered Supplier may request the install code; if your registration starts "
            "soon, raise the request once it has started."
        )
    elif status == EntitlementStatus.UNKNOWN:
        message = (
            f"The registration data names no Supplier registered today for "
            f"{_meter_points(entitlement)} of Device {device_id}, so the portal cannot confirm "
            f"that {supplier.name} may request its install code. Ask the DCC helpdesk if the "
            "registration is missing, quoting the Device ID."
        )
    else:
        message = (
            f"The SMI ties Device {device_id} to no meter point (MPAN or MPRN), so the portal "
            f"cannot confirm that {supplier.name} is the registered Supplier. Ask the DCC "
            "helpdesk."
        )
    return IncidentError(status, message, field="device_id")


@dataclass(frozen=True)
class Verdict:
    """What the registration check makes of one raise, under the configured mode: a refusal
    (``enforce``), a warning to carry (``warn``), or the meter point that entitles it."""

    refusal: IncidentError | None = None
    warning: str = ""
    registration_mpxn: str = ""


def entitlement_verdict(
    entitlement: Entitlement | None, device_id: str, supplier: Supplier
) -> Verdict:
    """The verdict on ``entitlement`` (None: the check is off)."""
    if entitlement is None:
        return Verdict()
    problem = entitlement_problem(entitlement, device_id, supplier)
    if problem is None:
        return Verdict(registration_mpxn=entitlement.mpxn)
    if registration_mode() == ENFORCE:
        return Verdict(refusal=problem)
    return Verdict(warning=warning_text(problem))


def _meter_points(entitlement: Entitlement) -> str:
    # Never the MPxN itself: a meter point identifies a home, and the raiser has not shown
    # that it supplies this one. The security log keeps it for the helpdesk.
    if len(entitlement.meter_points) == 1:
        return "the meter point"
    return f"any of the {len(entitlement.meter_points)} meter points"


def warning_text(problem: IncidentError) -> str:
    """The words a ``warn`` raise carries on the page, the timeline and a bulk result."""
    return f"Raised in spite of the registration check: {problem.message}"


# --- Rate limits ---------------------------------------------------------------------------


class RateLimited(IncidentError):
    """A raise refused by a rate limit; ``retry_at`` is when a place frees up."""

    def __init__(self, message: str, *, retry_at: dt.datetime):
        super().__init__("rate_limited", message)
        self.retry_at = retry_at


def user_rate() -> Rate | None:
    return parse_rate(settings.SSI_RAISE_LIMIT_PER_USER)


def supplier_rate() -> Rate | None:
    return parse_rate(settings.SSI_RAISE_LIMIT_PER_SUPPLIER)


# --- The per-Supplier tally ------------------------------------------------------------------

# Interval of the tally when no Supplier limit is set (a day's sixtieth): raises are counted
# anyway, so that a limit switched on later sees the recent past.
_DEFAULT_TALLY_SECONDS = 1440


def _tally_seconds(rate: Rate | None) -> int:
    return max(1, rate.seconds // 60) if rate else _DEFAULT_TALLY_SECONDS


def _bucket(now: dt.datetime, seconds: int) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, dt.UTC)


def raise_tally_add(supplier_id: int, count: int, *, now: dt.datetime) -> None:
    """Count ``count`` requests raised by the Supplier now. Call in the transaction that
    raises them, as late as possible: the tally row stays locked until commit."""
    if count <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(*raise_tally_statement(supplier_id, count, now=now))


def raise_tally_statement(supplier_id: int, count: int, *, now: dt.datetime) -> tuple[str, list]:
    """The SQL and parameters of :func:`raise_tally_add` (``count`` at least 1), for a
    statement that writes the tally with other rows."""
    table = RaiseTally._meta.db_table
    bucket = _bucket(now, _tally_seconds(supplier_rate()))
    sql = (
        f"INSERT INTO {table} (supplier_id, bucket, count) VALUES (%s, %s, %s) "  # noqa: S608 (the model's table)
        f"ON CONFLICT (supplier_id, bucket) DO UPDATE SET count = {table}.count + excluded.count"
    )
    return sql, [supplier_id, connection.ops.adapt_datetimefield_value(bucket), count]


def _supplier_window(supplier_id: int, rate: Rate, now: dt.datetime) -> list[tuple]:
    """(interval start, count) of the Supplier's raises in the window, oldest first."""
    seconds = _tally_seconds(rate)
    since = now - dt.timedelta(seconds=rate.seconds + seconds)
    return list(
        RaiseTally.objects.filter(supplier_id=supplier_id, bucket__gt=since)
        .order_by("bucket")
        .values_list("bucket", "count")
    )


def _supplier_full_until(supplier_id: int, rate: Rate, now: dt.datetime) -> dt.datetime | None:
    """When the Supplier's window has room again, or None if it has room now."""
    window = _supplier_window(supplier_id, rate, now)
    excess = sum(count for _, count in window) - rate.limit + 1
    if excess <= 0:
        return None
    seconds = _tally_seconds(rate)
    for bucket, count in window:
        excess -= count
        if excess <= 0:
            return bucket + dt.timedelta(seconds=seconds + rate.seconds)
    return now  # not reached: the sum covers the excess


def raise_tallies_purge(*, now: dt.datetime | None = None) -> int:
    """Delete tally rows older than any window can reach (two days, or the limit's window if
    longer). Returns how many were deleted."""
    now = now or timezone.now()
    rate = supplier_rate()
    keep = max(2 * 86_400, rate.seconds + _tally_seconds(rate) if rate else 0)
    deleted, _ = RaiseTally.objects.filter(bucket__lt=now - dt.timedelta(seconds=keep)).delete()
    return deleted


# --- The checks ---------------------------------------------------------------------------------


def _window_full_until(queryset, rate: Rate, now: dt.datetime) -> dt.datetime | None:
    """When the window stops being full, or None if it has room: the ``limit``-th newest
    raise leaves the window then. One indexed query."""
    since = now - dt.timedelta(seconds=rate.seconds)
    newest = (
        queryset.filter(created_at__gt=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[rate.limit - 1 : rate.limit]
    )
    at = next(iter(newest), None)
    return None if at is None else at + dt.timedelta(seconds=rate.seconds)


def _supplier_with_windows(
    actor, user_limit: Rate | None, supplier_limit: Rate | None, now: dt.datetime
) -> Supplier:
    """The actor's Supplier, with ``user_full`` (the actor has raised ``user_limit`` requests
    through the form in its window) and ``tally_used`` (the raises its tally counts in the
    Supplier's window; 0 without a limit). One query, in plain SQL: built by the ORM, its
    two subqueries cost many times what PostgreSQL takes to answer them. A Supplier read
    already with the signed-in user (the session's query) is not read again: the query then
    answers the two figures alone, without a model built from a raw query's columns."""
    ops = connection.ops
    params: list = []
    user_full = "NULL"
    if user_limit:
        user_full = (
            f"(SELECT 1 FROM {Incident._meta.db_table} WHERE raised_by_id = %s AND channel = %s"  # noqa: S608 (tables only)
            " AND created_at > %s ORDER BY created_at DESC LIMIT 1 OFFSET %s)"
        )
        since = now - dt.timedelta(seconds=user_limit.seconds)
        params += [
            actor.pk,
            RaiseChannel.FORM.value,
            ops.adapt_datetimefield_value(since),
            user_limit.limit - 1,
        ]
    tally_used = "0"
    if supplier_limit:
        tally_used = (
            f"COALESCE((SELECT SUM(t.count) FROM {RaiseTally._meta.db_table} t"  # noqa: S608 (tables only)
            " WHERE t.supplier_id = s.id AND t.bucket > %s), 0)"
        )
        since = now - dt.timedelta(seconds=supplier_limit.seconds + _tally_seconds(supplier_limit))
        params.append(ops.adapt_datetimefield_value(since))
    windows = f"{user_full} AS user_full, {tally_used} AS tally_used"
    table = Supplier._meta.db_table
    params.append(actor.supplier_id)
    if not _SUPPLIER.is_cached(actor):
        sql = f"SELECT s.*, {windows} FROM {table} s WHERE s.id = %s"  # noqa: S608 (tables only)
        return next(iter(Supplier.objects.raw(sql, params)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {windows} FROM {table} s WHERE s.id = %s", params)  # noqa: S608 (tables only)
        supplier = actor.supplier
        supplier.user_full, supplier.tally_used = cursor.fetchone()
    return supplier


def raise_rate_check(*, actor, now: dt.datetime) -> None:
    """Raise :class:`RateLimited` if the actor or its Supplier may raise no more requests now
    (one at a time through the form).

    One query reads both limits' windows with the actor's Supplier (which it leaves on
    ``actor.supplier`` for the raise); a refusal costs one more, to say when a place frees
    up."""
    user_limit, supplier_limit = user_rate(), supplier_rate()
    supplier = _supplier_with_windows(actor, user_limit, supplier_limit, now)
    actor.supplier = supplier
    until = None
    if user_limit and supplier.user_full:
        mine = Incident.objects.filter(raised_by_id=actor.pk, channel=RaiseChannel.FORM)
        until = _window_full_until(mine, user_limit, now)
    if until:
        raise RateLimited(
            f"You have raised {_requests(user_limit.limit)} in the last {_window(user_limit)}, "
            f"the most one person may raise one at a time ({user_limit}). You can raise the "
            f"next one after {_when(until, now)}; to raise many at once, upload a CSV file.",
            retry_at=until,
        )
    if supplier_limit and supplier.tally_used >= supplier_limit.limit:
        until = _supplier_full_until(supplier.pk, supplier_limit, now)
    else:
        until = None
    if until:
        raise RateLimited(
            f"{supplier.name} has raised {_requests(supplier_limit.limit)} in the last "
            f"{_window(supplier_limit)}, the most one Supplier may raise ({supplier_limit}). "
            f"The next one can be raised after {_when(until, now)}.",
            retry_at=until,
        )


def supplier_allowance(supplier_id: int, *, now: dt.datetime) -> int | None:
    """How many more requests the Supplier may raise now (None: no limit). One query over
    the window's tally rows."""
    rate = supplier_rate()
    if rate is None:
        return None
    used = sum(count for _, count in _supplier_window(supplier_id, rate, now))
    return max(0, rate.limit - used)


def supplier_overdrawn(supplier_id: int, *, now: dt.datetime) -> bool:
    """Whether the Supplier has raised more in the window than its limit allows."""
    rate = supplier_rate()
    used = sum(count for _, count in _supplier_window(supplier_id, rate, now)) if rate else 0
    return rate is not None and used > rate.limit


def supplier_limit_message(supplier: Supplier, allowance: int, *, wanted: int) -> str:
    rate = supplier_rate()
    return (
        f"{supplier.name} may raise {rate} and can raise {allowance:,} more now; this file "
        f"asks for {wanted:,}. Split the file, or upload it once earlier requests have left "
        f"the {_window(rate)} window."
    )


def supplier_limit_row_message(supplier: Supplier) -> str:
    return (
        f"{supplier.name} has reached its limit on raising requests ({supplier_rate()}); this "
        "row was not raised. Upload the rows refused for this reason again later."
    )


def _requests(n: int) -> str:
    return count_of(n, "request")


def _window(rate: Rate) -> str:
    return {"second": "second", "minute": "minute", "hour": "hour", "day": "24 hours"}[rate.period]


def _when(at: dt.datetime, now: dt.datetime) -> str:
    # Rounded up to the minute shown: "after 14:33" must not be a moment too early.
    local = timezone.localtime(at + dt.timedelta(seconds=59), LONDON).replace(
        second=0, microsecond=0
    )
    return moment_text(local, now=now)
