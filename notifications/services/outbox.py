"""The outbox: queue, deliver, retry and sweep emails. This app renders and delivers what it is
handed; it knows no incident rules.

How nothing is lost and nothing is sent twice by our own logic:

- Queueing writes one row per (event, template, recipient) in the caller's transaction; the
  unique constraint makes a second row for the same email impossible. The task that delivers
  a row is published only after commit, and publishing may fail (broker down) without harm:
  the row stays pending and ``notifications_requeue_stale`` publishes it again.
- Delivery is at most once per claim: a task moves the row pending → sending with one
  conditional UPDATE and sends only if it won, so duplicate task messages (a redelivery, a
  sweep racing a slow queue, the helpdesk's retry) send nothing twice.
- The one at-least-once path: a row left ``sending`` by a worker that died mid-send is put back
  by the sweep, and the SMTP server may already have accepted the message (see the sweep).
"""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ssi_portal.lib.compiled import CompiledInsert
from ssi_portal.lib.email import render_email
from ssi_portal.lib.publish import publish_after_commit

from ..models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A retry message may be run a moment before the time the row records (the two are computed
# a few microseconds apart, the ETA later); never by more than this.
CLAIM_LEEWAY = dt.timedelta(seconds=1)
# Rows per INSERT when queueing in bulk, and per UPDATE when the sweep or a retry works a
# backlog; the rest is left for the next run.
BULK_BATCH_SIZE = 1000
SWEEP_BATCH_SIZE = 5000

Status = Notification.Status
# The emails of one change, written by an INSERT compiled once (bulk_create for a batch).
_FEW = 8
_INSERT = CompiledInsert(Notification, most=_FEW)

# (source, template, recipients, context, audience): one call of notification_queue.
type QueueItem = tuple[str, str, Iterable[str], dict, str]


class TransientDeliveryError(Exception):
    """Delivery failed in a way that may pass (mail server down); retry in ``retry_in`` s."""

    def __init__(self, message: str, *, retry_in: int):
        super().__init__(message)
        self.retry_in = retry_in


def retry_delay_seconds(attempts: int) -> int:
    """Backoff after the ``attempts``-th failed attempt: base, 2·base, 4·base, … (30 s base)."""
    return settings.SSI_NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (attempts - 1)


# --- Queueing -----------------------------------------------------------------------------------


def notification_queue(
    *,
    source: str,
    template: str,
    recipients: Iterable[str],
    context: dict,
    audience: str = "",
) -> list[Notification]:
    """Write one pending row per distinct recipient and queue delivery after commit.

    Call it inside the transaction that writes the event being reported, so the event and its
    emails commit or vanish together. ``context`` must be JSON-serialisable and must never
    hold a secret: it is stored and rendered into the message. ``audience`` labels whom the
    recipients read for (an organisation's label sees the email on its "Emails sent to us"
    page); leave it empty for the DCC helpdesk.
    """
    return notification_queue_many([(source, template, recipients, context, audience)])


def notification_queue_many(items: Iterable[QueueItem]) -> list[Notification]:
    """``notification_queue`` for many events at once (a periodic sweep's batch).

    Writes every row with one ``bulk_create`` and publishes them in one after-commit callback:
    if the broker is down that callback gives up at the first failure, so a batch of thousands
    costs one failed publish, not thousands, and the sweep publishes the rows later.
    """
    rows = notification_rows(items)
    if not rows:
        return []
    if len(rows) <= _FEW:
        rows = _INSERT.insert(rows)
    else:
        rows = Notification.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE)
    notifications_publish_after_commit([row.pk for row in rows])
    return rows


def notification_rows(items: Iterable[QueueItem]) -> list[Notification]:
    """The rows :func:`notification_queue_many` writes for ``items``, unsaved: one per
    (source, template, distinct recipient). A caller that writes them itself (in one statement
    with its other rows) publishes them with :func:`notifications_publish_after_commit`."""
    rows: list[Notification] = []
    seen: set[tuple[str, str, str]] = set()
    for source, template, recipients, context, audience in items:
        for recipient in _distinct(recipients):
            if (source, template, recipient) in seen:
                continue
            seen.add((source, template, recipient))
            rows.append(
                Notification(
                    source=source,
                    template=template,
                    recipient=recipient,
                    context=context,
                    audience=audience or "",
                )
            )
    return rows


