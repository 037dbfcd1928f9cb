"""A real SMTP server on 127.0.0.1 that keeps every message it receives."""

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

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
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
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

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
