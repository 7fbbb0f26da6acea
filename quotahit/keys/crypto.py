"""AES-256-GCM encryption of provider keys under a versioned keyring.

Each ciphertext carries the keyring version that sealed it, a random 96-bit nonce, and is bound by
associated data to its key id, owner and provider, so a ciphertext copied to another row, owner or
provider fails to decrypt (DESIGN.md, Keys; ASVS 11.3.2-11.3.4).
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32


class KeyringError(RuntimeError):
    """The keyring is malformed, or a ciphertext cannot be opened with it."""


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode())


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def associated_data(*, key_uid: str, owner: str, provider: str) -> bytes:
    """What a ciphertext is bound to: moving it anywhere else makes it undecryptable."""
    return f"quotahit-provider-key|{key_uid}|{owner}|{provider}".encode()


@dataclass(frozen=True)
class Keyring:
    """Encryption keys by version; the newest seals, every listed version still opens."""

    keys: dict[int, bytes]

    @classmethod
    def parse(cls, value: str) -> Keyring:
        """Read `version:base64url(32 bytes)` entries separated by commas."""
        keys: dict[int, bytes] = {}
        for entry in filter(None, (part.strip() for part in value.split(","))):
            version_text, _, encoded = entry.partition(":")
            try:
                version = int(version_text)
                key = _b64decode(encoded)
            except (ValueError, binascii.Error) as error:
                raise KeyringError(
                    f"keyring entry {version_text!r} is not version:base64"
                ) from error
            if len(key) != KEY_BYTES or version < 1:
                raise KeyringError(
                    f"keyring entry {version} must be a positive version and 32 bytes"
                )
            if version in keys:
                raise KeyringError(f"keyring version {version} appears twice")
            keys[version] = key
        if not keys:
            raise KeyringError("the keyring is empty")
        return cls(keys)

    @staticmethod
    def generate_entry(version: int) -> str:
        """A new `version:key` entry to append to QUOTAHIT_ENCRYPTION_KEYS when rotating."""
        return f"{version}:{_b64encode(os.urandom(KEY_BYTES))}"

    @property
    def newest(self) -> int:
        """The version new ciphertexts are sealed with."""
        return max(self.keys)

    def encrypt(self, plaintext: str, *, aad: bytes) -> str:
        """Seal with the newest key: `v<version>.<nonce>.<ciphertext+tag>`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.newest]).encrypt(nonce, plaintext.encode(), aad)
        return f"v{self.newest}.{_b64encode(nonce)}.{_b64encode(sealed)}"

    def decrypt(self, blob: str, *, aad: bytes) -> str:
        """Open a ciphertext sealed by any version still in the keyring."""
        version = self.version_of(blob)
        if version not in self.keys:
            raise KeyringError(f"keyring version {version} is no longer configured")
        _, nonce_text, sealed_text = blob.split(".")
        try:
            opened = AESGCM(self.keys[version]).decrypt(
                _b64decode(nonce_text), _b64decode(sealed_text), aad
            )
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise KeyringError("the stored key cannot be decrypted (tampered or moved)") from error
        return opened.decode()

    @staticmethod
    def version_of(blob: str) -> int:
        """The keyring version a ciphertext was sealed with."""
        prefix = blob.split(".", 1)[0]
        if not prefix.startswith("v") or blob.count(".") != 2:
            raise KeyringError("not a QuotaHit ciphertext")
        try:
            return int(prefix[1:])
        except ValueError as error:
            raise KeyringError("not a QuotaHit ciphertext") from error
