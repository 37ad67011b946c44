"""OpenID Connect ID tokens: generic IAM OIDC providers, Google, Sign in with Apple, user pools.

Checks, in order (the order decides which message a token with several faults gets):

1. The value is a JWS compact serialization with a JSON header and payload. Else: "Invalid login
   token. Not a Cognito token." for a user pool, "Invalid login token. Not a valid OpenId Connect
   identity token." for the others (what AWS answers for a Google access token).
2. ``iss`` is the expected issuer: ``https://`` + the ``Logins`` key for a user pool, the IAM
   provider's URL for OIDC, ``https://accounts.google.com`` (or ``accounts.google.com``, which
   Google also issues) and ``https://appleid.apple.com``. Else "Invalid login token. Issuer doesn't
   match providerName".
3. The signature: ``alg`` in :data:`ALLOWED_ALGORITHMS` (RS256/384/512, ES256/384/512; ``none``,
   ``HS*``, ``PS*`` and ``EdDSA`` are refused), a JWKS key of the matching type (RSA, or EC on the
   algorithm's curve; a key whose own ``alg`` differs, or whose ``use`` is not ``sig``, is never
   used) selected by ``kid``. Else "Invalid login token. Couldn't verify signed token.".
4. ``aud`` present ("Invalid login token. Missing a required claim: aud", AWS's answer to a user
   pool access token), then for a user pool ``token_use`` is ``id``.
5. The client: user pools, ``aud`` is one of the pool's ``ClientId`` for that provider; IAM OIDC
   providers, the Developer Guide's rule "if ``azp`` is present it must be in the client IDs,
   otherwise ``aud`` must be" (``aud`` may be a list: one member suffices); Google and Apple,
   ``aud`` or ``azp`` names the configured client (**Choice**: an Android Google ID token has the
   web client id, which is the one configured, in ``aud`` and the Android client in ``azp``, and
   AWS documents that setup as working). Else "Token is not from a supported provider of this
   identity pool." (AWS's answer for a wrong user pool client and a wrong Google client id).
6. ``sub`` present; ``exp`` present and ``now < exp + skew``, else "Invalid login token. Token
   expired: <now> >= <exp>" (epoch seconds, as AWS prints them); ``nbf`` and ``iat`` not beyond
   ``now + skew``. The skew is :data:`~.base.CLOCK_SKEW_SECONDS` (5 minutes).

Keys: discovery (``<issuer>/.well-known/openid-configuration`` → ``jwks_uri``) for OIDC, Google and
Apple; the fixed ``https://<key>/.well-known/jwks.json`` for user pools. A JWKS is cached per
source for :data:`JWKS_TTL_SECONDS`; a ``kid`` not in it causes one re-fetch, at most once per
:data:`JWKS_REFETCH_INTERVAL_SECONDS` per source, so a rotation is picked up at once and a flood of
made-up ``kid`` values costs one request a minute. Concurrent verifications share one fetch.

Verified tokens: the enhanced flow sends the same ID token twice in a row (GetId, then
GetCredentialsForIdentity), the basic flow too (GetId, GetOpenIdToken), and a client refreshing its
credentials sends it again until it expires. So the process remembers, for the last
:data:`VERIFIED_TOKENS_MAX` tokens whose signature held, the claims their signature covers, and
skips steps 1 and 3 for exactly the same token string. The memory is only trusted while the JWKS
that verified the token is the one in use: a re-fetched key set (the TTL, or a rotation noticed
through an unknown ``kid``) forgets it. The time checks of step 6 run on every call, with that
call's clock; steps 2, 4, 5 and the rest of 6 depend only on the claims and the provider's
configuration, so their outcome is kept with the remembered claims for the configuration they ran
against (an :class:`OidcSettings`: the same object while the pool and provider are unchanged, and
compared by value otherwise): a client id removed from the provider gives another configuration,
and the token is checked against it and refused as before. A failed verification is never
remembered. The key sets, discovery answers and verified tokens are
:class:`~cognitoidentity.server.cache.Cache` instances, each with its rule (:class:`JwksCache`).

**Not done** (documented limits): the IAM OIDC provider's certificate thumbprints are not compared;
the TLS certificate is verified against the system trust store instead, which is what IAM itself
does for providers whose certificate chains to a well-known root CA. A user pool's
``ServerSideTokenCheck`` is accepted but only the signature and expiry are checked: asking the
user pool whether the user was signed out globally or deleted needs AWS credentials for
``AdminGetUser`` (``GetUser`` takes an access token, which a ``Logins`` entry never carries).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

import orjson
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from cognitoidentity.server.api.cognito_identity import (
    ExternalServiceException,
    NotAuthorizedException,
)
from cognitoidentity.server.cache import Cache
from cognitoidentity.server.logins.base import (
    CLOCK_SKEW_SECONDS,
    COULD_NOT_VERIFY,
    ISSUER_MISMATCH,
    MAX_TOKEN_CHARS,
    NOT_A_COGNITO_TOKEN,
    NOT_AN_OIDC_TOKEN,
    UNSUPPORTED_PROVIDER,
    LoginIdentity,
    expired,
    missing_claim,
)
from cognitoidentity.server.logins.http import ProviderHttp
from cognitoidentity.server.metrics import counted_fetch

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics

__all__ = [
    "ALLOWED_ALGORITHMS",
    "APPLE_ISSUER",
    "GOOGLE_ISSUERS",
    "JWKS_REFETCH_INTERVAL_SECONDS",
    "JWKS_TTL_SECONDS",
    "KEY_SOURCES_MAX",
    "NOT_AN_ID_TOKEN",
    "VERIFIED_TOKENS_MAX",
    "JwksCache",
    "JwksSource",
    "OidcSettings",
    "OidcVerifier",
    "cognito_settings",
    "oidc_settings",
]

JWKS_TTL_SECONDS: Final = 3600.0
"""How long a fetched JWKS (and discovery document) is used before it is fetched again."""
JWKS_REFETCH_INTERVAL_SECONDS: Final = 60.0
"""An unknown ``kid`` re-fetches the JWKS at most once per this interval per source."""
VERIFIED_TOKENS_MAX: Final = 4096
"""How many verified tokens a process remembers (the oldest are forgotten first): a few MB."""
KEY_SOURCES_MAX: Final = 1024
"""How many providers' key sets (and discovery answers) a process keeps (the oldest go first)."""
ALLOWED_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
_EC_CURVES: Final = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
GOOGLE_ISSUERS: Final = ("https://accounts.google.com", "accounts.google.com")
APPLE_ISSUER: Final = "https://appleid.apple.com"
NOT_AN_ID_TOKEN: Final = "Invalid login token. Not an ID token."  # noqa: S105
"""**Choice**: a user pool token that has an ``aud`` but whose ``token_use`` is not ``id``."""

