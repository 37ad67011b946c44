"""Choosing the verifier for each ``Logins`` key of a call, and verifying them all.

A key is matched against the pool, in this order:

1. ``SupportedLoginProviders``: ``graph.facebook.com`` (Facebook, the value is the app id),
   ``www.amazon.com`` (Login with Amazon, the app id), ``api.twitter.com`` (Twitter,
   ``"<consumer key>;<consumer secret>"``), ``accounts.google.com`` (Google, the value is one
   client id, found in the ID token's ``aud`` or ``azp``), ``appleid.apple.com`` (Sign in with
   Apple, the services or bundle id). Digits (``www.digits.com``) no longer exists: refused.
2. A ``CognitoIdentityProviders`` ``ProviderName``: a user pool; its client ids are every
   ``ClientId`` configured under that name.
3. The URL, without its scheme, of one of the pool's ``OpenIdConnectProviderARNs``: found from the
   ARN (``arn:aws:iam::<account>:oidc-provider/<url without scheme>``), or else by asking the
   directory for each ARN's URL; the provider's URL and client ids come from the directory.
4. One of the pool's ``SamlProviderARNs``: its metadata comes from the directory.

Anything else, and a matching IAM provider the directory no longer has, is refused with
"Token is not from a supported provider of this identity pool.". The pool's developer provider
name is the caller's business and must not be passed here. All keys are matched first (no network);
then every token is verified concurrently; on the first failure the others are cancelled and that
failure is raised (of failures that finished together, the first in ``Logins`` order).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Final

import httpx

from cognitoidentity.server.api.cognito_identity import (
    ExternalServiceException,
    NotAuthorizedException,
)
from cognitoidentity.server.cache import Cache
from cognitoidentity.server.logins.amazon import AMAZON_KEY, AmazonVerifier
from cognitoidentity.server.logins.base import (
    UNSUPPORTED_PROVIDER,
    LoginIdentity,
    OidcProviderConfig,
    ProviderDirectory,
    Verifier,
)
from cognitoidentity.server.logins.facebook import FACEBOOK_KEY, FacebookVerifier
from cognitoidentity.server.logins.http import DEFAULT_TIMEOUT_SECONDS, ProviderHttp
from cognitoidentity.server.logins.oidc import (
    APPLE_ISSUER,
    GOOGLE_ISSUERS,
    JWKS_REFETCH_INTERVAL_SECONDS,
    JWKS_TTL_SECONDS,
    JwksCache,
    OidcVerifier,
    cognito_settings,
    oidc_settings,
)
from cognitoidentity.server.logins.twitter import TWITTER_KEY, TwitterVerifier
from cognitoidentity.server.outbound import OutboundPolicy
from cognitoidentity.server.store.base import IdentityPool

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics
    from cognitoidentity.server.settings import Settings

__all__ = ["APPLE_KEY", "GOOGLE_KEY", "LoginVerifier", "provider_kind", "strip_scheme"]

GOOGLE_KEY: Final = "accounts.google.com"
APPLE_KEY: Final = "appleid.apple.com"
_OIDC_ARN_MARKER: Final = ":oidc-provider/"
CHOSEN_VERIFIERS_MAX: Final = 1024
"""(pool, Logins key) pairs whose verifier is kept for reuse; beyond it the oldest go first."""


def strip_scheme(url: str) -> str:
    """``https://login.example.com/x/`` → ``login.example.com/x``: an OIDC provider's key."""
    _, sep, rest = url.partition("://")
    return (rest if sep else url).rstrip("/")


