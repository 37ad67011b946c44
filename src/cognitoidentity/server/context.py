"""What an operation gets besides its parameters: the runtime it works with and who is calling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cognitoidentity.server.authorization import SessionPolicies
from cognitoidentity.server.credentials import CredentialVault
from cognitoidentity.server.crypto import MasterKey
from cognitoidentity.server.ids import RandomUuids
from cognitoidentity.server.logins.dispatch import LoginVerifier
from cognitoidentity.server.role_directory import RoleDirectory
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.sigv4 import Caller
from cognitoidentity.server.store.base import Store
from cognitoidentity.server.tokens import OpenIdTokenIssuer

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics
    from cognitoidentity.server.pool_deleter import PoolDeleter


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Runtime:
    """Settings, store and the injectable sources of time and randomness, shared by all requests."""

    settings: Settings
    store: Store
    master_key: MasterKey
    credentials: CredentialVault
    """Issues temporary credentials (STS) and opens their session tokens."""
    tokens: OpenIdTokenIssuer
    """Issues and verifies our OpenID tokens; its ``keys`` are the signing keys (JWKS)."""
    logins: LoginVerifier
    """Verifies the tokens of public login providers (one HTTP client and JWKS cache per process)."""
    roles: RoleDirectory
    """IAM roles with their parsed trust and permission policies, by ARN (``authority``)."""
    clock: Callable[[], datetime] = field(default=_utc_now)
    new_uuid: Callable[[], str] = field(default_factory=RandomUuids)
    metrics: Metrics | None = None
    """What operations count (identities created); None counts nothing."""
    session_policies: SessionPolicies | None = None
    """Sessions' session policies, parsed and kept (:mod:`.authorization`); None: parsed at
    each use."""
    pool_deleter: PoolDeleter | None = None
    """Deletes the identities of deleted pools in the background (:mod:`.pool_deleter`); woken
    by DeleteIdentityPool. None (a command rather than a server): nothing runs them here."""


@dataclass(slots=True)  # not frozen: built for every call, and a frozen __init__ costs more
class RequestContext:
    runtime: Runtime
    request_id: str
    operation: str
    caller: Caller | None = None

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def account_id(self) -> str:
        """The signed caller's account; only signed operations ask for it."""
        if self.caller is None:
            raise RuntimeError(f"{self.operation} needs a signed caller")
        return self.caller.account_id

    @property
    def region(self) -> str | None:
        """The region the request was signed for; None for an unsigned request."""
        return self.caller.region if self.caller is not None else None

    def identity_created(self, *, authenticated: bool) -> None:
        """Count a new identity in the metrics (when there are any)."""
        metrics = self.runtime.metrics
        if metrics is not None:
            metrics.identity_created(authenticated=authenticated)
