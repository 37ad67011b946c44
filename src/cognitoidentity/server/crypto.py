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


class EpochBox:
    """Seals short-lived values (session tokens) under a key derived anew for each epoch.

    AES-GCM with random 96-bit nonces is safe for at most 2^32 messages under one key (NIST SP
    800-38D, 8.3); a busy server issuing credentials would pass that in days under a single
    derived key. Here each epoch (an hour) has its own key, HKDF(master, "<purpose>/<epoch>"): at
    5,000 credentials a second an hour's key seals 18 million values, 0.4 % of the bound.

    Layout: ``0x02``, the epoch (4 bytes, big-endian), the nonce (12 bytes), ciphertext and tag;
    the version and epoch are authenticated with the caller's ``aad``. Only epochs from
    ``max_age`` ago to one epoch ahead (clock skew between processes) are opened, so a forged
    header never makes a process derive or keep a key it has no use for. Derived keys are kept in
    a small cache of the epochs seen last; its rule: an epoch too old to open is dropped."""

    VERSION = 2
    HEADER = 5

    def __init__(
        self,
        master: MasterKey,
        purpose: str,
        *,
        epoch_seconds: int = 3600,
        max_age_seconds: int,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._master = master
        self._purpose = purpose
        self._epoch_seconds = epoch_seconds
        self._max_age_epochs = -(-max_age_seconds // epoch_seconds) + 1
        self._random = random_bytes
        self._keys: dict[int, AESGCM] = {}
        self._sealing: tuple[int, bytes, AESGCM] | None = None
        """The epoch sealed in last, its header and its key: one look for every seal."""

    def _aead(self, epoch: int, now_epoch: int) -> AESGCM:
        aead = self._keys.get(epoch)
        if aead is None:
            aead = AESGCM(self._master.derive(f"{self._purpose}/{epoch}"))
            self._keys = {
                e: k for e, k in self._keys.items() if e >= now_epoch - self._max_age_epochs
            }
            self._keys[epoch] = aead
        return aead

    def seal(self, plaintext: bytes, aad: bytes, now: float, nonce: bytes | None = None) -> bytes:
        """``plaintext`` sealed in the epoch of ``now``, bound to ``aad``; ``nonce``: 12 bytes
        the caller took from the box's source of random bytes with others (None: taken here)."""
        epoch = int(now) // self._epoch_seconds
        sealing = self._sealing
        if sealing is None or sealing[0] != epoch:
            header = bytes([self.VERSION]) + epoch.to_bytes(4, "big")
            sealing = self._sealing = (epoch, header, self._aead(epoch, epoch))
        _, header, aead = sealing
        if nonce is None:
            nonce = self._random(NONCE_BYTES)
        elif len(nonce) != NONCE_BYTES:
            raise ValueError(f"a nonce is {NONCE_BYTES} bytes")
        return header + nonce + aead.encrypt(nonce, plaintext, header + aad)

    def opening_span(self, sealed: bytes) -> tuple[float, float]:
        """The span of the clock (epoch seconds, the first included, the second not) in which
        :meth:`open` accepts ``sealed``'s epoch: from one epoch before it (clock skew between
        processes) to the end of the last epoch ``max_age`` allows. For a value :meth:`open`
        opened."""
        epoch = int.from_bytes(sealed[1 : self.HEADER], "big")
        length = self._epoch_seconds
        return (epoch - 1) * length, (epoch + self._max_age_epochs + 1) * length

    def open(self, sealed: bytes, aad: bytes, now: float) -> bytes:
        if len(sealed) < self.HEADER + NONCE_BYTES + 16 or sealed[0] != self.VERSION:
            raise SealError("sealed value too short or of another version")
        epoch = int.from_bytes(sealed[1 : self.HEADER], "big")
        now_epoch = int(now) // self._epoch_seconds
        if not now_epoch - self._max_age_epochs <= epoch <= now_epoch + 1:
            raise SealError("sealed value of an epoch out of range")
        header, nonce = sealed[: self.HEADER], sealed[self.HEADER : self.HEADER + NONCE_BYTES]
        try:
            return self._aead(epoch, now_epoch).decrypt(
                nonce, sealed[self.HEADER + NONCE_BYTES :], header + aad
            )
        except InvalidTag as exc:
            raise SealError("sealed value does not verify") from exc


class MasterKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != MASTER_KEY_BYTES:
            raise ValueError(f"the master key must be {MASTER_KEY_BYTES} bytes")
        self._key = key

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for one ``purpose`` only (HKDF-SHA256 with the purpose as its info)."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        return hkdf.derive(self._key)

    def box(self, purpose: str, random_bytes: Callable[[int], bytes] = os.urandom) -> SecretBox:
        """A SecretBox whose key is derived from the master key for one ``purpose`` only; its
        nonces come from ``random_bytes`` (``os.urandom`` or a :class:`~.ids.RandomBytes`)."""
        return SecretBox(self.derive(purpose), random_bytes)

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
