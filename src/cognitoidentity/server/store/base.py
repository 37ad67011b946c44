"""The store interface: what the operations need from persistence, and nothing about SQL.

Two implementations keep the same contract: :mod:`.sqlite` (embedded, one machine) and
:mod:`.postgres` (any number of server processes). Records are plain dataclasses; the wire format
never appears here. Methods that must be atomic (limits, read-modify-write of a pool) are single
store calls, so no caller can race between a read and a write.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from cognitoidentity.server.linking import LinkRequest, LoginKey

T = TypeVar("T")


class StoreError(Exception):
    """Root of the store's own errors (never sent to a client as such)."""


class LimitReached(StoreError):
    """A count limit checked atomically inside the store was reached."""


class StoreBusy(StoreError):
    """The database could not take the work within the store's bounded wait: a lock held by
    another connection or process, or no free connection. The work was not done (its transaction,
    if any, rolled back), so the same call may succeed later; the front end answers with a
    retryable throttling error rather than an internal one."""


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccessKey:
    """An access key of an account. The secret is stored encrypted; see ``crypto.SecretBox``."""

    access_key_id: str
    account_id: str
    secret_ciphertext: bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CognitoProvider:
    provider_name: str
    client_id: str
    server_side_token_check: bool = False


@dataclass(frozen=True, slots=True)
class IdentityPool:
    """An identity pool as stored; ``allow_classic_flow`` is None when never set (omitted on the wire)."""

    pool_id: str
    account_id: str
    name: str
    allow_unauthenticated: bool
    created_at: datetime
    allow_classic_flow: bool | None = None
    supported_login_providers: dict[str, str] = field(default_factory=dict)
    developer_provider_name: str | None = None
    openid_connect_provider_arns: tuple[str, ...] = ()
    cognito_identity_providers: tuple[CognitoProvider, ...] = ()
    saml_provider_arns: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    # Role mappings and principal-tag maps are validated wire structures kept as JSON documents.
    role_mappings: dict[str, Any] = field(default_factory=dict)
    principal_tag_maps: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return self.pool_id.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class Identity:
    identity_id: str
    pool_id: str
    created_at: datetime
    last_modified_at: datetime
    disabled: bool = False
    logins: tuple[str, ...] = ()
    """Provider names of the linked logins (never the user identifiers)."""


@dataclass(frozen=True, slots=True)
class Login:
    """One login linked to an identity: a provider and that provider's user identifier."""

    provider: str
    user_id: str
    identity_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LinkResult:
    identity_id: str
    """The identity the logins now belong to (the survivor of any merge)."""
    created: bool
    merged: tuple[str, ...]
    """Identities merged into it, now disabled."""
    logins: tuple[LoginKey, ...]
    """Every login of the identity afterwards."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a keyset listing; ``after`` is the cursor of the next page, None at the end."""

    items: list[T]
    after: int | None


@dataclass(frozen=True, slots=True)
class SigningKeyRecord:
    """A key that signs our OpenID tokens. The private key (PKCS#8 PEM) is sealed with the master
    key, bound to ``kid``; ``public_jwk`` is what the JWKS publishes. At most one key is current
    (``retired_at`` None); a retired key is kept until ``delete_after``."""

    kid: str
    private_key_ciphertext: bytes
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None = None
    delete_after: datetime | None = None


PoolMutation = Callable[[IdentityPool], IdentityPool]


@dataclass(frozen=True, slots=True)
class IamOidcProvider:
    """An IAM OpenID Connect provider of an account (IAM is global: no region). ``arn`` is
    ``arn:aws:iam::<account>:oidc-provider/<url without scheme>``; ``url`` keeps its scheme. Tags
    keep their order."""

    arn: str
    account_id: str
    url: str
    created_at: datetime
    client_ids: tuple[str, ...] = ()
    thumbprints: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IamSamlProvider:
    """An IAM SAML provider of an account: ``arn`` is ``arn:aws:iam::<account>:saml-provider/<name>``
    (names are unique in an account whatever their case); ``metadata_document`` is the IdP's SAML
    metadata XML."""

    arn: str
    account_id: str
    name: str
    metadata_document: str
    created_at: datetime
    valid_until: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)


OidcProviderMutation = Callable[[IamOidcProvider], IamOidcProvider]
SamlProviderMutation = Callable[[IamSamlProvider], IamSamlProvider]


