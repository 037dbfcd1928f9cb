"""A real SMTP server on 127.0.0.1 that keeps every message it accepts, and can misbehave on
request: refuse messages with a reply of your choice, or hold one message unanswered."""

import asyncio
import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from .waiting import wait_until


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self._part("plain")

    @property
    def html(self) -> str:
        return self._part("html")

    def _part(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""

    def everything_a_reader_sees(self) -> str:
        """Subject, headers and every decoded text part: where a leaked secret would show."""
        parts = [str(value) for value in self.message.values()]
        parts += [
            p.get_content() for p in self.message.walk() if p.get_content_maintype() == "text"
        ]
        return "\n".join(parts)


class _Collector:
    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[ReceivedEmail] = []
        self.refused: list[tuple[str, ...]] = []  # the recipients of every refused message
        self.replies: list[str] = []  # replies for the next messages, instead of accepting
        self.always: str | None = None  # a reply for every message, instead of accepting
        self.stall_next = False
        self.stalled = threading.Event()
        self.released = threading.Event()

    def _next_reply(self) -> tuple[bool, str | None]:
        with self.lock:
            stall, self.stall_next = self.stall_next, False
            reply = self.always or (self.replies.pop(0) if self.replies else None)
        return stall, reply

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        stall, reply = self._next_reply()
        if stall:
            # The whole message has arrived; the client now waits for the final reply, which
            # is when a sender that crashes cannot know whether it was accepted. If the client
            # goes away meanwhile, aiosmtpd cancels this coroutine: nothing is accepted.
            self.stalled.set()
            while not self.released.is_set():
                await asyncio.sleep(0.02)
            reply = "421 4.4.2 Held too long; closing"
        if reply:
            with self.lock:
                self.refused.append(tuple(envelope.rcpt_tos))
            return reply
        parsed = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        with self.lock:
            self.received.append(
                ReceivedEmail(envelope.mail_from, tuple(envelope.rcpt_tos), parsed)
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalSMTPServer:
    """aiosmtpd in a thread of its own. ``stop()`` and ``start()`` again keep the same port and
    the same list of messages, so a test can take the mail server away and bring it back."""

    host = "127.0.0.1"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self._collector = _Collector()
        self._controller: Controller | None = None

    def start(self) -> None:
        # An aiosmtpd Controller closes its event loop when stopped: each start needs a new one.
        self._controller = Controller(self._collector, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    # --- Misbehaving on request ---------------------------------------------------------

    def refuse_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        """Answer the next ``count`` messages with ``reply`` (a 4xx is transient) instead of
        accepting them; then accept again."""
        with self._collector.lock:
            self._collector.replies.extend([reply] * count)

    def refuse_all(self, reply: str = "421 4.3.2 Service not available, try later") -> None:
        with self._collector.lock:
            self._collector.always = reply

    def accept_all(self) -> None:
        with self._collector.lock:
            self._collector.always = None
            self._collector.replies.clear()

    def stall_next(self) -> threading.Event:
        """Hold the next message without a final reply until ``release()`` (or until the
        client goes away); the returned event is set once a message is held."""
        self._collector.stalled.clear()
        self._collector.released.clear()
        with self._collector.lock:
            self._collector.stall_next = True
        return self._collector.stalled

    def release(self) -> None:
        self._collector.released.set()

    @property
    def refused(self) -> list[tuple[str, ...]]:
        with self._collector.lock:
            return list(self._collector.refused)

    @property
    def messages(self) -> list[ReceivedEmail]:
        with self._collector.lock:
            return list(self._collector.received)

    def messages_to(self, address: str) -> list[ReceivedEmail]:
        return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def wait_for_messages(self, count: int, *, timeout: float = 20.0) -> list[ReceivedEmail]:
        return wait_until(
            lambda: len(self.messages) >= count and self.messages,
            timeout=timeout,
            what=f"{count} emails (got {len(self.messages)})",
        )


# What people put between the digits of a code: spaces, hyphens, colons, dots, HTML spaces.
_SEPARATORS = re.compile(r"[\s\-:._]|&NBSP;|&#160;|\u00a0")


def install_code_forms(code_hex: str) -> list[str]:
    """Every run of 8 hex digits from the code, upper case: any fragment that gives it away."""
    compact = code_hex.upper()
    return [compact[i : i + 8] for i in range(len(compact) - 7)]


def leaks_install_code(text: str, code_hex: str) -> list[str]:
    """Fragments of the install code found in ``text`` once separators and case are ignored
    (``83fe d340``, ``83-FE-D3-40``, with or without the CRC all count)."""
    compact = _SEPARATORS.sub("", text.upper())
    return [fragment for fragment in install_code_forms(code_hex) if fragment in compact]