def _distinct(recipients: Iterable[str]) -> list[str]:
    return sorted({r.strip().lower() for r in recipients if r and r.strip()})


def notifications_publish_after_commit(notification_ids: Sequence[int]) -> None:
    """Publish one delivery task per row once the transaction commits (at once outside one);
    a row whose task was not published stays pending for the sweep."""
    from ..tasks import deliver_notification

    publish_after_commit(deliver_notification, notification_ids, what="notification", logger=logger)


# --- Delivery -----------------------------------------------------------------------------------


def notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> bool:
    """Send one pending notification whose time has come; return whether this call sent it.

    At most once per claim: the row moves pending → sending in one conditional UPDATE, and
    only the caller that won it sends, so a task delivered twice does not send twice. A row
    waiting out its backoff (``next_attempt_at`` in the future) is not claimed: its own retry
    task, or the sweep, comes back for it.

    Raises ``TransientDeliveryError`` when the mail server failed in a way that may pass and
    attempts remain; the row is then pending again with ``next_attempt_at`` set. A permanent
    refusal (5xx), a message that cannot be built, or the last allowed attempt leaves the row
    failed for the helpdesk, and returns False.
    """
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Status.PENDING, next_attempt_at__lte=now + CLAIM_LEEWAY
    ).update(status=Status.SENDING, claimed_at=now)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    try:
        _build_message(notification).send()
    except OSError as exc:  # smtplib.SMTPException is an OSError
        permanent = _is_permanent(exc)
        retry_in = _record_failure(notification, exc, final=permanent)
        if retry_in is None:
            return False
        raise TransientDeliveryError(str(exc), retry_in=retry_in) from exc
    except Exception as exc:
        # A template or data error: retrying will not mend it, so fail visibly at once.
        logger.exception("Notification %s cannot be built or sent", notification.pk)
        _record_failure(notification, exc, final=True)
        return False
    Notification.objects.filter(pk=notification_id).update(
        status=Status.SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        last_error="",
    )
    logger.info("Notification %s sent (%s)", notification_id, notification.template)
    return True


def _build_message(notification: Notification) -> EmailMultiAlternatives:
    subject, text, html = render_email(notification.template, notification.context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
    )
    message.attach_alternative(html, "text/html")
    return message


def _is_permanent(exc: OSError) -> bool:
    """A 5xx answer to the message itself will be the same next time (RFC 5321 §4.2.1).

    A refused connection or greeting stays transient whatever its code: that is the server's
    state, not the message's.
    """
    if isinstance(exc, smtplib.SMTPConnectError):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _record_failure(notification: Notification, exc: Exception, *, final: bool) -> int | None:
    """Count the attempt; return the seconds until the next one, or None if the row failed."""
    attempts = notification.attempts + 1
    failed = final or attempts >= MAX_ATTEMPTS
    retry_in = None if failed else retry_delay_seconds(attempts)
    logger.warning(
        "Notification %s attempt %s failed%s: %s",
        notification.pk,
        attempts,
        "; giving up" if failed else f"; retrying in {retry_in} s",
        type(exc).__name__,
    )
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.FAILED if failed else Status.PENDING,
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=now if failed else now + dt.timedelta(seconds=retry_in),
    )
    return retry_in


# --- Retry (helpdesk) ---------------------------------------------------------------------------


def notification_retry(*, notification_id: int) -> bool:
    """Put a failed notification back to pending and queue it again (helpdesk action)."""
    return notifications_retry_failed(notification_ids=[notification_id]) == 1


def notifications_retry_failed(
    *, notification_ids: Iterable[int], now: dt.datetime | None = None
) -> int:
    """Put the failed rows among ``notification_ids`` back to pending, with a fresh count of
    attempts, and queue them after commit. Rows in any other state are left alone. Returns how
    many were put back."""
    now = now or timezone.now()
    ids = list(notification_ids)
    retried: list[int] = []
    with transaction.atomic():
        for start in range(0, len(ids), BULK_BATCH_SIZE):
            chunk = Notification.objects.filter(
                pk__in=ids[start : start + BULK_BATCH_SIZE], status=Status.FAILED
            )
            # Locked so that two helpdesk clicks cannot both queue the same row.
            found = list(chunk.select_for_update().values_list("pk", flat=True))
            Notification.objects.filter(pk__in=found).update(
                status=Status.PENDING, attempts=0, next_attempt_at=now
            )
            retried += found
        notifications_publish_after_commit(retried)
    return len(retried)


