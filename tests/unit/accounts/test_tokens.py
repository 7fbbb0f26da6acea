"""Bearer tokens: 256 bits of randomness, stored only as a SHA-256 digest."""

from __future__ import annotations

import base64
import hashlib
import re

from quotahit.accounts.tokens import hash_token, new_token

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def test_new_token_is_url_safe_and_carries_256_bits() -> None:
    raw, _digest = new_token()
    assert URL_SAFE.match(raw)
    assert len(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) == 32


def test_the_digest_is_the_sha256_of_the_raw_token() -> None:
    raw, digest = new_token()
    assert digest == hashlib.sha256(raw.encode()).hexdigest()
    assert digest == hash_token(raw)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert raw not in digest


def test_tokens_do_not_repeat() -> None:
    pairs = [new_token() for _ in range(500)]
    assert len({raw for raw, _ in pairs}) == 500
    assert len({digest for _, digest in pairs}) == 500


def test_hash_is_deterministic_and_sensitive_to_every_character() -> None:
    raw, digest = new_token()
    assert hash_token(raw) == digest
    assert hash_token(raw[:-1]) != digest
    assert hash_token(raw.swapcase()) != digest
    assert hash_token(raw + " ") != digest


def test_hash_accepts_any_text_a_client_could_send() -> None:
    # A forged token from a URL may hold anything, even a lone surrogate: no exception.
    for forged in ["", "ü", "\ud800", "a" * 10_000, "\x00"]:
        assert len(hash_token(forged)) == 64