# -- IAM roles and managed policies (``operations/iam_roles.py``, ``operations/iam_policies.py``) --
@dataclass(frozen=True, slots=True)
class IamRole:
    """An IAM role of an account. ``arn`` is ``arn:aws:iam::<account>:role/<path without its
    leading slash><name>``; names are unique in an account whatever their case; ``role_id`` is
    ``AROA…`` (21 characters). ``trust_policy`` and the inline policies' documents are kept as
    written; ``attached_policies`` are managed policy ARNs, in the order they were attached. Tags
    keep their order (their keys are unique whatever their case)."""

    arn: str
    account_id: str
    name: str
    path: str
    role_id: str
    trust_policy: str
    created_at: datetime
    description: str | None = None
    max_session_duration: int = 3600
    permissions_boundary: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    inline_policies: dict[str, str] = field(default_factory=dict)
    attached_policies: tuple[str, ...] = ()
    max_signin_session_duration: int | None = None


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One version of a managed policy: ``v1``, ``v2``... (numbers are never reused)."""

    version_id: str
    document: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IamManagedPolicy:
    """A customer managed policy of an account: ``arn`` is ``arn:aws:iam::<account>:policy<path>
    <name>`` (names unique in an account whatever their case), ``policy_id`` ``ANPA…``.
    ``versions`` oldest first, one of them ``default_version_id``; ``next_version`` is the number
    the next version gets. ``attachment_count`` (roles it is attached to) and
    ``boundary_usage_count`` (roles whose permissions boundary it is) are counted by the store when
    it reads the policy; what is written ignores them."""

    arn: str
    account_id: str
    name: str
    path: str
    policy_id: str
    created_at: datetime
    updated_at: datetime
    versions: tuple[PolicyVersion, ...]
    default_version_id: str = "v1"
    next_version: int = 2
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    attachment_count: int = 0
    boundary_usage_count: int = 0

    @property
    def default_version(self) -> PolicyVersion:
        for version in self.versions:
            if version.version_id == self.default_version_id:
                return version
        raise LookupError(f"{self.arn} has no version {self.default_version_id}")


RoleMutation = Callable[[IamRole], IamRole]
PolicyMutation = Callable[[IamManagedPolicy], IamManagedPolicy]

IamEntity = Literal["role", "policy"]
IamConflict = Literal["managed", "inline", "attached", "versions"]


class IamEntityMissing(StoreError):
    """The role or managed policy a write needs does not exist (in the caller's account)."""

    def __init__(self, entity: IamEntity) -> None:
        super().__init__(f"no such {entity}")
        self.entity: IamEntity = entity


class IamDeleteConflict(StoreError):
    """A delete refused because the entity is in use: ``managed`` (a role with managed policies
    attached), ``inline`` (a role with inline policies), ``attached`` (a policy attached to a role
    or used as a permissions boundary), ``versions`` (a policy with non-default versions)."""

    def __init__(self, reason: IamConflict) -> None:
        super().__init__(f"delete conflict: {reason}")
        self.reason: IamConflict = reason


StoreRecord = (
    Account
    | AccessKey
    | SigningKeyRecord
    | IamOidcProvider
    | IamSamlProvider
    | IamManagedPolicy
    | IamRole
    | IdentityPool
    | Identity
    | Login
)
"""A record of any kind, as :meth:`Store.export_records` reads them and :meth:`Store.import_records`
writes them (an identity's ``logins`` are left empty: logins are records of their own)."""


class Store(Protocol):
    """Persistence for accounts, keys, pools and identities. All methods are safe to call from many
    coroutines and, for PostgreSQL and SQLite alike, from many server processes at once."""

    async def close(self) -> None: ...

    def version(self) -> Hashable | None:
        """The version of the stored data as this process sees it: an answer equal to an earlier
        one means nothing was committed in between, except perhaps while the current request is
        handled (a write that finished before it arrived, in any process, always counts); None
        when the store cannot tell, which is always correct. Lets a caller reuse what it derived
        from stored settings (see ``logins/dispatch.py``)."""
        ...

    # -- accounts and access keys -----------------------------------------------------------
    async def create_account(self, account: Account) -> bool:
        """Insert; False when the account id is taken."""
        ...

    async def get_account(self, account_id: str) -> Account | None: ...

    async def list_accounts(self) -> list[Account]: ...

    async def delete_account(self, account_id: str) -> bool:
        """Delete the account with its keys, pools and identities, IAM providers, roles and
        managed policies; False when absent. Its keys go and its pools are deleted (as by
        :meth:`delete_pool`) at once, then their identities in batches (:mod:`.purge`: other
        writes go on meanwhile), then the rest; the call returns when all is gone."""
        ...

    async def create_access_key(self, key: AccessKey) -> None: ...

    async def get_access_key(self, access_key_id: str) -> AccessKey | None: ...

    async def list_access_keys(self, account_id: str | None = None) -> list[AccessKey]: ...

    async def delete_access_key(self, access_key_id: str) -> bool: ...

    # -- identity pools ----------------------------------------------------------------------
    async def create_pool(self, pool: IdentityPool, *, max_pools: int) -> None:
        """Insert the pool; raise :class:`LimitReached` if its account already has ``max_pools``
        pools. The count and the insert are one transaction."""
        ...

    async def get_pool(self, pool_id: str) -> IdentityPool | None: ...

    async def update_pool(self, pool_id: str, mutate: PoolMutation) -> IdentityPool | None:
        """Read the pool under a write lock, replace it with ``mutate(pool)`` and return the new
        value; None when absent. An exception from ``mutate`` aborts without writing."""
        ...

    async def delete_pool(self, pool_id: str) -> bool:
        """Delete the pool and every identity in it; False when absent. Only the pool's mark is
        written here: from then on no read finds the pool or its identities, which
        :meth:`purge_deleted_pool` deletes later (:mod:`.purge`)."""
        ...

    async def deleted_pools(self) -> list[int]:
        """The keys of the pools deleted whose identities are not all gone yet, oldest first."""
        ...

    async def purge_deleted_pool(self, key: int, *, limit: int) -> int:
        """Delete up to ``limit`` identities (with their logins) of the deleted pool ``key`` in one
        transaction, and the pool itself when fewer were left; return how many identities went
        (fewer than ``limit``: the pool is gone). Safe from several processes at once."""
        ...

    async def compact(self) -> None:
        """Give the disk back what a large delete left in the store's files (SQLite's
        write-ahead log); best effort."""
        ...

    async def list_pools(
        self, account_id: str, region: str, *, after: int | None, limit: int
    ) -> Page[IdentityPool]:
        """The account's pools in ``region``, oldest first, ``limit`` at most, after the cursor."""
        ...

    # -- identities --------------------------------------------------------------------------
    async def create_identity(self, identity: Identity) -> None: ...

    async def create_guest_identity(self, identity: Identity) -> bool:
        """Insert ``identity`` only if its pool exists and allows unauthenticated identities, in
        one statement (GetId's hot path reads nothing first); False when nothing was inserted."""
        ...

    async def get_identity(self, identity_id: str) -> Identity | None: ...

    async def get_identity_and_pool(self, identity_id: str) -> tuple[Identity, IdentityPool] | None:
        """The identity and its pool, read together (one round trip: the public operations need
        both on every call)."""
        ...

    async def list_identities(
        self, pool_id: str, *, hide_disabled: bool, after: int | None, limit: int
    ) -> Page[Identity]:
        """The pool's identities, oldest first, ``limit`` at most, after the cursor."""
        ...

    async def delete_identities(self, account_id: str, identity_ids: Sequence[str]) -> list[str]:
        """Delete those of the given identities whose pool belongs to ``account_id``; return the ids
        that exist but belong to another account (left untouched). Unknown ids are ignored."""
        ...

    # -- OpenID token signing keys -------------------------------------------------------------
    # -- logins --------------------------------------------------------------------------------
    async def link_logins(self, pool_id: str, request: LinkRequest, now: datetime) -> LinkResult:
        """Attach ``request.logins`` to identities of ``pool_id`` in one transaction: load the
        :class:`~cognitoidentity.server.linking.Snapshot` (the owners of the presented logins and
        the named identity, with all their logins) under a write lock, ask
        :func:`~cognitoidentity.server.linking.plan_links`, and apply the plan (create the new
        identity, move merged identities' logins and disable them, insert new logins, set
        ``last_modified_at`` of changed identities to ``now``). An error raised by the planner
        propagates with nothing written. Concurrent calls presenting the same new login end on one
        identity (the unique key on logins decides; the loser retries)."""
        ...

    async def remove_logins(
        self,
        identity_id: str,
        *,
        providers: Sequence[str] = (),
        logins: Sequence[LoginKey] = (),
        now: datetime,
    ) -> int:
        """Remove the identity's logins of ``providers`` and the exact ``logins``; return how many
        went. ``last_modified_at`` becomes ``now`` when any did."""
        ...

    async def list_logins(self, identity_id: str) -> list[Login]:
        """The identity's logins, oldest first."""
        ...

    async def find_login(self, pool_id: str, login: LoginKey) -> str | None:
        """The identity that ``login`` belongs to in the pool, if any."""
        ...

    async def list_provider_logins(
        self,
        pool_id: str,
        provider: str,
        *,
        identity_id: str | None,
        after: int | None,
        limit: int,
    ) -> Page[Login]:
        """Logins of one provider in the pool (only ``identity_id``'s when given), oldest first,
        keyset-paginated like the other listings (LookupDeveloperIdentity)."""
        ...

    # -- OpenID signing keys -----------------------------------------------------------------
    async def create_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert ``key`` as the current key, unless a current key exists (then False). Atomic: of
        several processes creating the first key at once, exactly one succeeds."""
        ...

    async def list_signing_keys(self, *, now: datetime | None = None) -> list[SigningKeyRecord]:
        """The stored keys, the current one first, then the newest first; with ``now``, only those
        not past ``delete_after``."""
        ...

    async def rotate_signing_key(
        self, new: SigningKeyRecord, retired_at: datetime, delete_after: datetime
    ) -> None:
        """In one transaction: retire every current key (setting ``retired_at`` and
        ``delete_after``) and insert ``new`` as the current key."""
        ...

    async def purge_signing_keys(self, now: datetime) -> int:
        """Delete the retired keys whose ``delete_after`` is at or before ``now``; return how many."""
        ...

    # -- IAM identity providers ----------------------------------------------------------------
    # Every lookup is scoped to an account: a provider of another account is not found, whatever
    # its ARN says. Updates read the row under a write lock, call ``mutate`` and write the mutable
    # fields back (OIDC: client ids, thumbprints, tags; SAML: metadata, valid_until, tags); an
    # exception from ``mutate`` aborts without writing.
    async def create_oidc_provider(self, provider: IamOidcProvider) -> bool:
        """Insert; False when the ARN is taken."""
        ...

    async def get_oidc_provider(self, account_id: str, arn: str) -> IamOidcProvider | None: ...

    async def list_oidc_providers(self, account_id: str) -> list[IamOidcProvider]:
        """The account's OIDC providers in ARN order (bytewise)."""
        ...

    async def update_oidc_provider(
        self, account_id: str, arn: str, mutate: OidcProviderMutation
    ) -> IamOidcProvider | None:
        """Replace the provider with ``mutate(provider)`` atomically; None when absent."""
        ...

    async def delete_oidc_provider(self, account_id: str, arn: str) -> bool: ...

    async def create_saml_provider(self, provider: IamSamlProvider) -> bool:
        """Insert; False when the ARN, or the name in any case, is taken in the account."""
        ...

    async def get_saml_provider(self, account_id: str, arn: str) -> IamSamlProvider | None: ...

    async def list_saml_providers(self, account_id: str) -> list[IamSamlProvider]:
        """The account's SAML providers in ARN order (bytewise)."""
        ...

    async def update_saml_provider(
        self, account_id: str, arn: str, mutate: SamlProviderMutation
    ) -> IamSamlProvider | None:
        """Replace the provider with ``mutate(provider)`` atomically; None when absent."""
        ...

    async def delete_saml_provider(self, account_id: str, arn: str) -> bool: ...

    # -- IAM roles and managed policies --------------------------------------------------------
    # Scoped to an account like the providers. Role names are looked up whatever their case.
    # Updates read the row under a write lock, call ``mutate`` and write the mutable fields back
    # (role: trust policy, description, durations, boundary, tags, inline policies; policy:
    # versions, default version, next version number, description, tags, ``updated_at``); an
    # exception from ``mutate`` aborts without writing. Attachments change only through
    # attach/detach, and never name a policy that does not exist.
    async def create_role(self, role: IamRole, *, max_roles: int) -> bool:
        """Insert; False when the name (in any case) is taken in the account. Raise
        :class:`LimitReached` when the account has ``max_roles`` roles, and
        :class:`IamEntityMissing` ("policy") when ``permissions_boundary`` names no managed policy
        of the account; the checks and the insert are one transaction."""
        ...

    async def get_role(self, account_id: str, name: str) -> IamRole | None:
        """The role named ``name`` in any case."""
        ...

    async def get_role_by_arn(self, account_id: str, arn: str) -> IamRole | None:
        """The role whose ARN is exactly ``arn`` (path included)."""
        ...

    async def list_roles(
        self, account_id: str, *, path_prefix: str, after: int | None, limit: int
    ) -> Page[IamRole]:
        """The account's roles whose path starts with ``path_prefix``, oldest first."""
        ...

    async def update_role(self, account_id: str, name: str, mutate: RoleMutation) -> IamRole | None:
        """Replace the role with ``mutate(role)`` atomically; None when absent. Raise
        :class:`IamEntityMissing` ("policy") when the new ``permissions_boundary`` names no
        managed policy of the account."""
        ...

    async def delete_role(self, account_id: str, name: str) -> bool:
        """Delete; False when absent. Raise :class:`IamDeleteConflict` (``managed``, then
        ``inline``) while policies are attached or inline policies remain, checked in the same
        transaction as the delete."""
        ...

    async def attach_role_policy(
        self, account_id: str, role_name: str, policy_arn: str, *, max_attached: int
    ) -> None:
        """Attach (nothing changes when attached already). Raise :class:`IamEntityMissing` for a
        missing role, then a missing policy, and :class:`LimitReached` when the role has
        ``max_attached`` policies; one transaction, which a concurrent delete of the policy either
        precedes (then the policy is missing) or follows (then it finds the attachment)."""
        ...

    async def detach_role_policy(self, account_id: str, role_name: str, policy_arn: str) -> None:
        """Detach. Raise :class:`IamEntityMissing` for a missing role, or ("policy") when the
        policy is not attached to it."""
        ...

    async def create_policy(self, policy: IamManagedPolicy, *, max_policies: int) -> bool:
        """Insert; False when the name (in any case) is taken in the account. Raise
        :class:`LimitReached` when the account has ``max_policies`` policies (one transaction)."""
        ...

    async def get_policy(self, account_id: str, arn: str) -> IamManagedPolicy | None: ...

    async def list_policies(
        self,
        account_id: str,
        *,
        path_prefix: str,
        attached: bool,
        usage: Literal["PermissionsPolicy", "PermissionsBoundary"] | None,
        after: int | None,
        limit: int,
    ) -> Page[IamManagedPolicy]:
        """The account's policies whose path starts with ``path_prefix``, oldest first; with
        ``attached``, only those in use: attached to a role (``usage`` PermissionsPolicy), used
        as a permissions boundary (PermissionsBoundary), either (None)."""
        ...

    async def update_policy(
        self, account_id: str, arn: str, mutate: PolicyMutation
    ) -> IamManagedPolicy | None:
        """Replace the policy with ``mutate(policy)`` atomically; None when absent."""
        ...

    async def delete_policy(self, account_id: str, arn: str) -> bool:
        """Delete; False when absent. Raise :class:`IamDeleteConflict`: ``attached`` while a role
        has it attached or as its permissions boundary, then ``versions`` while it has more than
        one version; checked in the same transaction as the delete."""
        ...

    # -- backup and declared configuration (``server/backup.py``, ``server/config/``) ----------
    def export_records(self, *, identities: bool = True) -> AsyncGenerator[StoreRecord, None]:
        """Every record, read from one consistent snapshot and streamed (memory does not grow with
        the store), in an order where each record comes after those it needs: accounts, access
        keys, signing keys, OIDC providers, SAML providers (each by id or ARN, bytewise), managed
        policies, roles (with their attached policies), pools, then with ``identities`` the
        identities and the logins (each oldest first)."""
        ...

    async def import_records(self, records: Sequence[StoreRecord]) -> None:
        """Insert ``records`` as they are (ids, times, sealed secrets), in one transaction and in
        the order given within each kind, so that listings keep their order; what a record needs
        must be stored already or come earlier in ``records``. A login's pool is its identity's.
        Raises :class:`StoreError` (or the database's error) on a conflict, writing nothing."""
        ...

    async def rename_account(self, account_id: str, name: str) -> bool:
        """Set the account's name; False when absent."""
        ...
