"""Accounts and their long-term access keys: creation, bootstrap of the first credentials, and the
credential resolver that SigV4 verification asks for a key's secret."""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.crypto import SealError, SecretBox
from cognitoidentity.server.sigv4 import ResolvedCredential
from cognitoidentity.server.store.base import AccessKey, Account, Store

ACCESS_KEY_PURPOSE = "access-key-secrets/v1"
ACCOUNT_ID_DIGITS = 12
ACCESS_KEYS_MAX = 10_000
"""Access keys a process keeps looked up (the oldest go first beyond it)."""
_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def new_account_id() -> str:
    """A random 12-digit account id that does not start with 0 (AWS's never print as shorter)."""
    return str(secrets.choice(range(1, 10))) + "".join(
        secrets.choice(string.digits) for _ in range(ACCOUNT_ID_DIGITS - 1)
    )


def new_access_key_id() -> str:
    return "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def valid_account_id(account_id: str) -> bool:
    return len(account_id) == ACCOUNT_ID_DIGITS and account_id.isdigit()


@dataclass(frozen=True, slots=True)
class IssuedKey:
    access_key_id: str
    secret_access_key: str
    account_id: str


class AccountAdmin:
    """What the ``cognitoidentity accounts`` / ``keys`` commands and the bootstrap do."""

    def __init__(self, store: Store, box: SecretBox, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._box = box
        self._clock = clock

    async def create_account(self, name: str, account_id: str | None = None) -> Account:
        if account_id is not None and not valid_account_id(account_id):
            raise ValueError(f"an account id has {ACCOUNT_ID_DIGITS} digits: {account_id!r}")
        while True:
            account = Account(account_id or new_account_id(), name, self._clock())
            if await self._store.create_account(account):
                return account
            if account_id is not None:
                raise ValueError(f"account {account_id} exists already")

    async def create_key(
        self, account_id: str, access_key_id: str | None = None, secret: str | None = None
    ) -> IssuedKey:
        if await self._store.get_account(account_id) is None:
            raise ValueError(f"no account {account_id}")
        key_id = access_key_id or new_access_key_id()
        secret = secret or new_secret_access_key()
        sealed = self._box.seal(secret.encode(), key_id.encode())
        await self._store.create_access_key(AccessKey(key_id, account_id, sealed, self._clock()))
        return IssuedKey(key_id, secret, account_id)

    def secret_of(self, key: AccessKey) -> str:
        return self._box.open(key.secret_ciphertext, key.access_key_id.encode()).decode()

    async def ensure_root(
        self, account_id: str, access_key_id: str | None, secret: str | None
    ) -> IssuedKey | None:
        """Make sure a fresh server has usable credentials.

        With ``access_key_id``/``secret`` given (environment), that key is made to exist in
        ``account_id``. Otherwise, on a store without any account, a root account and key are
        generated and returned once, for the caller to print. Returns a key only when generated."""
        if access_key_id and secret:
            if await self._store.get_account(account_id) is None:
                await self._store.create_account(Account(account_id, "root", self._clock()))
            existing = await self._store.get_access_key(access_key_id)
            if existing is not None:
                if existing.account_id == account_id and self.secret_of(existing) == secret:
                    return None
                await self._store.delete_access_key(access_key_id)
            try:
                await self.create_key(account_id, access_key_id, secret)
            except Exception:
                # Another process started at the same moment and created it; check it is there.
                if await self._store.get_access_key(access_key_id) is None:
                    raise
            return None  # the operator knows this secret already: never print it
        if await self._store.list_accounts():
            return None
        if not await self._store.create_account(Account(account_id, "root", self._clock())):
            return None
        return await self.create_key(account_id)


class AccessKeyResolver:
    """SigV4's credential lookup for long-term keys, with a short per-process cache.

    A key deleted through another process stops working within ``ttl`` seconds. ``caches`` False:
    every request looks its key up (the ``caches`` setting)."""

    def __init__(self, store: Store, box: SecretBox, ttl: float, *, caches: bool = True) -> None:
        self._store = store
        self._box = box
        # time.monotonic is looked up at each call: tests move the module's clock.
        self._keys: Cache[str, ResolvedCredential] = Cache(
            "access keys",
            rule=f"{ttl:g} s after the lookup (key_cache_seconds); unknown keys are not kept",
            max_entries=ACCESS_KEYS_MAX,
            ttl=ttl,
            clock=lambda: time.monotonic(),
            enabled=caches,
        )

    async def __call__(
        self, access_key_id: str, session_token: str | None
    ) -> ResolvedCredential | None:
        if session_token is not None:
            return None  # long-term keys carry no session token; a token here is invalid
        kept = self._keys.get(access_key_id)
        if kept is not None:
            return kept
        key = await self._store.get_access_key(access_key_id)
        if key is None:
            return None  # not kept: a key made a moment ago must work
        try:
            secret = self._box.open(key.secret_ciphertext, key.access_key_id.encode()).decode()
        except SealError:
            return None  # sealed under another master key: unusable here
        resolved = ResolvedCredential(
            secret_access_key=secret,
            account_id=key.account_id,
            principal_arn=f"arn:aws:iam::{key.account_id}:root",
        )
        self._keys.put(access_key_id, resolved)
        return resolved


def utc_now() -> datetime:
    return datetime.now(UTC)