class LoginVerifier:
    """Verifies the ``Logins`` of a call against an identity pool.

    One instance per process: it holds the HTTP client, the JWKS cache and the verifiers it
    chose. ``http`` may be given (tests inject a transport); otherwise one is made for the
    ``outbound`` policy and :meth:`aclose` closes it. ``outbound`` None: loopback allowed (see
    :class:`ProviderHttp`). ``clock`` returns epoch seconds. ``caches`` False: nothing is kept
    (the ``caches`` setting)."""

    def __init__(
        self,
        *,
        directory: ProviderDirectory,
        provider_endpoints: Mapping[str, str] | None = None,
        http: httpx.AsyncClient | None = None,
        outbound: OutboundPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        jwks_ttl: float = JWKS_TTL_SECONDS,
        jwks_refetch_interval: float = JWKS_REFETCH_INTERVAL_SECONDS,
        caches: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self.directory = directory
        self.clock = clock
        self.metrics = metrics
        self._own_client = http is None
        self.http = ProviderHttp(http, provider_endpoints or {}, timeout, policy=outbound)
        self.jwks = JwksCache(
            self.http,
            clock,
            ttl=jwks_ttl,
            refetch_interval=jwks_refetch_interval,
            caches=caches,
            metrics=metrics,
        )
        # Both are needed: a request may still hold a pool read before a commit.
        self._chosen: Cache[tuple[str, str], tuple[Hashable, IdentityPool, Verifier, str]] = Cache(
            "chosen verifiers",
            rule="while the directory's version is the one they were chosen under, and only for"
            " the very pool object they were chosen for",
            max_entries=CHOSEN_VERIFIERS_MAX,
            enabled=caches,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        directory: ProviderDirectory,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
    ) -> LoginVerifier:
        return cls(
            directory=directory,
            provider_endpoints=settings.provider_endpoints,
            http=http,
            outbound=OutboundPolicy.from_settings(settings),
            timeout=timeout,
            clock=clock,
            caches=settings.caches,
            metrics=metrics,
        )

    async def aclose(self) -> None:
        if self._own_client:
            await self.http.client.aclose()

    async def verify(self, pool: IdentityPool, logins: Mapping[str, str]) -> list[LoginIdentity]:
        """The verified logins, in the order of ``logins``; raises ``NotAuthorizedException`` for
        a bad token or an unsupported key and ``ExternalServiceException`` when a provider cannot
        be asked."""
        if len(logins) == 1:  # the usual call: one login, no task
            for key, token in logins.items():
                # The verifier kept for this pool and key, found without a coroutine (as
                # verifier_for finds it), its kind with it.
                version = self.directory.version()
                chosen = None if version is None else self._chosen.get((pool.pool_id, key))
                if chosen is not None and chosen[0] == version and chosen[1] is pool:
                    verifier, kind = chosen[2], chosen[3]
                else:
                    verifier = await self.verifier_for(pool, key)
                    kind = provider_kind(verifier)
                # _verify, inline: no coroutine of its own for the usual call.
                metrics = self.metrics
                try:
                    identity = await verifier.verify(token)
                except Exception as refused:
                    if metrics is not None:
                        metrics.login(kind, _outcome(refused))
                    raise
                if metrics is not None:
                    metrics.login(kind, "ok")
                return [identity]
        verifiers = [(await self.verifier_for(pool, key), token) for key, token in logins.items()]
        if not verifiers:
            return []
        tasks = [
            asyncio.create_task(self._verify(verifier, token)) for verifier, token in verifiers
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in tasks:
                task.cancel()  # a no-op for the finished ones
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
        return [task.result() for task in tasks]

    async def _verify(
        self, verifier: Verifier, token: str, kind: str | None = None
    ) -> LoginIdentity:
        """``verifier.verify(token)``, counted in the metrics by outcome and ``kind`` (None:
        :func:`provider_kind`)."""
        metrics = self.metrics
        if metrics is None:
            return await verifier.verify(token)
        try:
            identity = await verifier.verify(token)
        except Exception as refused:
            metrics.login(kind or provider_kind(verifier), _outcome(refused))
            raise
        metrics.login(kind or provider_kind(verifier), "ok")
        return identity

    async def verifier_for(self, pool: IdentityPool, key: str) -> Verifier:
        """The verifier for ``key`` in ``pool`` (see the module doc); raises
        ``NotAuthorizedException`` "Token is not from a supported provider of this identity
        pool." when there is none.

        A verifier is chosen again only when something may have changed: the one chosen before is
        reused for the very same pool object while the directory's version is the same (nothing
        committed since, so neither the pool nor an IAM provider changed). A directory that cannot
        tell (PostgreSQL's) has every verifier chosen anew."""
        version = self.directory.version()
        if version is None:
            return await self._choose(pool, key)
        cache_key = (pool.pool_id, key)
        chosen = self._chosen.get(cache_key)
        if chosen is not None and chosen[0] == version and chosen[1] is pool:
            return chosen[2]
        verifier = await self._choose(pool, key)
        # Kept under the version read before choosing: a change meanwhile makes it miss.
        self._chosen.put(cache_key, (version, pool, verifier, provider_kind(verifier)))
        return verifier

    async def _choose(self, pool: IdentityPool, key: str) -> Verifier:
        supported = pool.supported_login_providers
        if key in supported:
            app = supported[key]
            if key == FACEBOOK_KEY:
                return FacebookVerifier(self.http, app)
            if key == AMAZON_KEY:
                return AmazonVerifier(self.http, app)
            if key == TWITTER_KEY:
                return TwitterVerifier(self.http, app, clock=self.clock)
            if key == GOOGLE_KEY:
                settings = oidc_settings(
                    key, GOOGLE_ISSUERS[0], (app,), issuers=GOOGLE_ISSUERS, strict_azp=False
                )
                return OidcVerifier(settings, self.jwks)
            if key == APPLE_KEY:
                settings = oidc_settings(key, APPLE_ISSUER, (app,), strict_azp=False)
                return OidcVerifier(settings, self.jwks)
            raise NotAuthorizedException(UNSUPPORTED_PROVIDER)
        client_ids = tuple(
            provider.client_id
            for provider in pool.cognito_identity_providers
            if provider.provider_name == key
        )
        if client_ids:
            return OidcVerifier(cognito_settings(key, client_ids), self.jwks)
        oidc = await self._oidc_provider(pool, key)
        if oidc is not None:
            arn, config = oidc
            settings = oidc_settings(key, config.url, config.client_ids, mapping_keys=(arn, key))
            return OidcVerifier(settings, self.jwks)
        if key in pool.saml_provider_arns:
            saml = await self.directory.saml_provider(pool.account_id, key)
            if saml is not None:
                # The XML-signature stack is imported when SAML is first used, not at start.
                from cognitoidentity.server.logins.saml import SamlVerifier

                return SamlVerifier(key, saml, clock=self.clock)
        raise NotAuthorizedException(UNSUPPORTED_PROVIDER)

    async def _oidc_provider(
        self, pool: IdentityPool, key: str
    ) -> tuple[str, OidcProviderConfig] | None:
        arns = pool.openid_connect_provider_arns
        if not arns:
            return None
        by_name = [arn for arn in arns if arn.partition(_OIDC_ARN_MARKER)[2] == key]
        for arn in by_name or arns:
            config = await self.directory.oidc_provider(pool.account_id, arn)
            if config is not None and strip_scheme(config.url) == key:
                return arn, config
        return None


_OIDC_KINDS: Final = {GOOGLE_KEY: "google", APPLE_KEY: "apple"}


def provider_kind(verifier: Verifier) -> str:
    """What kind of provider ``verifier`` checks tokens of, for the metrics."""
    if isinstance(verifier, OidcVerifier):
        settings = verifier.settings
        if settings.user_pool:
            return "cognito_user_pool"
        return _OIDC_KINDS.get(settings.provider, "oidc")
    if isinstance(verifier, FacebookVerifier):
        return "facebook"
    if isinstance(verifier, AmazonVerifier):
        return "amazon"
    if isinstance(verifier, TwitterVerifier):
        return "twitter"
    return "saml"  # the only other kind _choose makes (its class is imported on first use)


def _outcome(error: Exception) -> str:
    """How a verification that raised ``error`` is counted in the metrics."""
    if isinstance(error, NotAuthorizedException):
        return "rejected"
    if isinstance(error, ExternalServiceException):
        return "unavailable"
    return "error"
