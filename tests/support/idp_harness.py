"""Helpers for login verifier tests: a hand-moved clock, a pool builder, and a harness that runs
:class:`LoginVerifier` against local providers in ``asyncio.run``."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from cognitoidentity.server.logins import LoginIdentity, LoginVerifier
from cognitoidentity.server.store.base import CognitoProvider, IdentityPool
from tests.support.idp import DictDirectory

__all__ = ["ACCOUNT", "USER_POOL_ID", "USER_POOL_KEY", "Clock", "Harness", "make_pool"]

ACCOUNT = "123456789012"
USER_POOL_ID = "us-east-1_Test1234"
USER_POOL_KEY = f"cognito-idp.us-east-1.amazonaws.com/{USER_POOL_ID}"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class Clock:
    """An injectable clock (epoch seconds) that tests move by hand."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_pool(
    *,
    supported: Mapping[str, str] | None = None,
    cognito: tuple[tuple[str, str], ...] = (),
    oidc_arns: tuple[str, ...] = (),
    saml_arns: tuple[str, ...] = (),
    developer: str | None = None,
) -> IdentityPool:
    return IdentityPool(
        pool_id=f"us-east-1:{uuid.uuid4()}",
        account_id=ACCOUNT,
        name="pool",
        allow_unauthenticated=False,
        created_at=datetime.now(UTC),
        supported_login_providers=dict(supported or {}),
        developer_provider_name=developer,
        openid_connect_provider_arns=oidc_arns,
        cognito_identity_providers=tuple(CognitoProvider(name, client) for name, client in cognito),
        saml_provider_arns=saml_arns,
    )


@dataclass
class Harness:
    """Builds a :class:`LoginVerifier` for a test and runs it in ``asyncio.run``."""

    directory: DictDirectory = field(default_factory=DictDirectory)
    endpoints: dict[str, str] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)
    timeout: float = 5.0
    caches: bool = True
    """The ``caches`` setting of the verifiers it builds."""

    def verifier(self) -> LoginVerifier:
        """A verifier with its own client (closed by ``aclose``), which reuses one TLS context:
        making a default one costs tens of milliseconds per client."""
        return LoginVerifier(
            directory=self.directory,
            provider_endpoints=self.endpoints,
            http=httpx.AsyncClient(verify=_tls_context(), timeout=self.timeout),
            clock=self.clock,
            timeout=self.timeout,
            caches=self.caches,
        )

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[LoginVerifier]:
        """One verifier for several calls in one event loop (a shared JWKS cache)."""
        verifier = self.verifier()
        try:
            yield verifier
        finally:
            await verifier.http.client.aclose()

    def verify(self, pool: IdentityPool, logins: Mapping[str, str]) -> list[LoginIdentity]:
        async def main() -> list[LoginIdentity]:
            async with self.session() as verifier:
                return await verifier.verify(pool, logins)

        return asyncio.run(main())

    def verify_one(self, pool: IdentityPool, key: str, token: str) -> LoginIdentity:
        [identity] = self.verify(pool, {key: token})
        return identity
