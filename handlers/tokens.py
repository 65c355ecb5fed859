"""Secrets in URLs and headers (staff API tokens, calendar feeds): made random, stored hashed."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str = "") -> str:
    """256 random bits, URL-safe. Shown once; only its hash is stored."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough to make the stored value useless
    to a thief, and lets a request be looked up by its hash (a slow hash would add nothing)."""
    return hashlib.sha256(token.encode()).hexdigest()
