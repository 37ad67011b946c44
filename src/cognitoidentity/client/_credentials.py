"""AWS credentials from an identity pool, for any AWS client: beyond the seed.

:class:`IdentityPoolCredentials` does what every app on an identity pool writes by hand: GetId once
(the identity id is cached, in memory or in a file), GetCredentialsForIdentity whenever the last
credentials are within ``refresh_margin`` (5 minutes, as paws) of expiring, and hands the result to
boto3 or botocore as a refreshing credential source.

How it plugs into botocore: :meth:`IdentityPoolCredentials.botocore_session` registers a
``CredentialResolver`` holding one provider (this pool) as the session's ``credential_provider``
component, through botocore's public ``Session.register_component``; the provider loads a
``RefreshableCredentials`` whose refresh callback asks this object for fresh credentials.
:meth:`IdentityPoolCredentials.boto3_session` wraps that session with
``boto3.Session(botocore_session=...)``, boto3's documented way to start from a botocore session.
No private attribute (``Session._credentials``) is touched.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

from cognitoidentity.client._client import CognitoIdentity
from cognitoidentity.client._model import NotAuthorizedException, ResourceNotFoundException

if TYPE_CHECKING:
    import boto3

#: How long before expiry credentials are refreshed (paws: 5 minutes).
DEFAULT_REFRESH_MARGIN = timedelta(minutes=5)
#: The ``method`` botocore records for credentials from here.
CREDENTIALS_METHOD = "cognito-identity-pool"

#: botocore before 1.36 has no per-instance refresh timeouts; it then refreshes 15 minutes before.
_HAS_REFRESH_TIMEOUTS = "advisory_timeout" in inspect.signature(RefreshableCredentials).parameters

Logins = Mapping[str, str] | Callable[[], Mapping[str, str] | None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TemporaryCredentials:
    """One set of credentials for an identity, as GetCredentialsForIdentity returns them."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime
    identity_id: str


# -- where the identity id is kept between runs ----------------------------------------------------


class IdentityIdCache(Protocol):
    """Storage for identity ids, keyed by identity pool id."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, identity_id: str) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryIdentityIdCache:
    """Identity ids in this process only (the default)."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._ids.get(key)

    def set(self, key: str, identity_id: str) -> None:
        with self._lock:
            self._ids[key] = identity_id

    def delete(self, key: str) -> None:
        with self._lock:
            self._ids.pop(key, None)


