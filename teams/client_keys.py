"""The key a client is rate-limited by: its address, with an IPv6 client's whole /64 as one.

One IPv6 subscriber usually holds a /64 and can pick any address in it; counting per address
would give them 2**64 budgets.
"""

import ipaddress


def rate_limit_key(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
