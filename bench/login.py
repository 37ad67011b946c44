"""The bench's OpenID provider and its one login, for the ``logins`` scenarios.

The provider is tests/support's :class:`~tests.support.idp.OidcProvider`: discovery and a JWKS on a
free loopback port, served from a thread, one RSA-2048 key of its own, and a count of the requests
it answered per path, from which :meth:`BenchLogin.snapshot` tells how often the server fetched
them. The ID tokens are RS256, ``iss`` the provider's URL, ``aud`` :data:`OIDC_CLIENT_ID`.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from joserfc.jwk import RSAKey

from cognitoidentity.server.logins.oidc import VERIFIED_TOKENS_MAX
from tests.support.idp import OidcProvider

OIDC_CLIENT_ID = "bench-client"
OIDC_SUBJECT = "bench-oidc-user"
ID_TOKEN_LIFETIME = 24 * 3600
"""The bench's ID tokens outlive any run (exp is checked by the server at every call)."""
FRESH_TOKENS = 2 * VERIFIED_TOKENS_MAX
"""Tokens the ``/fresh`` scenarios send in turn: twice the verified tokens a server process
remembers (forgotten oldest first), so none is remembered when it returns."""


class BenchLogin:
    """The provider, serving while the ``with`` block lasts, and the login's tokens: ``id_token``,
    replayed by the logins scenarios, and ``fresh_id_tokens``, :data:`FRESH_TOKENS` more of the same
    login that differ by their ``jti``."""

    def __init__(self) -> None:
        self.provider = OidcProvider()
        key = self.provider.keys[self.provider.current]
        if not isinstance(key, RSAKey):  # the provider's first key is RS256, RSA-2048
            raise TypeError(f"the OIDC provider's key is {key.key_type}, not RSA")
        self.key = key
        self.id_token = self.mint()
        self.fresh_id_tokens = tuple(self.mint(jti=str(n)) for n in range(FRESH_TOKENS))

    def mint(self, **extra: Any) -> str:
        """An ID token of the bench's login, with ``extra`` claims."""
        now = int(time.time())
        return self.provider.mint(
            sub=OIDC_SUBJECT,
            aud=OIDC_CLIENT_ID,
            iat=now,
            exp=now + ID_TOKEN_LIFETIME,
            email="bench@example.com",
            email_verified=True,
            **extra,
        )

    @property
    def url(self) -> str:
        return self.provider.url

    @property
    def login_key(self) -> str:
        """The ``Logins`` key: the provider's URL without its scheme."""
        return self.url.removeprefix("http://")

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The key as the provider's JWKS publishes it."""
        jwk: dict[str, Any] = self.provider.jwks()["keys"][0]
        return jwk

    def snapshot(self) -> dict[str, int]:
        """Requests answered so far: ``discovery``, ``jwks`` (wherever the provider serves it) and
        ``other``."""
        with self.provider.lock:
            hits = Counter(self.provider.hits)
        discovery = sum(n for path, n in hits.items() if path.endswith("/openid-configuration"))
        jwks = sum(n for path, n in hits.items() if path.endswith(("/jwks", "/jwks.json")))
        return {"discovery": discovery, "jwks": jwks, "other": hits.total() - discovery - jwks}

    def __enter__(self) -> BenchLogin:
        self.provider.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.provider.stop()
