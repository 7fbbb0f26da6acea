"""AES-256-GCM sealing: round trips, binding to owner and provider, tampering, versions."""

from __future__ import annotations

import pytest

from quotahit.keys.crypto import Keyring, KeyringError, associated_data

AAD = associated_data(key_uid="abc", owner="user:1", provider="openai")
SECRET = "sk-test-0123456789abcdefghij"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.parse(Keyring.generate_entry(1))


def test_round_trip_with_a_fresh_nonce_each_time(keyring: Keyring) -> None:
    first, second = keyring.encrypt(SECRET, aad=AAD), keyring.encrypt(SECRET, aad=AAD)
    assert first != second
    assert first.startswith("v1.")
    assert SECRET not in first
    assert keyring.decrypt(first, aad=AAD) == keyring.decrypt(second, aad=AAD) == SECRET


@pytest.mark.parametrize(
    "other",
    [
        associated_data(key_uid="abd", owner="user:1", provider="openai"),
        associated_data(key_uid="abc", owner="user:2", provider="openai"),
        associated_data(key_uid="abc", owner="org:1", provider="openai"),
        associated_data(key_uid="abc", owner="user:1", provider="anthropic"),
    ],
)
def test_a_ciphertext_moved_elsewhere_does_not_open(keyring: Keyring, other: bytes) -> None:
    sealed = keyring.encrypt(SECRET, aad=AAD)
    with pytest.raises(KeyringError, match="tampered or moved"):
        keyring.decrypt(sealed, aad=other)


def test_tampering_is_detected(keyring: Keyring) -> None:
    version, nonce, body = keyring.encrypt(SECRET, aad=AAD).split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(KeyringError):
        keyring.decrypt(f"{version}.{nonce}.{flipped}", aad=AAD)


def test_old_versions_open_and_the_newest_seals() -> None:
    first_entry = Keyring.generate_entry(1)
    sealed_by_old = Keyring.parse(first_entry).encrypt(SECRET, aad=AAD)
    both = Keyring.parse(f"{first_entry}, {Keyring.generate_entry(2)}")
    assert both.newest == 2
    assert both.decrypt(sealed_by_old, aad=AAD) == SECRET
    assert both.encrypt(SECRET, aad=AAD).startswith("v2.")
    only_new = Keyring({2: both.keys[2]})
    with pytest.raises(KeyringError, match="version 1 is no longer configured"):
        only_new.decrypt(sealed_by_old, aad=AAD)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("1:c2hvcnQ", "32 bytes"),
        ("x:" + "A" * 43, "version:base64"),
        ("0:" + "A" * 43, "positive"),
        ("1:" + "A" * 43 + ",1:" + "B" * 43, "twice"),
    ],
)
def test_malformed_keyrings_are_refused(value: str, reason: str) -> None:
    with pytest.raises(KeyringError, match=reason):
        Keyring.parse(value)


@pytest.mark.parametrize("blob", ["plaintext", "v1.only-two", "vX.a.b", "1.a.b"])
def test_foreign_strings_are_not_ciphertexts(keyring: Keyring, blob: str) -> None:
    with pytest.raises(KeyringError):
        keyring.decrypt(blob, aad=AAD)
