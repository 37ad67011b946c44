"""Secrets at rest and sealed tokens: AES-256-GCM under keys derived from one master key.

The master key is the operator's (``COGNITOIDENTITY_MASTER_KEY`` or a key file); the embedded default
generates one in the data directory, readable by its owner only. Each use gets its own subkey
(HKDF-SHA256 with a purpose label), so a ciphertext of one kind can never be opened as another.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cognitoidentity.server.settings import Settings

MASTER_KEY_BYTES = 32
NONCE_BYTES = 12


class SealError(Exception):
    """A sealed value was tampered with, truncated, or sealed under another key or purpose."""


class SecretBox:
    """Seals and opens byte strings with AES-256-GCM; ``aad`` binds a ciphertext to its context."""

    def __init__(self, key: bytes, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        if len(key) != 32:
            raise ValueError("AES-256 needs a 32-byte key")
        self._aead = AESGCM(key)
        self._random = random_bytes

    def seal(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        nonce = self._random(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, sealed: bytes, aad: bytes = b"") -> bytes:
        if len(sealed) < NONCE_BYTES + 16:
            raise SealError("sealed value too short")
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise SealError("sealed value does not verify") from exc


class MasterKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != MASTER_KEY_BYTES:
            raise ValueError(f"the master key must be {MASTER_KEY_BYTES} bytes")
        self._key = key

    def box(self, purpose: str, random_bytes: Callable[[int], bytes] = os.urandom) -> SecretBox:
        """A SecretBox whose key is derived from the master key for one ``purpose`` only; its
        nonces come from ``random_bytes`` (``os.urandom`` or a :class:`~.ids.RandomBytes`)."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        return SecretBox(hkdf.derive(self._key), random_bytes)

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        """Parse a base64 (standard or URL-safe) encoded key."""
        cleaned = text.strip()
        padded = cleaned + "=" * (-len(cleaned) % 4)
        try:
            raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except ValueError as exc:
            raise ValueError("the master key is not valid base64") from exc
        return cls(raw)

    @classmethod
    def load_or_create(cls, path: Path) -> MasterKey:
        """Read the key file, or create it (mode 0600) with a fresh random key."""
        if path.exists():
            return cls.from_text(path.read_text())
        path.parent.mkdir(parents=True, exist_ok=True)
        text = base64.urlsafe_b64encode(secrets.token_bytes(MASTER_KEY_BYTES)).decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text + "\n")
        return cls.from_text(text)


def load_master_key(settings: Settings) -> MasterKey:
    """The operator's key (``COGNITOIDENTITY_MASTER_KEY`` or ``--master-key-file``), else the data
    directory's ``master.key``, created on first start with owner-only permissions. Every process
    sharing a PostgreSQL store must be given the same key."""
    if settings.master_key:
        return MasterKey.from_text(settings.master_key)
    if settings.master_key_file is not None:
        return MasterKey.from_text(Path(settings.master_key_file).read_text())
    return MasterKey.load_or_create(settings.data_dir / "master.key")
