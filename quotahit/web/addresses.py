"""The one rule for which IP addresses QuotaHit may connect to on a user's behalf (SSRF).

Only globally routable unicast addresses: private, loopback, link-local (cloud metadata at
169.254.169.254), carrier-grade NAT, multicast, reserved and unspecified ranges are refused,
including their IPv4-mapped and IPv4-compatible IPv6 spellings.
"""

from __future__ import annotations

import ipaddress


def address_blocked(address: str) -> bool:
    """Whether an IP address (in any notation `ipaddress` reads) is off limits."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # `::127.0.0.1` (IPv4-compatible IPv6) counts as global to `ipaddress`; it sits in the
    # reserved ::/8, so reserved space is refused too.
    return not ip.is_global or ip.is_multicast or ip.is_reserved