# --- The sweep ----------------------------------------------------------------------------------


def notifications_requeue_stale(
    *,
    now: dt.datetime | None = None,
    pending_after: dt.timedelta = dt.timedelta(minutes=2),
    sending_after: dt.timedelta = dt.timedelta(minutes=10),
    batch_size: int = SWEEP_BATCH_SIZE,
) -> dict[str, int]:
    """Publish again what should have been delivered by now; run it every minute or two.

    - ``pending``: rows whose time (``next_attempt_at``: creation, or the end of a backoff)
      passed more than ``pending_after`` ago: their task was never published (broker down at
      commit) or was lost. A row still inside its backoff is not touched: its retry is not due.
      The sweep moves ``next_attempt_at`` to ``now``, so a second run within ``pending_after``
      publishes nothing again, even if the broker is still down.
    - ``sending``: rows claimed more than ``sending_after`` ago and never finished: the worker
      died mid-send (or a bug). They count as an attempt and go back to pending (failed at
      the cap, so a message that kills its worker cannot loop). This path is at-least-once: the
      SMTP server may have accepted the message just before the crash, and nothing can tell.
      ``sending_after`` must exceed the task's hard time limit, or a slow but live send
      would be taken away from its worker.

    One UPDATE … RETURNING per kind (the ORM has no public UPDATE … RETURNING; the SQL is plain
    and runs on PostgreSQL and SQLite ≥ 3.35). At most ``batch_size`` rows of each kind per run.
    Publishes after commit. Returns {"pending": n, "sending": n, "failed": n}.
    """
    now = now or timezone.now()
    requeued = [pk for (pk,) in _requeue_pending(now, now - pending_after, batch_size)]
    reset = _reset_sending(now, now - sending_after, batch_size)
    requeued_from_sending = [pk for pk, status in reset if status == Status.PENDING]
    notifications_publish_after_commit(requeued + requeued_from_sending)
    counts = {
        "pending": len(requeued),
        "sending": len(requeued_from_sending),
        "failed": len(reset) - len(requeued_from_sending),
    }
    if any(counts.values()):
        logger.warning("Notification sweep: %s", counts)
    return counts


def _table() -> str:
    return connection.ops.quote_name(Notification._meta.db_table)


def _datetime(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _update_returning(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _requeue_pending(now: dt.datetime, due_before: dt.datetime, limit: int) -> list[tuple]:
    # The outer WHERE repeats the condition: PostgreSQL re-checks it on a row that a
    # concurrent sweep changed meanwhile, so two overlapping runs do not both take it.
    table = _table()
    sql = (
        f"UPDATE {table} SET next_attempt_at = %s "  # noqa: S608 (only the table name is formatted in)
        "WHERE status = %s AND next_attempt_at < %s AND id IN ("
        f"  SELECT id FROM {table} WHERE status = %s AND next_attempt_at < %s"
        "   ORDER BY next_attempt_at LIMIT %s"
        ") RETURNING id"
    )
    due = _datetime(due_before)
    return _update_returning(sql, [_datetime(now), Status.PENDING, due, Status.PENDING, due, limit])


def _reset_sending(now: dt.datetime, claimed_before: dt.datetime, limit: int) -> list[tuple]:
    table = _table()
    sql = (
        f"UPDATE {table} SET "  # noqa: S608 (only the table name is formatted in)
        "  status = CASE WHEN attempts + 1 >= %s THEN %s ELSE %s END,"
        "  attempts = attempts + 1, next_attempt_at = %s, last_error = %s "
        "WHERE status = %s AND claimed_at < %s AND id IN ("
        f"  SELECT id FROM {table} WHERE status = %s AND claimed_at < %s"
        "   ORDER BY claimed_at LIMIT %s"
        ") RETURNING id, status"
    )
    claimed = _datetime(claimed_before)
    error = (
        "Interrupted: the worker stopped while sending and the result was never recorded; "
        "sent again (the earlier attempt may have reached the recipient)."
    )
    return _update_returning(
        sql,
        [
            MAX_ATTEMPTS,
            Status.FAILED,
            Status.PENDING,
            _datetime(now),
            error,
            Status.SENDING,
            claimed,
            Status.SENDING,
            claimed,
            limit,
        ],
    )
