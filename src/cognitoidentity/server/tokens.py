"""Our OpenID tokens: the keys that sign them, the issuer, their verification, discovery documents.

What Cognito Identity issues (GetOpenIdToken, GetOpenIdTokenForDeveloperIdentity) is a JWS in compact
serialization with the header ``{"kid": ..., "typ": "JWS", "alg": "RS512"}``, an RSA-2048 signature
and the claims ``sub`` (identity id), ``aud`` (pool id), ``amr``, ``iss``, ``exp``, ``iat``, in that
order, then the principal tags under ``https://aws.amazon.com/tags``.

Keys live in the store, so every server process signs with, and publishes, the same set. Their ids are
RFC 7638 thumbprints. Each private key is sealed with the master key (purpose
:data:`SIGNING_KEY_PURPOSE`), bound to its ``kid``. A process caches the set and re-reads it every
:data:`REFRESH_SECONDS`, at once (at most every :data:`FORCED_REFRESH_SECONDS`) when it meets an
unknown ``kid``, and for the JWKS page at most :data:`FORCED_REFRESH_SECONDS` after a change, so a
rotation made by another process is published everywhere within about a second and used for signing
within :data:`REFRESH_SECONDS`. A retired key stays published for :data:`RETENTION` after its
retirement, which outlasts every token it signed, and is then deleted.

Errors of :meth:`OpenIdTokenIssuer.verify`::

    TokenError                  code      STS error
    ├── TokenInvalid            invalid   InvalidIdentityToken (format, alg, kid, signature, claims)
    ├── TokenIssuerMismatch     issuer    InvalidIdentityToken
    └── TokenExpired            expired   ExpiredTokenException
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import RSAKey

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.crypto import SealError, SecretBox
from cognitoidentity.server.store.base import SigningKeyRecord, Store

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "CLOCK_SKEW",
    "FORCED_REFRESH_SECONDS",
    "JWKS_JSON_PATH",
    "JWKS_PATH",
    "MAX_TOKEN_BYTES",
    "MAX_TOKEN_LIFETIME",
    "OPENID_CONFIGURATION_PATH",
    "REFRESH_SECONDS",
    "RETENTION",
    "SIGNING_ALGORITHM",
    "SIGNING_KEY_PURPOSE",
    "TAGS_CLAIM",
    "OpenIdTokenIssuer",
    "SigningKey",
    "SigningKeys",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenIssuerMismatch",
    "VerifiedToken",
    "jwks_uri",
    "new_signing_key",
    "openid_configuration",
]

SIGNING_KEY_PURPOSE = "openid-signing-keys/v1"
"""The master-key subkey that seals signing private keys (``MasterKey.box(...)``)."""
SIGNING_ALGORITHM = "RS512"
ACCEPTED_ALGORITHMS = ("RS512",)
"""What :meth:`OpenIdTokenIssuer.verify` accepts: our own tokens are RS512 only and our JWKs say
``"alg": "RS512"``, so every other ``alg`` (``none``, ``HS*``, other RSA digests) is refused."""
RSA_KEY_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537
MAX_TOKEN_LIFETIME = timedelta(seconds=86400)
"""The longest lifetime of a token: GetOpenIdTokenForDeveloperIdentity's ``TokenDuration`` maximum."""
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future ``iat`` / ``nbf`` may lie. ``exp`` gets no leeway: our tokens are checked
against the clock of the servers that issued them."""
REFRESH_SECONDS = 30.0
"""How long a process trusts its cached key set before re-reading it from the store."""
FORCED_REFRESH_SECONDS = 1.0
"""Least time between two re-reads forced by an unknown ``kid`` or by a JWKS request."""
OPENED_KEYS_MAX = 16
"""Opened private keys kept (the current one, and a few before it; the oldest go first)."""
RETENTION = MAX_TOKEN_LIFETIME + CLOCK_SKEW + timedelta(seconds=REFRESH_SECONDS)
"""How long a retired key stays published: another process may sign with it for up to
:data:`REFRESH_SECONDS` after the rotation, and its tokens live up to :data:`MAX_TOKEN_LIFETIME`."""
MAX_TOKEN_BYTES = 16_384
"""Longest token :meth:`OpenIdTokenIssuer.verify` reads."""
TAGS_CLAIM = "https://aws.amazon.com/tags"
_RESERVED_CLAIMS = frozenset({"sub", "aud", "amr", "iss", "exp", "iat", TAGS_CLAIM})
_PKCS1V15 = padding.PKCS1v15()
_SHA512 = hashes.SHA512()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# -- errors ---------------------------------------------------------------------------------------


class TokenError(Exception):
    """A token we were asked to verify is not one of ours, or no longer valid. ``str(error)`` is a
    message fit for the client."""

    code = "token"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenInvalid(TokenError):
    """Not a well-formed JWS, an algorithm we do not accept, an unknown key id, a signature that
    does not verify, or missing or malformed claims."""

    code = "invalid"


class TokenIssuerMismatch(TokenError):
    """Well signed, but ``iss`` is not this server's issuer URL."""

    code = "issuer"


