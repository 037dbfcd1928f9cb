"""Webhook endpoints for tests, and a real HTTP receiver on 127.0.0.1 that records what it is
sent and answers as a test tells it."""

import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from webhooks.models import WebhookEndpoint, WebhookEventType
from webhooks.services import secret_new

ALL_TYPES = list(WebhookEventType.values)


def make_endpoint(
    supplier,
    *,
    url: str = "https://hooks.example.com/ssi",
    event_types=None,
    created_by=None,
    **fields,
) -> tuple[WebhookEndpoint, str]:
    """An endpoint saved directly (no address check: the URL need not resolve) and its
    secret."""
    now = timezone.now()
    secret = secret_new()
    endpoint = WebhookEndpoint(
        supplier=supplier,
        url=url,
        event_types=list(event_types if event_types is not None else ALL_TYPES),
        created_by=created_by,
        created_at=now,
        updated_at=now,
        **fields,
    )
    endpoint.secret_sealed = endpoint.seal_secret(secret)
    endpoint.save()
    return endpoint, secret


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    @property
    def message_id(self) -> str:
        return self.headers.get("webhook-id", "")


class Receiver:
    """An HTTP server in a thread. ``answers``: the status of each request in turn (then
    ``default``); ``delay``: seconds to wait before answering (a slow receiver)."""

    def __init__(self):
        self.received: list[Received] = []
        self.answers: deque[int] = deque()
        self.default = 200
        self.delay = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver._lock:
                    status = receiver.answers.popleft() if receiver.answers else receiver.default
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.received.append(Received(self.path, headers, body, status))
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def accepted(self) -> list[Received]:
        """The deliveries it answered with a 2xx status."""
        return [r for r in self.received if 200 <= r.status < 300]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/ssi"

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def receiving():
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


_made = iter(range(1, 10**9))


def make_delivery(endpoint, *, event_type: str = "request.raised", **fields):
    """A delivery row of ``endpoint`` (pending unless told), its payload a request's."""
    from webhooks.models import WebhookDelivery

    n = next(_made)
    now = fields.pop("now", None) or timezone.now()
    defaults = {
        "message_id": f"msg_made{n}",
        "source": f"incident-event:{n}",
        "payload": {"type": event_type, "data": {"reference": f"INC{n:07d}"}},
        "next_attempt_at": now,
        "queued_at": now,
        "created_at": now,
    }
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event_type=event_type, **{**defaults, **fields}
    )
