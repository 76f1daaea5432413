"""The client's IP address for per-IP limits.

The client IP is the ASGI peer address. X-Forwarded-For is believed only when the peer is one of
TRUSTED_PROXIES (comma-separated IPs or CIDRs, e.g. "10.0.0.0/8,127.0.0.1"): then the client is
the right-most address in the header that is not itself a trusted proxy (the left-most entries
are whatever the client sent and cannot be trusted). With TRUSTED_PROXIES empty the header is
ignored, so a client cannot pick its own bucket by sending it. Behind a load balancer, set
TRUSTED_PROXIES to its addresses, or every user shares the balancer's IP and its limit.

IPv6 clients are keyed by their /64 (one host usually holds a whole /64; keying by the full
address would give it 2**64 buckets).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from app.settings import ConfigurationError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=16)
def parse_trusted_proxies(value: str) -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES as networks; ConfigurationError (at startup) for an entry that is not one."""
    networks = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ConfigurationError(f"TRUSTED_PROXIES: {part!r} is not an IP or CIDR") from exc
    return tuple(networks)


def _ip(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(addr: IPAddress | None, nets: tuple[IPNetwork, ...]) -> bool:
    return addr is not None and any(addr in net for net in nets)


def client_ip(peer: str | None, forwarded_for: list[str], trusted_proxies: str) -> str:
    """The client's address (IPv6: its /64) from the peer and the X-Forwarded-For headers."""
    nets = parse_trusted_proxies(trusted_proxies)
    addr = _ip(peer) if peer else None
    if nets and _trusted(addr, nets):
        hops = [hop for header in forwarded_for for hop in header.split(",")]
        for hop in reversed(hops):
            hop_addr = _ip(hop)
            if hop_addr is None:
                break  # garbage from here leftwards was not written by a proxy we trust
            addr = hop_addr
            if not _trusted(hop_addr, nets):
                break
    if addr is None:
        return peer or "unknown"
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)