class TokenExpired(TokenError):
    """RFC 7519 §4.1.4: "the current date/time MUST be before the expiration date/time"."""

    code = "expired"

    def __init__(self, now: int, expires: int) -> None:
        super().__init__(
            f"Token expired: current date/time {now} must be before the expiration date/time"
            f" {expires}"
        )
        self.now = now
        self.expires = expires


# -- keys -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The current key, ready to sign: the private key is parsed and the header encoded once."""

    kid: str
    private_key: rsa.RSAPrivateKey
    header_segment: bytes

    @classmethod
    def of(cls, kid: str, private_key: rsa.RSAPrivateKey) -> SigningKey:
        header = {"kid": kid, "typ": "JWS", "alg": SIGNING_ALGORITHM}
        return cls(kid, private_key, _b64encode(orjson.dumps(header)))

    def sign(self, payload: bytes) -> str:
        """RFC 7515 §7.1 compact serialization of ``payload`` with RSASSA-PKCS1-v1_5 + SHA-512."""
        signing_input = self.header_segment + b"." + _b64encode(payload)
        signature = self.private_key.sign(signing_input, _PKCS1V15, _SHA512)
        return (signing_input + b"." + _b64encode(signature)).decode("ascii")


@dataclass(frozen=True, slots=True)
class _PublishedKey:
    record: SigningKeyRecord
    public_key: RSAKey


@dataclass(frozen=True, slots=True)
class _KeySet:
    """One immutable snapshot of the store's keys, swapped whole on every re-read."""

    keys: dict[str, _PublishedKey]
    current: SigningKey | None
    loaded_at: float


def new_signing_key(box: SecretBox, created_at: datetime) -> tuple[SigningKeyRecord, SigningKey]:
    """A fresh RSA-2048 key: its record (private key sealed, public JWK) and its signer."""
    private_key = rsa.generate_private_key(
        public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_BITS
    )
    public_key = RSAKey.import_key(private_key.public_key())
    public = public_key.as_dict()
    kid = public_key.thumbprint()  # RFC 7638: SHA-256 of the required members {e, kty, n}
    jwk = {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": SIGNING_ALGORITHM,
        "n": public["n"],
        "e": public["e"],
    }
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    record = SigningKeyRecord(kid, box.seal(pem, kid.encode()), jwk, created_at)
    return record, SigningKey.of(kid, private_key)


