"""Random bearer tokens (sessions, e-mail links, invitations), stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A 256-bit URL-safe token and the SHA-256 hex digest the database keeps."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    """SHA-256 is enough here: the token itself has 256 bits of entropy."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
