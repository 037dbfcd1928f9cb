"""Requests the portal makes to addresses its users chose (webhooks): only to the public
internet, and only to the address that was checked.

A URL a user types could name the portal's own network (``http://10.0.0.5/``, a cloud's
metadata service at 169.254.169.254, the database on loopback): server-side request forgery.
:func:`url_check` refuses a URL whose host resolves to any address that is not a public
internet one, when the URL is saved; :func:`post` checks again when it sends, and connects to
the very address it checked, so a name that resolved to a public address at the check and to a
private one a moment later (DNS rebinding) cannot steer the request inside. Redirects are not
followed: a 3xx is an answer like any other, so a public server cannot bounce the request to a
private one.

``allow_loopback`` (tests only; production refuses the setting) lets loopback addresses
(127.0.0.0/8, ::1) and plain ``http`` through, for a receiver started by the test itself.
"""

import http.client
import ipaddress
import socket
import ssl
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2000
# What is read of a receiver's answer: its status matters, its body does not.
MAX_ANSWER_BYTES = 64 * 1024


class OutboundError(Exception):
    """A URL the portal will not send to, or a request that did not get an answer.

    ``message`` says why in words for the person who typed the URL (or for the delivery's
    record); it never holds a secret.
    """

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class Target(NamedTuple):
    """A URL taken apart, with the one address a request to it connects to."""

    scheme: str
    host: str  # as written, for the Host header and the TLS certificate check
    port: int
    path: str  # path and query
    address: str


def _kind(address: Address) -> str | None:
    """Words for an address the portal does not send to; None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return _kind(address.ipv4_mapped)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private network address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "an address the internet does not route"
    return None


def address_refusal(address: Address, *, allow_loopback: bool) -> str | None:
    """Why a request may not go to ``address``, or None when it may."""
    if allow_loopback and address.is_loopback:
        return None
    kind = _kind(address)
    if kind is None:
        return None
    return f"The address resolves to {address}, {kind}; use an address the internet can reach."


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to now (an address written as such: itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundError(
            f"The host {host} does not resolve to an address; check its spelling.",
            code="unresolved",
        ) from exc
    # An IPv6 address may come with a zone (fe80::1%eth0): the zone is not the address.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in found))


def _parts(url: str, *, allow_loopback: bool) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise OutboundError(
            f"The URL has {len(url):,} characters; at most {MAX_URL_LENGTH:,} are allowed.",
            code="too_long",
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise OutboundError("The URL contains a space or a control character.", code="spaces")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError as exc:
        raise OutboundError(f"The URL is not valid: {exc}.", code="invalid") from exc
    schemes = ("https", "http") if allow_loopback else ("https",)
    if parts.scheme.lower() not in schemes:
        raise OutboundError(
            "The URL must start with https:// (deliveries are sent only over TLS).",
            code="not_https",
        )
    if not parts.hostname:
        raise OutboundError(
            "The URL names no host, e.g. https://hooks.example.com/ssi.", code="no_host"
        )
    if parts.username is not None or parts.password is not None:
        raise OutboundError(
            "The URL holds a user name or password: remove it. Deliveries are signed, and a "
            "password in a URL is shown wherever the URL is.",
            code="credentials",
        )
    if parts.fragment:
        raise OutboundError(
            "The URL has a #fragment, which is never sent: remove it.", code="fragment"
        )
    return parts


def url_check(url: str, *, allow_loopback: bool) -> Target:
    """The URL's target if a request may go there: HTTPS, no credentials, and a host whose
    every address is a public internet one. Raises :class:`OutboundError` saying why not."""
    parts = _parts(url, allow_loopback=allow_loopback)
    scheme = parts.scheme.lower()
    if scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise OutboundError(
            "The URL must start with https:// (deliveries are sent only over TLS).",
            code="not_https",
        )
    port = parts.port or (443 if scheme == "https" else 80)
    addresses = resolve(parts.hostname, port)
    if not addresses:
        raise OutboundError(
            f"The host {parts.hostname} does not resolve to an address; check its spelling.",
            code="unresolved",
        )
    for address in addresses:
        if refusal := address_refusal(address, allow_loopback=allow_loopback):
            raise OutboundError(refusal, code="not_public")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, parts.hostname, port, path, str(addresses[0]))


# --- Sending ------------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to by now."""

    def __init__(self, target: Target, *, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the host name, not the address."""

    def __init__(self, target: Target, *, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_loopback: bool
) -> int:
    """POST ``body`` to ``url`` after checking it again; return the answer's status code.

    Raises :class:`OutboundError` for a URL refused now, a timeout, a refused connection or a
    TLS failure (its message names the kind of failure, never the body or the headers).
    """
    target = url_check(url, allow_loopback=allow_loopback)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout=timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(MAX_ANSWER_BYTES)
        return answer.status
    except TimeoutError as exc:
        raise OutboundError(f"No answer within {timeout:g} s.", code="timeout") from exc
    except ssl.SSLError as exc:
        raise OutboundError(f"TLS failed: {exc.reason or type(exc).__name__}.", code="tls") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise OutboundError(f"Connection failed: {type(exc).__name__}.", code="network") from exc
    finally:
        connection.close()