class SigningKeys:
    """The store's signing keys as this process sees them (see the module docstring for how the
    cache follows the store). ``clock`` gives the time of records and tokens; ``monotonic`` times
    the cache. ``caches`` False: the set is read, and the current key opened, at every use (the
    ``caches`` setting)."""

    def __init__(
        self,
        store: Store,
        box: SecretBox,
        *,
        clock: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        refresh_seconds: float = REFRESH_SECONDS,
        caches: bool = True,
    ) -> None:
        self._store = store
        self._box = box
        self._clock = clock
        self._monotonic = monotonic
        self._refresh_seconds = refresh_seconds
        self._sets: Cache[str, _KeySet] = Cache(
            "signing key set",
            rule=f"{refresh_seconds:g} s after the read; read again sooner for an unknown kid (at"
            f" most once per {FORCED_REFRESH_SECONDS:g} s) and for the JWKS page (when older than"
            f" {FORCED_REFRESH_SECONDS:g} s)",
            max_entries=1,
            ttl=refresh_seconds,
            clock=monotonic,
            enabled=caches,
        )
        # Opening a sealed private key takes tens of milliseconds.
        self._opened: Cache[str, SigningKey] = Cache(
            "opened signing keys",
            rule="never stale: a kid is its key's RFC 7638 thumbprint, so it names one key",
            max_entries=OPENED_KEYS_MAX,
            enabled=caches,
        )
        self._has_current = False
        self._lock = asyncio.Lock()
        self._last_forced = -math.inf
        self._warm_up: asyncio.Task[SigningKey] | None = None

    def warm_up(self) -> None:
        """Make sure a key exists, in the background: RSA generation takes a while, and a server
        should answer at once rather than wait for it."""
        if self._warm_up is None:
            self._warm_up = asyncio.get_running_loop().create_task(self.current())

    @property
    def loaded(self) -> bool:
        """Whether this process has seen a key to sign with (``/ready`` waits for the first one)."""
        return self._has_current

    async def aclose(self) -> None:
        """Stop a :meth:`warm_up` still running (the store is about to close)."""
        task, self._warm_up = self._warm_up, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def current(self) -> SigningKey:
        """The key to sign with; on first use, with none in the store, one is made. Of several
        processes making the first key at once, one wins and all sign with its key."""
        keyset = await self._fresh(self._refresh_seconds)
        if keyset.current is not None:
            return keyset.current
        async with self._lock:
            keyset = await self._load()
            if keyset.current is None:
                record, signer = await asyncio.to_thread(new_signing_key, self._box, self._clock())
                if await self._store.create_signing_key(record):
                    self._opened.put(record.kid, signer)
                    keyset = _KeySet(
                        {**keyset.keys, record.kid: _published(record)}, signer, self._monotonic()
                    )
                    self._keep(keyset)
                else:  # another process made it first
                    keyset = await self._load()
        if keyset.current is None:
            raise RuntimeError("no current signing key in the store")
        return keyset.current

    async def jwks(self) -> dict[str, Any]:
        """RFC 7517 §5 key set: the current key, then retired keys still within their retention."""
        await self.current()  # a fresh store has no key until the first one is made
        keyset = await self._fresh(FORCED_REFRESH_SECONDS)
        now = self._clock()
        return {
            "keys": [
                dict(k.record.public_jwk) for k in keyset.keys.values() if _alive(k.record, now)
            ]
        }

    async def public_key(self, kid: str) -> RSAKey | None:
        """The published key ``kid``, or None. An unknown ``kid`` makes the set re-read at once
        (at most every :data:`FORCED_REFRESH_SECONDS`): it may come from a rotation elsewhere."""
        keyset = await self._fresh(self._refresh_seconds)
        found = keyset.keys.get(kid)
        if found is None and self._monotonic() - self._last_forced >= FORCED_REFRESH_SECONDS:
            self._last_forced = self._monotonic()
            keyset = await self._fresh(0.0)
            found = keyset.keys.get(kid)
        if found is None or not _alive(found.record, self._clock()):
            return None
        return found.public_key

    async def rotate(self) -> str:
        """Retire the current key (published for :data:`RETENTION` more), make a new current key
        and return its ``kid``. Other processes sign with it within :data:`REFRESH_SECONDS`."""
        now = self._clock()
        record, _ = await asyncio.to_thread(new_signing_key, self._box, now)
        await self._store.rotate_signing_key(record, retired_at=now, delete_after=now + RETENTION)
        async with self._lock:
            await self._load()
        return record.kid

    async def _fresh(self, max_age: float) -> _KeySet:
        """The cached set if younger than ``max_age`` seconds, else a fresh one (one re-read at a
        time; those waiting for it use its result)."""
        keyset = self._sets.get(_KEY_SET)
        if keyset is not None and self._monotonic() - keyset.loaded_at < max_age:
            return keyset
        async with self._lock:
            keyset = self._sets.get(_KEY_SET)
            if keyset is not None and self._monotonic() - keyset.loaded_at < max_age:
                return keyset
            return await self._load()

    async def _load(self) -> _KeySet:
        """Re-read the store (the caller holds the lock); purge keys past their retention."""
        now = self._clock()
        records = await self._store.list_signing_keys()
        if any(not _alive(r, now) for r in records):
            await self._store.purge_signing_keys(now)
            records = [r for r in records if _alive(r, now)]
        keys: dict[str, _PublishedKey] = {}
        current: SigningKey | None = None
        for record in records:
            keys[record.kid] = _published(record)
            if record.retired_at is None:
                current = self._opened.get(record.kid)
                if current is None:
                    current = self._open(record)
                    self._opened.put(record.kid, current)
        keyset = _KeySet(keys, current, self._monotonic())
        self._keep(keyset)
        return keyset

    def _keep(self, keyset: _KeySet) -> None:
        self._sets.put(_KEY_SET, keyset)
        if keyset.current is not None:
            # For good: a rotation replaces the current key, never leaves the store without one.
            self._has_current = True

    def _open(self, record: SigningKeyRecord) -> SigningKey:
        try:
            pem = self._box.open(record.private_key_ciphertext, record.kid.encode())
        except SealError as exc:
            raise RuntimeError(
                f"signing key {record.kid} does not open with this master key: every server"
                " process sharing a store must be given the same master key"
            ) from exc
        private_key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise RuntimeError(f"signing key {record.kid} is not an RSA key")
        return SigningKey.of(record.kid, private_key)


