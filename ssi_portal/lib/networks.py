"""Addresses and networks: which peer is a trusted proxy, and whose address a request carries.

A proxy appends the address it received a request from to ``X-Forwarded-For``; entries further
left were written by whoever sent the request to that proxy, and prove nothing. So the header is
read only when the peer (the socket's address) is a trusted proxy, from the right, past every
trusted proxy, up to the first address that is not one: the client's.
"""

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str], *, setting: str) -> tuple[Network, ...]:
    """Networks written as CIDR (``10.0.0.0/8``, ``2001:db8::/32``) or single addresses.

    Raises ``ValueError`` naming ``setting`` and the entry for anything else, host bits set
    after the prefix included (``10.0.0.1/8`` is a typo for one address or for the network).
    """
    networks = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=True))
        except ValueError as exc:
            raise ValueError(
                f"{setting}: {text!r} is not an address or a network in CIDR form "
                f"(e.g. 127.0.0.1, 10.0.0.0/8, ::1): {exc}"
            ) from exc
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values, setting="SSI_TRUSTED_PROXIES")


def parse_address(value: str) -> Address | None:
    """The address written in ``value``, or None; IPv4 addresses mapped into IPv6 (a server
    bound to ``[::]``) are read as the IPv4 addresses they are."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forwarded_client(peer: str, forwarded_for: str, trusted: Sequence[str]) -> str | None:
    """The client's address: ``peer`` (the socket's), unless it is a trusted proxy; then the
    right-most address of ``forwarded_for`` that is not a trusted proxy.

    A malformed entry ends the walk at the proxy that passed it on (the address to its right),
    so nothing a client writes can stand in for its own address. None without a valid peer.
    """
    address = parse_address(peer or "")
    if address is None:
        return None
    networks = _networks(tuple(trusted))
    if not _is_trusted(address, networks):
        return str(address)
    for entry in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        hop = parse_address(entry)
        if hop is None:
            break
        address = hop
        if not _is_trusted(hop, networks):
            break
    return str(address)


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)