class FileIdentityIdCache:
    """Identity ids in a JSON file (``{"<pool id>": "<identity id>"}``), so an app keeps its identity
    across runs. The file is replaced atomically and readable by its owner only; an unreadable or
    corrupt file counts as empty."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(data, out, indent=2, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._read().get(key)

    def set(self, key: str, identity_id: str) -> None:
        with self._lock:
            data = self._read()
            data[key] = identity_id
            self._write(data)

    def delete(self, key: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(key, None) is not None:
                self._write(data)


# -- the helper ------------------------------------------------------------------------------------


class IdentityPoolCredentials:
    """Temporary AWS credentials for an identity of an identity pool, kept fresh.

    Args:
        identity_pool_id: the pool (``us-east-1:...``).
        logins: the identity provider tokens (``{"accounts.google.com": id_token}``), or a callable
            returning them, called before each GetId and GetCredentialsForIdentity so tokens that
            expire can be renewed; ``None`` for an unauthenticated identity.
        identity_id: an identity id known already (skips GetId).
        account_id: the ``AccountId`` for GetId (pools of other accounts).
        custom_role_arn: the ``CustomRoleArn`` for GetCredentialsForIdentity.
        region: the region of the pool; default: the pool id's prefix.
        endpoint: the Cognito Identity endpoint; default: as :func:`cognitoidentity` resolves it.
        client: a :class:`CognitoIdentity` client to use instead of an anonymous one built from
            ``region`` and ``endpoint`` (GetId and GetCredentialsForIdentity need no signature).
        cache: where the identity id is kept: an :class:`IdentityIdCache`, a file path (a
            :class:`FileIdentityIdCache`), or ``None`` for this process's memory.
        refresh_margin: credentials with less than this left are replaced (default 5 minutes).
        clock: the current time, timezone-aware (for tests).

    If a cached identity id is refused (deleted, disabled, or merged away), GetId is asked again,
    once, and its answer replaces the cached id; an ``identity_id`` given here is never replaced.
    """

    def __init__(
        self,
        identity_pool_id: str,
        *,
        logins: Logins | None = None,
        identity_id: str | None = None,
        account_id: str | None = None,
        custom_role_arn: str | None = None,
        region: str | None = None,
        endpoint: str | None = None,
        client: CognitoIdentity | None = None,
        cache: IdentityIdCache | str | os.PathLike[str] | None = None,
        refresh_margin: timedelta = DEFAULT_REFRESH_MARGIN,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.identity_pool_id = identity_pool_id
        self.region = region or (client.region if client else identity_pool_id.split(":", 1)[0])
        self.account_id = account_id
        self.custom_role_arn = custom_role_arn
        self.refresh_margin = refresh_margin
        self._logins = logins
        self._clock = clock
        if cache is None:
            cache = MemoryIdentityIdCache()
        elif isinstance(cache, str | os.PathLike):
            cache = FileIdentityIdCache(cache)
        self.cache: IdentityIdCache = cache
        self._given_identity_id = identity_id
        if identity_id is not None:
            self.cache.set(identity_pool_id, identity_id)
        self._client = client or CognitoIdentity(
            credentials={"anonymous": True}, endpoint=endpoint, region=self.region
        )
        self._credentials: TemporaryCredentials | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<IdentityPoolCredentials {self.identity_pool_id!r}>"

    @property
    def client(self) -> CognitoIdentity:
        """The Cognito Identity client the helper calls."""
        return self._client

    def _current_logins(self) -> dict[str, str] | None:
        logins = self._logins() if callable(self._logins) else self._logins
        return dict(logins) if logins else None

    def _get_id(self, logins: dict[str, str] | None) -> str:
        answer = self._client.get_id(
            IdentityPoolId=self.identity_pool_id, AccountId=self.account_id, Logins=logins
        )
        identity_id = answer["IdentityId"]
        self.cache.set(self.identity_pool_id, identity_id)
        return identity_id

    def get_identity_id(self) -> str:
        """The identity id: from the cache, else from GetId (then cached)."""
        with self._lock:
            return self.cache.get(self.identity_pool_id) or self._get_id(self._current_logins())

    def get_credentials(self, *, force_refresh: bool = False) -> TemporaryCredentials:
        """Credentials with more than ``refresh_margin`` left: the last ones, or new ones."""
        with self._lock:
            current = self._credentials
            if (
                force_refresh
                or current is None
                or current.expiration - self._clock() <= self.refresh_margin
            ):
                current = self._credentials = self._fetch()
            return current

    def clear(self) -> None:
        """Forget the credentials and the cached identity id (after a sign-out, say)."""
        with self._lock:
            self._credentials = None
            self.cache.delete(self.identity_pool_id)

    def _fetch(self) -> TemporaryCredentials:
        logins = self._current_logins()
        cached = self.cache.get(self.identity_pool_id)
        identity_id = cached or self._get_id(logins)
        try:
            answer = self._credentials_for(identity_id, logins)
        except (ResourceNotFoundException, NotAuthorizedException):
            if cached is None or cached == self._given_identity_id:
                raise
            # The cached identity is gone or no longer this user's: start again from GetId
            # (which replaces the cached id only if it succeeds).
            answer = self._credentials_for(self._get_id(logins), logins)
        creds = answer["Credentials"]
        return TemporaryCredentials(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=creds["SecretKey"],
            session_token=creds["SessionToken"],
            expiration=creds["Expiration"],
            identity_id=answer["IdentityId"],
        )

    def _credentials_for(self, identity_id: str, logins: dict[str, str] | None) -> Any:
        return self._client.get_credentials_for_identity(
            IdentityId=identity_id, Logins=logins, CustomRoleArn=self.custom_role_arn
        )

    # -- botocore and boto3 ------------------------------------------------------------------------

    def _metadata(self) -> dict[str, str]:
        """The refresh callback of the botocore credentials: botocore's metadata form."""
        creds = self.get_credentials()
        return {
            "access_key": creds.access_key_id,
            "secret_key": creds.secret_access_key,
            "token": creds.session_token,
            "expiry_time": creds.expiration.isoformat(),
        }

    def botocore_credentials(self) -> RefreshableCredentials:
        """botocore credentials that refresh themselves from this pool when fewer than
        ``refresh_margin`` are left (blocking at half of it)."""
        creds = self.get_credentials()
        margin = int(self.refresh_margin.total_seconds())
        timeouts: dict[str, Any] = (
            {"advisory_timeout": margin, "mandatory_timeout": margin // 2}
            if _HAS_REFRESH_TIMEOUTS
            else {}
        )
        return RefreshableCredentials(
            access_key=creds.access_key_id,
            secret_key=creds.secret_access_key,
            token=creds.session_token,
            expiry_time=creds.expiration,
            refresh_using=self._metadata,
            method=CREDENTIALS_METHOD,
            time_fetcher=self._clock,
            **timeouts,
        )

    def botocore_session(self, region_name: str | None = None) -> botocore.session.Session:
        """A new botocore session whose only credential source is this pool; its region is
        ``region_name``, else the pool's."""
        session = botocore.session.Session()
        session.register_component(
            "credential_provider", CredentialResolver(providers=[_PoolProvider(self)])
        )
        session.set_config_variable("region", region_name or self.region)
        return session

    def boto3_session(self, region_name: str | None = None) -> boto3.Session:
        """A new ``boto3.Session`` on :meth:`botocore_session`: every client it makes signs with
        this pool's credentials and refreshes them. Needs boto3 installed."""
        import boto3

        return boto3.Session(
            botocore_session=self.botocore_session(region_name),
            region_name=region_name or self.region,
        )


class _PoolProvider(CredentialProvider):
    """A botocore credential provider for one :class:`IdentityPoolCredentials`."""

    METHOD = CREDENTIALS_METHOD
    CANONICAL_NAME = "CognitoIdentityPool"

    def __init__(self, source: IdentityPoolCredentials) -> None:
        super().__init__()
        self._source = source

    def load(self) -> RefreshableCredentials:
        return self._source.botocore_credentials()