Clock = Callable[[], float]
"""Epoch seconds now (``time.time`` by default; tests inject their own)."""


@dataclass(frozen=True, slots=True)
class JwksSource:
    """Where a provider's keys are: a discovery document or a fixed JWKS URL (exactly one)."""

    discovery_url: str | None = None
    jwks_url: str | None = None

    @property
    def cache_key(self) -> str:
        return self.discovery_url or self.jwks_url or ""


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """One provider configuration of an identity pool, as the verifier needs it."""

    provider: str
    """The ``Logins`` key."""
    issuers: tuple[str, ...]
    """The accepted ``iss`` values."""
    client_ids: tuple[str, ...]
    source: JwksSource
    mapping_keys: tuple[str, ...]
    """For a user pool, ``("<key>:<client id>", "<key>")`` is built from the token instead."""
    user_pool: bool = False
    strict_azp: bool = True
    """``azp``, when present, alone decides (IAM OIDC providers); else ``aud`` or ``azp``."""


@lru_cache(maxsize=1024)
def oidc_settings(
    provider: str,
    issuer: str,
    client_ids: tuple[str, ...],
    *,
    mapping_keys: tuple[str, ...] = (),
    issuers: tuple[str, ...] = (),
    strict_azp: bool = True,
) -> OidcSettings:
    """Settings for a discovery-based provider (IAM OIDC provider, Google, Apple); memoized, as
    every login asks for them (hence tuples, not lists). Not a :class:`Cache`: the answer is a
    function of the arguments alone, never stale, so the ``caches`` setting leaves it be."""
    issuer = issuer.rstrip("/")
    return OidcSettings(
        provider=provider,
        issuers=issuers or (issuer,),
        client_ids=tuple(client_ids),
        source=JwksSource(discovery_url=issuer + "/.well-known/openid-configuration"),
        mapping_keys=mapping_keys or (provider,),
        strict_azp=strict_azp,
    )