_KEY_SET = "keys"
"""The one key of the key-set cache."""


def _published(record: SigningKeyRecord) -> _PublishedKey:
    return _PublishedKey(record, RSAKey.import_key(dict(record.public_jwk)))


def _alive(record: SigningKeyRecord, now: datetime) -> bool:
    return record.delete_after is None or record.delete_after > now


# -- issuing and verifying --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token of ours that verified: its claims, and the ones an STS needs, typed."""

    kid: str
    identity_id: str
    pool_id: str
    amr: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    principal_tags: dict[str, str] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)


class OpenIdTokenIssuer:
    """Issues and verifies the OpenID tokens of this server, whose ``iss`` is ``issuer_url``."""

    def __init__(
        self,
        keys: SigningKeys,
        issuer_url: str,
        clock: Callable[[], datetime] = _utc_now,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.keys = keys
        self.issuer_url = issuer_url
        self._clock = clock
        self._metrics = metrics
        self._registry = jws.JWSRegistry(algorithms=ACCEPTED_ALGORITHMS)

    async def issue(
        self,
        *,
        identity_id: str,
        pool_id: str,
        amr: Sequence[str],
        lifetime: timedelta,
        principal_tags: Mapping[str, str] | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed token for ``identity_id`` of ``pool_id``, valid for ``lifetime`` (whole seconds,
        1 s to :data:`MAX_TOKEN_LIFETIME`). Principal tags, when there are any, go under
        :data:`TAGS_CLAIM` as ``{"principal_tags": {key: [value]}}`` (list values, as Cognito
        writes them); ``extra_claims`` follow and may not replace any of the claims above."""
        seconds = int(lifetime.total_seconds())
        if not 1 <= seconds <= MAX_TOKEN_LIFETIME.total_seconds():
            raise ValueError(f"token lifetime must be 1 to 86400 seconds, not {seconds}")
        key = await self.keys.current()
        issued_at = int(self._clock().timestamp())
        claims: dict[str, Any] = {
            "sub": identity_id,
            "aud": pool_id,
            "amr": list(amr),
            "iss": self.issuer_url,
            "exp": issued_at + seconds,
            "iat": issued_at,
        }
        if principal_tags:
            claims[TAGS_CLAIM] = {"principal_tags": {k: [v] for k, v in principal_tags.items()}}
        if extra_claims:
            clash = _RESERVED_CLAIMS.intersection(extra_claims)
            if clash:
                raise ValueError(f"extra claims may not replace {sorted(clash)}")
            claims.update(extra_claims)
        token = key.sign(orjson.dumps(claims))
        if self._metrics is not None:
            self._metrics.token_issued()
        return token

    async def verify(self, token: str, *, now: datetime | None = None) -> VerifiedToken:
        """Check that ``token`` is one of ours and still valid; raise a :class:`TokenError` if not.

        Checked in order: the compact form and size; ``alg`` in :data:`ACCEPTED_ALGORITHMS`; ``kid``
        published; the signature (joserfc); ``iss``; the claims' types; ``exp`` strictly after now
        (no leeway); ``iat`` and ``nbf`` at most :data:`CLOCK_SKEW` in the future."""
        if len(token) > MAX_TOKEN_BYTES:
            raise TokenInvalid(f"Invalid token: longer than {MAX_TOKEN_BYTES} bytes")
        parts = token.split(".")
        if len(parts) != 3 or not all(parts):
            raise TokenInvalid("Invalid token: not a JWS compact serialization")
        try:
            header = orjson.loads(_b64decode(parts[0]))
        except (ValueError, binascii.Error) as exc:
            raise TokenInvalid("Invalid token: the header is not base64url JSON") from exc
        if not isinstance(header, dict):
            raise TokenInvalid("Invalid token: the header is not a JSON object")
        alg = header.get("alg")
        if alg not in ACCEPTED_ALGORITHMS:
            raise TokenInvalid(f"Invalid token: algorithm {alg!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenInvalid("Invalid token: no key id (kid)")
        key = await self.keys.public_key(kid)
        if key is None:
            raise TokenInvalid(f"Invalid token: unknown key id {kid!r}")
        try:
            signed = jws.deserialize_compact(token, key, registry=self._registry)
        except BadSignatureError as exc:
            raise TokenInvalid("Invalid token: the signature does not verify") from exc
        except JoseError as exc:
            raise TokenInvalid(f"Invalid token: {exc.description or exc.error}") from exc
        try:
            claims = orjson.loads(signed.payload)
        except ValueError as exc:
            raise TokenInvalid("Invalid token: the payload is not JSON") from exc
        if not isinstance(claims, dict):
            raise TokenInvalid("Invalid token: the payload is not a JSON object")
        issuer = claims.get("iss")
        if issuer != self.issuer_url:
            raise TokenIssuerMismatch(
                f"No OpenIDConnect provider found in your account for {issuer}"
            )
        result = _typed(kid, claims)
        moment = (now or self._clock()).timestamp()
        expires = claims["exp"]
        if moment >= expires:
            raise TokenExpired(int(moment), expires)
        horizon = moment + CLOCK_SKEW.total_seconds()
        for name in ("iat", "nbf"):
            value = claims.get(name)
            if value is not None and value > horizon:
                raise TokenInvalid(f"Invalid token: {name} {value} is in the future")
        return result


def _typed(kid: str, claims: dict[str, Any]) -> VerifiedToken:
    for name in ("sub", "aud"):
        if not isinstance(claims.get(name), str):
            raise TokenInvalid(f"Invalid token: claim {name!r} is missing or not a string")
    for name in ("exp", "iat"):
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TokenInvalid(f"Invalid token: claim {name!r} is missing or not an integer")
    nbf = claims.get("nbf")
    if nbf is not None and (isinstance(nbf, bool) or not isinstance(nbf, int | float)):
        raise TokenInvalid("Invalid token: claim 'nbf' is not a number")
    amr = claims.get("amr", [])
    if not isinstance(amr, list) or not all(isinstance(a, str) for a in amr):
        raise TokenInvalid("Invalid token: claim 'amr' is not a list of strings")
    tags: dict[str, str] = {}
    tag_claim = claims.get(TAGS_CLAIM)
    if tag_claim is not None:
        principal = tag_claim.get("principal_tags") if isinstance(tag_claim, dict) else None
        if not isinstance(principal, dict):
            raise TokenInvalid(f"Invalid token: claim {TAGS_CLAIM!r} has no principal_tags")
        for key, values in principal.items():
            if not (isinstance(values, list) and len(values) == 1 and isinstance(values[0], str)):
                raise TokenInvalid(f'Invalid token: principal tag {key!r} is not ["value"]')
            tags[key] = values[0]
    return VerifiedToken(
        kid=kid,
        identity_id=claims["sub"],
        pool_id=claims["aud"],
        amr=tuple(amr),
        issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        principal_tags=tags,
        claims=claims,
    )


# -- discovery ------------------------------------------------------------------------------------

OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks_uri"
"""Where Cognito Identity publishes its keys (``https://cognito-identity.amazonaws.com`` + this)."""
JWKS_JSON_PATH = "/.well-known/jwks.json"
"""The usual name elsewhere, served too."""


def jwks_uri(issuer_url: str) -> str:
    return issuer_url.rstrip("/") + JWKS_PATH


def openid_configuration(issuer_url: str) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3 metadata for our tokens: enough for a relying party (an STS,
    an API gateway's JWT authorizer) to find the keys. There is no authorization endpoint: tokens
    come from the Cognito Identity API."""
    return {
        "issuer": issuer_url,
        "jwks_uri": jwks_uri(issuer_url),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
        "claims_supported": ["sub", "aud", "amr", "iss", "exp", "iat"],
    }
