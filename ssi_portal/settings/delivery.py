"""Settings of the email outbox's delivery (notifications app), part of ``base``."""

import environ

env = environ.Env()
# --- Notification delivery ---------------------------------------------------
# Reliability of the email outbox (notifications app), beside the Celery settings of base.py.
# Publishing a task happens after the commit of a web request: with the broker gone it must
# fail fast, not hang the request. The row is already committed and stays pending, and the
# sweep (notifications.tasks.requeue_stale_notifications) publishes it once the broker is back.
# Worst case per publish: 3 tries with a 1 s connect timeout and 0.2 s + 0.5 s pauses.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("SSI_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis gives an unacknowledged message (late ack) to another worker after this long. It
    # must exceed the longest a message is held unacknowledged: the task's hard time limit
    # (CELERY_TASK_TIME_LIMIT, 300 s) and the longest retry countdown (8 x the base below,
    # 240 s), or a message still being worked on is handed out twice. A redelivered delivery
    # task is harmless (the row is claimed once), and a worker that died mid-send is covered
    # by the sweep long before this, so a long timeout costs nothing.
    "visibility_timeout": 3600,
    "socket_connect_timeout": env.float("SSI_BROKER_CONNECTION_TIMEOUT", default=1.0),
    # Without it a publish on a connection the broker dropped silently waits forever.
    "socket_timeout": 10,
}
# On losing the broker, let a running delivery finish rather than cancel it mid-send: it then
# records the row sent, and its redelivered message finds nothing to do.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Backoff between delivery attempts: base, 2·base, 4·base, 8·base seconds, then failed.
SSI_NOTIFICATION_RETRY_BASE_SECONDS = env.int("SSI_NOTIFICATION_RETRY_BASE_SECONDS", default=30)