@lru_cache(maxsize=1024)
def cognito_settings(provider: str, client_ids: tuple[str, ...]) -> OidcSettings:
    """Settings for a user pool ``cognito-idp.<region>.amazonaws.com/<pool id>``."""
    issuer = "https://" + provider
    return OidcSettings(
        provider=provider,
        issuers=(issuer,),
        client_ids=tuple(client_ids),
        source=JwksSource(jwks_url=issuer + "/.well-known/jwks.json"),
        mapping_keys=(provider,),
        user_pool=True,
    )


# --- the JWKS cache ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str | None
    alg: str | None
    key: RSAKey | ECKey


@dataclass(frozen=True, slots=True)
class _Entry:
    """One fetch of a source's JWKS."""

    keys: tuple[_Key, ...]
    fetched_at: float


def _parse_jwks(document: object) -> tuple[_Key, ...]:
    """The usable signing keys of a JWKS; keys of other types or with errors are skipped."""
    raw_keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(raw_keys, list):
        raise ValueError("not a JWKS (no 'keys' list)")
    keys: list[_Key] = []
    for raw in raw_keys:
        if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
            continue
        kid = raw.get("kid")
        alg = raw.get("alg")
        public = {k: v for k, v in raw.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
        try:
            if raw.get("kty") == "RSA":
                key: RSAKey | ECKey = RSAKey.import_key(public)
            elif raw.get("kty") == "EC":
                key = ECKey.import_key(public)
            else:
                continue
        except (JoseError, ValueError, TypeError):
            continue
        keys.append(
            _Key(
                kid if isinstance(kid, str) else None,
                alg if isinstance(alg, str) else None,
                key,
            )
        )
    return tuple(keys)


def _fits(key: _Key, alg: str, kid: str | None) -> bool:
    if kid is not None and key.kid != kid:
        return False
    if key.alg is not None and key.alg != alg:
        return False
    if alg.startswith("RS"):
        return isinstance(key.key, RSAKey)
    return isinstance(key.key, ECKey) and key.key.curve_name == _EC_CURVES[alg]


@dataclass(slots=True)
class _Remembered:
    """A token whose signature held: with the key set that verified it and its claims, and what
    a verifier concluded from them for one configuration (see the module doc)."""

    entry: _Entry
    claims: dict[str, Any]
    settings: OidcSettings | None = None
    identity: LoginIdentity | None = None


class JwksCache:
    """Keys per source, and the tokens they verified, shared by every verification of the
    process. ``caches`` False: nothing is kept (the ``caches`` setting), so every verification
    fetches the keys and checks the signature."""

    def __init__(
        self,
        http: ProviderHttp,
        clock: Clock = time.time,
        *,
        ttl: float = JWKS_TTL_SECONDS,
        refetch_interval: float = JWKS_REFETCH_INTERVAL_SECONDS,
        max_verified: int = VERIFIED_TOKENS_MAX,
        caches: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self.http = http
        self.clock = clock
        self.metrics = metrics
        self.refetch_interval = refetch_interval
        self._keys: Cache[str, _Entry] = Cache(
            "JWKS",
            rule=f"{ttl:g} s after the fetch; fetched again sooner for a kid it lacks, at most"
            f" once per {refetch_interval:g} s",
            max_entries=KEY_SOURCES_MAX,
            ttl=ttl,
            clock=clock,
            enabled=caches,
        )
        self._discovery: Cache[str, str] = Cache(
            "OpenID discovery",
            rule=f"{ttl:g} s after the fetch",
            max_entries=KEY_SOURCES_MAX,
            ttl=ttl,
            clock=clock,
            enabled=caches,
        )
        self._locks: dict[str, asyncio.Lock] = {}
        self.verified: Cache[tuple[str, str], _Remembered] = Cache(
            "verified tokens",
            rule="while the key set that verified the token is the one kept for its source",
            max_entries=max_verified,
            enabled=caches,
        )

    def recall(self, source: JwksSource, token: str) -> _Remembered | None:
        """What is remembered of ``token`` if its signature was verified with the key set still
        in use for ``source`` (see the module doc), else None."""
        name = (source.cache_key, token)
        remembered = self.verified.get(name)
        if remembered is None:
            return None
        if self._keys.get(source.cache_key) is not remembered.entry:
            self.verified.discard(name)
            return None
        return remembered

    def remember(self, source: JwksSource, token: str, claims: dict[str, Any]) -> None:
        """Note that ``token``'s signature holds with the key set now in use for ``source``."""
        entry = self._keys.get(source.cache_key)
        if entry is not None:
            self.verified.put((source.cache_key, token), _Remembered(entry, claims))

    def conclude(self, settings: OidcSettings, token: str, identity: LoginIdentity) -> None:
        """Keep what a verifier concluded with the claims it came from, if they are remembered
        (one conclusion per token, the last; forgotten with the claims)."""
        remembered = self.verified.get((settings.source.cache_key, token))
        if remembered is not None and remembered.claims is identity.claims:
            remembered.settings, remembered.identity = settings, identity

    async def keys_for(
        self, source: JwksSource, provider: str, alg: str, kid: str | None
    ) -> list[_Key]:
        """The keys that may have signed a token with this ``alg`` and ``kid``: from the cache,
        after fetching when the cache is stale or (once per interval) lacks the ``kid``."""
        entry = self._keys.get(source.cache_key)
        if entry is None:
            entry = await self._refresh(source, provider, stale_before=None)
        found = [key for key in entry.keys if _fits(key, alg, kid)]
        if not found and self.clock() - entry.fetched_at >= self.refetch_interval:
            entry = await self._refresh(
                source, provider, stale_before=self.clock() - self.refetch_interval
            )
            found = [key for key in entry.keys if _fits(key, alg, kid)]
        return found

    async def _refresh(
        self, source: JwksSource, provider: str, *, stale_before: float | None
    ) -> _Entry:
        """Fetch the keys, unless another task fetched them meanwhile: after ``stale_before``, or
        (None) at all while the cache keeps them."""
        name = source.cache_key
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            entry = self._keys.get(name)
            if entry is not None and (stale_before is None or entry.fetched_at > stale_before):
                return entry
            jwks_url = await self._jwks_url(source, provider)
            with counted_fetch(self.metrics, "jwks"):
                response = await self.http.get_json(jwks_url, provider=provider)
                if response.status != 200:
                    raise ExternalServiceException(f"Error calling {provider}: no JWKS")
                try:
                    keys = _parse_jwks(response.body)
                except ValueError as exc:
                    raise ExternalServiceException(f"Error calling {provider}: {exc}") from exc
            entry = _Entry(keys, self.clock())
            self._keys.put(name, entry)
            return entry

    async def _jwks_url(self, source: JwksSource, provider: str) -> str:
        if source.jwks_url is not None:
            return source.jwks_url
        assert source.discovery_url is not None
        cached = self._discovery.get(source.discovery_url)
        if cached is not None:
            return cached
        with counted_fetch(self.metrics, "discovery"):
            response = await self.http.get_json(source.discovery_url, provider=provider)
            body = response.body
            jwks_uri = body.get("jwks_uri") if isinstance(body, dict) else None
            if response.status != 200 or not isinstance(jwks_uri, str) or not jwks_uri:
                raise ExternalServiceException(
                    f"Error calling {provider}: no jwks_uri in its OpenID configuration"
                )
        self._discovery.put(source.discovery_url, jwks_uri)
        return jwks_uri


# --- the verifier -----------------------------------------------------------------------------


def _b64json(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    return orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class _Parsed:
    header: dict[str, Any]
    claims: dict[str, Any] = field(default_factory=dict)


class OidcVerifier:
    """Verifies an ID token for one :class:`OidcSettings`."""

    def __init__(self, settings: OidcSettings, cache: JwksCache) -> None:
        self.settings = settings
        self.cache = cache

    def _malformed(self) -> NotAuthorizedException:
        return NotAuthorizedException(
            NOT_A_COGNITO_TOKEN if self.settings.user_pool else NOT_AN_OIDC_TOKEN
        )

    def _parse(self, token: str) -> _Parsed:
        parts = token.split(".")
        if len(token) > MAX_TOKEN_CHARS or len(parts) != 3 or not parts[0] or not parts[1]:
            raise self._malformed()
        try:
            header = _b64json(parts[0])
            claims = _b64json(parts[1])
        except (ValueError, binascii.Error, UnicodeError) as exc:
            raise self._malformed() from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise self._malformed()
        return _Parsed(header, claims)

    async def verify(self, token: str) -> LoginIdentity:
        settings = self.settings
        remembered = self.cache.recall(settings.source, token)
        if remembered is None:
            identity = await self._verify(token, None)
        else:
            concluded = remembered.identity
            # Usually the very object (the settings are memoized); an equal one concludes alike.
            if concluded is not None and (
                remembered.settings is settings or remembered.settings == settings
            ):
                self._check_times(remembered.claims)  # the only check whose answer changes
                return concluded
            identity = await self._verify(token, remembered.claims)
        self.cache.conclude(settings, token, identity)
        return identity

    async def _verify(self, token: str, claims: dict[str, Any] | None) -> LoginIdentity:
        settings = self.settings
        if claims is None:
            parsed = self._parse(token)
            if parsed.claims.get("iss") not in settings.issuers:
                raise NotAuthorizedException(ISSUER_MISMATCH)
            claims = await self._verified_claims(token, parsed.header)
        # The signature holds: from here on the claims are the provider's.
        if claims.get("iss") not in settings.issuers:
            raise NotAuthorizedException(ISSUER_MISMATCH)
        audiences = _audiences(claims.get("aud"))
        if not audiences:
            raise missing_claim("aud")
        if settings.user_pool and claims.get("token_use") != "id":
            raise NotAuthorizedException(NOT_AN_ID_TOKEN)
        client_id = self._client(claims, audiences)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise missing_claim("sub")
        self._check_times(claims)
        if settings.user_pool:
            return LoginIdentity(
                provider=settings.provider,
                user_id=subject,
                claims=claims,
                amr=f"{settings.provider}:CognitoSignIn:{subject}",
                mapping_keys=(f"{settings.provider}:{client_id}", settings.provider),
            )
        return LoginIdentity(
            provider=settings.provider,
            user_id=subject,
            claims=claims,
            amr=f"{settings.provider}:{subject}",
            mapping_keys=settings.mapping_keys,
        )

    async def _verified_claims(self, token: str, header: Mapping[str, Any]) -> dict[str, Any]:
        alg = header.get("alg")
        kid = header.get("kid")
        if alg not in ALLOWED_ALGORITHMS or (kid is not None and not isinstance(kid, str)):
            raise NotAuthorizedException(COULD_NOT_VERIFY)
        assert isinstance(alg, str)
        keys = await self.cache.keys_for(self.settings.source, self.settings.provider, alg, kid)
        for key in keys:
            try:
                signed = jws.deserialize_compact(token, key.key, algorithms=[alg])
            except (JoseError, ValueError):
                continue
            try:
                claims = orjson.loads(signed.payload)
            except orjson.JSONDecodeError:
                break
            if isinstance(claims, dict):
                # No await since keys_for: the key set in use is the one that verified it.
                self.cache.remember(self.settings.source, token, claims)
                return claims
            break
        raise NotAuthorizedException(COULD_NOT_VERIFY)

    def _client(self, claims: Mapping[str, Any], audiences: tuple[str, ...]) -> str:
        """The configured client the token was issued to (see rule 5 of the module doc)."""
        allowed = self.settings.client_ids
        azp = claims.get("azp") if not self.settings.user_pool else None
        if isinstance(azp, str) and azp in allowed:
            return azp
        if "azp" in claims and self.settings.strict_azp and not self.settings.user_pool:
            raise NotAuthorizedException(UNSUPPORTED_PROVIDER)
        for audience in audiences:
            if audience in allowed:
                return audience
        raise NotAuthorizedException(UNSUPPORTED_PROVIDER)

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self.cache.clock()
        exp = claims.get("exp")
        if exp is None:
            raise missing_claim("exp")
        if not _is_number(exp):
            raise NotAuthorizedException("Invalid login token. Invalid claim: exp")
        if now >= exp + CLOCK_SKEW_SECONDS:
            raise expired(int(now), int(exp))
        horizon = now + CLOCK_SKEW_SECONDS
        nbf = claims.get("nbf")
        if nbf is not None:
            if not _is_number(nbf):
                raise NotAuthorizedException("Invalid login token. Invalid claim: nbf")
            if nbf > horizon:
                raise NotAuthorizedException(
                    f"Invalid login token. Token not yet valid: {int(now)} < {int(nbf)}"
                )
        iat = claims.get("iat")
        if iat is not None:
            if not _is_number(iat):
                raise NotAuthorizedException("Invalid login token. Invalid claim: iat")
            if iat > horizon:
                raise NotAuthorizedException(
                    f"Invalid login token. Token issued in the future: {int(now)} < {int(iat)}"
                )


def _audiences(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str) and item)
    return ()
