"""Ward tokens and desk sessions: random secrets, stored only as sha256 hashes, compared in constant time.

sha256 (not scrypt) is enough because every secret is 32 random bytes: there is no dictionary to guess from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32
SESSION_SECONDS = 12 * 3600  # one working day on the desk; then the operator logs in again


def new_secret() -> str:
    """32 random bytes, URL-safe base64 (43 characters): a ward token, a session id or a CSRF token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(secret: str, stored_hash: str | None) -> bool:
    """Whether secret hashes to stored_hash, without leaking where they differ through timing."""
    if not secret or not stored_hash:
        return False
    return hmac.compare_digest(digest(secret), stored_hash)


def same(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets (the CSRF token in a form against the session's)."""
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
