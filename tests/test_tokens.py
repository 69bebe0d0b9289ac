"""Tokens: 32 random bytes, only the sha256 stored, constant-time comparison."""

from __future__ import annotations

import hashlib

from worker import tokens


def test_secrets_are_long_random_and_stored_hashed() -> None:
    first, second = tokens.new_secret(), tokens.new_secret()
    assert first != second
    assert len(first) >= 43  # 32 bytes of base64
    assert tokens.digest(first) == hashlib.sha256(first.encode()).hexdigest()
    assert tokens.matches(first, tokens.digest(first))
    assert not tokens.matches(second, tokens.digest(first))
    assert not tokens.matches("", tokens.digest(first))
    assert not tokens.matches(first, None)


def test_same_compares_secrets() -> None:
    assert tokens.same("abc", "abc")
    assert not tokens.same("abc", "abd")
    assert not tokens.same("", "")
