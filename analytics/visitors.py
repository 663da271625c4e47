"""The anonymous visitor id: a keyed hash that cannot be recomputed once the day's salt is gone."""

import hashlib


def visitor_id(*, salt: str, site_id: int, ip: str, user_agent: str) -> int:
    """A signed 64-bit id (it fits a BigIntegerField) from BLAKE2b keyed with the date's salt.

    Keying with a random salt that is deleted after about two days is what keeps the
    id from being reversed by hashing every IPv4 address; the IP and user agent
    themselves are never stored.
    """
    digest = hashlib.blake2b(
        f"{site_id}\n{ip}\n{user_agent}".encode(errors="replace"),
        key=bytes.fromhex(salt),
        digest_size=8,
    ).digest()
    return int.from_bytes(digest, "big", signed=True)
