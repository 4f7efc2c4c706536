"""Who is asking: the client's address behind the configured trusted proxies (``HOTLINE_TRUSTED_PROXIES``).

The socket's peer is the client unless it is a trusted proxy. Then the client is the right-most address of
X-Forwarded-For that is not a trusted proxy: every address to its right was appended by a proxy we trust,
everything to its left was written by the client and may be anything. uvicorn's own handling of the header
is off (``--no-proxy-headers``), so this is the only place that reads it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from starlette.requests import HTTPConnection

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


class TrustedProxies:
    def __init__(self, cidrs: Iterable[str]) -> None:
        self.networks: tuple[Network, ...] = tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client(self, peer: str | None, forwarded_for: Sequence[str] = ()) -> str:
        """The client's address, given the socket's peer and the X-Forwarded-For header(s) in order."""
        current = _parse(peer)
        if current is None:
            return peer or "unknown"
        hops = [h.strip() for value in forwarded_for for h in value.split(",")]
        for hop in reversed(hops):
            if not self.trusts(current):
                break
            found = _parse(hop)
            if found is None:  # a trusted proxy would not write this: the hop that reported it is the client
                break
            current = found
        return str(current)

    def of(self, connection: HTTPConnection) -> str:
        peer = connection.client.host if connection.client else None
        return self.client(peer, connection.headers.getlist("x-forwarded-for"))


def _parse(value: str | None) -> Address | None:
    if not value:
        return None
    value = value.strip()
    if value.startswith("["):  # [v6]:port
        value = value[1:value.find("]")] if "]" in value else value
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A v4 client seen through a v6 socket is the same client.
    return address.ipv4_mapped or address if isinstance(address, IPv6Address) else address


def rate_key(address: str) -> str:
    """What a client's limits are counted by: its address, or for IPv6 its /64 (one subscriber's prefix)."""
    parsed = _parse(address)
    if isinstance(parsed, IPv6Address):
        return str(IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else address
