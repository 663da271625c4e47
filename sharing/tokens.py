"""Generating and recognising raw share tokens. Only digests ever reach the database."""

import hashlib
import secrets

TOKEN_PREFIX = "glimpse_"
RANDOM_BYTES = 32  # 256 bits of entropy
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(RANDOM_BYTES)


def token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(raw_token: str) -> str:
    """The first few characters: enough to tell tokens apart in a list, far too few to use one."""
    return raw_token[:DISPLAY_PREFIX_LENGTH]


def looks_like_token(text: str) -> bool:
    return text.startswith(TOKEN_PREFIX) and len(text) > DISPLAY_PREFIX_LENGTH
