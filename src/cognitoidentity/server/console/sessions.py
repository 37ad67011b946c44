"""Sign-in sessions: a sealed cookie, so any server process (``--workers N``, several machines on
one PostgreSQL store with the same master key) opens it without a session table.

The cookie seals, with AES-256-GCM under a key derived from the master key for this purpose
alone (:meth:`~..crypto.MasterKey.box`): the account, the access key signed in with, a
fingerprint of that key's secret (an HMAC under another derived key), the expiry and the
session's CSRF token (:mod:`.csrf`). Nobody without the master key can read or forge one.

- **Lifetime**: :data:`SESSION_LIFETIME` from sign-in, not extended by use (the expiry is sealed);
  then the console asks to sign in again.
- **Revocation**: every request looks the access key up as SigV4 does (the same resolver and its
  ``key_cache_seconds`` cache) and checks the secret's fingerprint: deleting the key, or giving it
  another secret, ends its sessions within ``key_cache_seconds``.
- **Sign-out** deletes the cookie in the browser. **Choice**: with no session table, a copy of
  the cookie taken before sign-out stays valid until it expires or its key is deleted.
- Before sign-in, the sign-in form has an anonymous session of its own (no account, a CSRF
  token) for :data:`SIGN_IN_LIFETIME`; signing in replaces it with a new session and a new token.

Cookie attributes: ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page
sends it), ``Path=/console``, ``Max-Age`` the session's remaining life, and ``Secure`` when the
browser came over HTTPS (see :func:`.app.is_secure`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import orjson

from cognitoidentity.server.crypto import MasterKey, SealError

SESSION_COOKIE: Final = "cognitoidentity_console"
SESSION_LIFETIME: Final = timedelta(hours=8)
SIGN_IN_LIFETIME: Final = timedelta(hours=1)
SESSION_PURPOSE: Final = "console-sessions/v1"
FINGERPRINT_PURPOSE: Final = "console-key-fingerprints/v1"
COOKIE_PATH: Final = "/console"
MAX_COOKIE_CHARS: Final = 2048
"""A session cookie is about 300 characters; anything far longer is not one of ours."""
_AAD: Final = b"console-session/v1"


@dataclass(frozen=True, slots=True)
class Session:
    account_id: str
    """The signed-in account; ``""`` for the sign-in form's anonymous session."""
    access_key_id: str
    key_fingerprint: str
    expires: int
    """Epoch seconds."""
    csrf_token: str

    @property
    def signed_in(self) -> bool:
        return bool(self.account_id)


class SessionSealer:
    """Makes, seals and opens sessions; ``clock`` is the runtime's (tests move it)."""

    def __init__(self, master: MasterKey, clock: Callable[[], datetime]) -> None:
        self._box = master.box(SESSION_PURPOSE)
        self._fingerprint_key = master.derive(FINGERPRINT_PURPOSE)
        self._clock = clock

    def now(self) -> int:
        return int(self._clock().timestamp())

    def anonymous(self) -> Session:
        expires = self.now() + int(SIGN_IN_LIFETIME.total_seconds())
        return Session("", "", "", expires, secrets.token_urlsafe(32))

    def signed_in(self, account_id: str, access_key_id: str, secret: str) -> Session:
        expires = self.now() + int(SESSION_LIFETIME.total_seconds())
        fingerprint = self.fingerprint(secret)
        return Session(account_id, access_key_id, fingerprint, expires, secrets.token_urlsafe(32))

    def fingerprint(self, secret: str) -> str:
        """Tells secrets apart without holding one: a new secret for the key ends its sessions."""
        return hmac.digest(self._fingerprint_key, secret.encode(), "sha256")[:16].hex()

    def seal(self, session: Session) -> str:
        payload = orjson.dumps(
            [
                session.account_id,
                session.access_key_id,
                session.key_fingerprint,
                session.expires,
                session.csrf_token,
            ]
        )
        return base64.urlsafe_b64encode(self._box.seal(payload, _AAD)).decode().rstrip("=")

    def open(self, cookie: str | None) -> Session | None:
        """The session the cookie seals, or None: missing, tampered with, sealed under another
        master key, or expired."""
        if not cookie or len(cookie) > MAX_COOKIE_CHARS:
            return None
        try:
            sealed = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            fields = orjson.loads(self._box.open(sealed, _AAD))
            session = Session(*fields)
        except (binascii.Error, ValueError, SealError, TypeError):
            return None
        if not isinstance(session.expires, int) or session.expires <= self.now():
            return None
        return session

    def set_cookie(self, session: Session, *, secure: bool) -> tuple[bytes, bytes]:
        max_age = max(session.expires - self.now(), 0)
        return _cookie(f"{SESSION_COOKIE}={self.seal(session)}", max_age, secure)

    def clear_cookie(self, *, secure: bool) -> tuple[bytes, bytes]:
        return _cookie(f"{SESSION_COOKIE}=", 0, secure)


def _cookie(pair: str, max_age: int, secure: bool) -> tuple[bytes, bytes]:
    value = f"{pair}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict"
    if secure:
        value += "; Secure"
    return b"set-cookie", value.encode()
