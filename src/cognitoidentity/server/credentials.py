"""Temporary credentials that any server process can verify without the database.

A set of temporary credentials is an access key id (``ASIA`` and 16 base-32 characters), a random
40-character secret and a session token. The token *is* the session: the secret and the session's
fields (account, role, session name, identity, pool, provider, tags, expiry) sealed with AES-256-GCM
under a key derived from the master key for this purpose only, bound to the access key id as
associated data. A process that holds the master key opens it in a few microseconds and knows the
secret to check the SigV4 signature with; nothing is stored, so nothing can be looked up or revoked
before the token expires (as with AWS, where a session lasts until its expiry).

The session also carries what later authorization decisions need (:mod:`.authorization`,
:mod:`.session_context`): the role's id as our IAM knows it (``AROA…``, when the role exists there;
otherwise one derived from the ARN), the web identity token's ``amr``, the session policy
(``Policy``) and policy ARNs (``PolicyArns``) of AssumeRoleWithWebIdentity, and the time it was
issued (``aws:TokenIssueTime``). The role's own policies are not sealed: they are read when a
decision is made, so a change to the role applies to its live sessions, as on AWS.

Token layout (before base64url, unpadded): :class:`~.crypto.EpochBox`'s (a version byte, the hour
it was sealed in, whose own derived key sealed it, the 12-byte nonce), then the AES-GCM ciphertext
and tag of an orjson array ``[2, access key id, secret, account, role ARN, session name, expiry
(epoch seconds), identity id, pool id, provider, {tag: value}, role id or null, [amr...], session
policy or null, [policy ARN...], issued (epoch seconds)]``. Documents of format 1 (the first eleven
members, sealed before sessions carried the rest) are still opened until they expire (12 hours at
most): their sessions have the derived role id, no ``amr``, no session policy. Tokens of the first
layout (the nonce first, one key for every token) are still opened until they expire too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import orjson

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.crypto import NONCE_BYTES, EpochBox, MasterKey, SealError
from cognitoidentity.server.errors import ExpiredTokenException
from cognitoidentity.server.ids import RandomBytes
from cognitoidentity.server.sigv4 import CredentialResolver, ResolvedCredential

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics

__all__ = [
    "EXPIRED_TOKEN_MESSAGE",
    "SESSION_TOKEN_PURPOSE",
    "TEMPORARY_KEY_PREFIX",
    "CredentialVault",
    "InvalidSessionToken",
    "IssueTimes",
    "Session",
    "SessionExpired",
    "TemporaryCredentialResolver",
    "TemporaryCredentials",
    "VaultError",
    "new_temporary_access_key_id",
    "new_temporary_secret",
    "role_id",
    "role_name",
]

SESSION_TOKEN_PURPOSE: Final = "sts-session-tokens/v2"  # noqa: S105 (a key-derivation label)
_V1_PURPOSE: Final = "sts-session-tokens/v1"  # tokens sealed before keys were per hour
MAX_SESSION_SECONDS: Final = 43_200
"""The longest a session lasts (STS's ``DurationSeconds`` maximum): older tokens never open."""
TEMPORARY_KEY_PREFIX: Final = "ASIA"
ROLE_ID_PREFIX: Final = "AROA"
EXPIRED_TOKEN_MESSAGE: Final = "The security token included in the request is expired"  # noqa: S105
_FORMAT_VERSION: Final = 2
_FORMAT_1_MEMBERS: Final = 11
"""A format-1 document: the members before the role id."""
_MAX_TOKEN_CHARS: Final = 16_384
"""Longer session tokens are refused before any decoding (a session with 50 tags is ~10 KB)."""
OPENED_SESSIONS_MAX: Final = 4096
"""Opened session tokens a vault keeps (:class:`CredentialVault`'s "opened sessions" cache):
about one per client calling with temporary credentials within the last hour."""


class VaultError(Exception):
    """A session token that cannot be used."""


class InvalidSessionToken(VaultError):
    """Tampered with, truncated, sealed under another master key, or for another access key."""


class SessionExpired(VaultError):
    """Genuine, but past its expiry."""

    def __init__(self, session: Session) -> None:
        super().__init__(f"session expired at {session.expires_at.isoformat()}")
        self.session = session


_BASE32_OF_BYTE: Final = bytes(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[b % 32] for b in range(256))
"""Byte → its low 5 bits as a base-32 character: uniform, since 256 is a multiple of 32."""
_KEY_ID_BYTES: Final = 16
_SECRET_BYTES: Final = 30
_ISSUE_BYTES: Final = _KEY_ID_BYTES + _SECRET_BYTES + NONCE_BYTES
"""Random bytes one issue takes at once: the access key id's, the secret's and the nonce's."""
_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")


def new_temporary_access_key_id(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """``ASIA`` and 16 characters of ``[A-Z2-7]`` (80 random bits, base 32): one random byte per
    character (a table lookup, where ``base64.b32encode`` is a Python loop)."""
    return TEMPORARY_KEY_PREFIX + random_bytes(_KEY_ID_BYTES).translate(_BASE32_OF_BYTE).decode()


def new_temporary_secret(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """40 characters of ``[A-Za-z0-9+/]`` (240 random bits), the form of an AWS secret key."""
    return binascii.b2a_base64(random_bytes(_SECRET_BYTES), newline=False).decode()


def role_name(role_arn: str) -> str:
    """``arn:aws:iam::123456789012:role/path/MyRole`` → ``MyRole`` (the last path segment)."""
    resource = role_arn.split(":", 5)[-1]
    return resource.rsplit("/", 1)[-1]


def role_id(role_arn: str) -> str:
    """A stable unique id for a role our IAM does not hold: ``AROA`` and 17 base-32 characters of
    the ARN's SHA-256.

    IAM gives each role a random id at creation (a role of our IAM has its own, which sessions
    carry); for a role ARN that names none, the id is derived from the ARN, the same in every
    process and across restarts."""
    digest = base64.b32encode(hashlib.sha256(role_arn.encode()).digest()).decode()
    return ROLE_ID_PREFIX + digest[:17]


ContextParts = tuple[dict[str, str], str | None, dict[str, str], dict[str, str]]
"""A session's part of its request context (:mod:`.session_context`): the principal's keys, the
issue time, the session's principal tags and the web identity's keys (``amr`` aside)."""


# Session and TemporaryCredentials are made for every credentials issued (and every call signed
# with them): not frozen, since a frozen dataclass's __init__ sets each field through
# object.__setattr__ (1.9 µs against 0.6 for a Session). Nothing changes them once made.
@dataclass(slots=True)
class Session:
    """Who temporary credentials act as, and until when."""

    account_id: str
    role_arn: str
    session_name: str
    expires_at: datetime
    source_identity_id: str | None = None
    """The Cognito identity (``sub`` of the web identity token) the session was made for."""
    pool_id: str | None = None
    provider: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    iam_role_id: str | None = None
    """The role's id (``AROA…``) in our IAM when the role exists there; None: derived from the
    ARN (:func:`role_id`)."""
    amr: tuple[str, ...] = ()
    """The web identity token's ``amr`` (``cognito-identity.amazonaws.com:amr``)."""
    policy: str | None = None
    """The session policy (AssumeRoleWithWebIdentity's ``Policy``), as passed and validated."""
    policy_arns: tuple[str, ...] = ()
    """The managed session policies (``PolicyArns``), by ARN."""
    issued_at: datetime | None = None
    """When the credentials were issued (``aws:TokenIssueTime``, to the second); None: unknown
    (format 1). The operations that issue credentials set it."""
    context_parts: ContextParts | None = field(default=None, init=False, repr=False, compare=False)
    """What :func:`.session_context.session_context` takes from the session alone, made on its
    first call: derived from the fields above, which never change."""

    @property
    def role_name(self) -> str:
        return role_name(self.role_arn)

    @property
    def role_id(self) -> str:
        """The role's ``AROA…`` id: our IAM's when the role exists there, else derived."""
        return self.iam_role_id or role_id(self.role_arn)

    @property
    def has_session_policy(self) -> bool:
        """Whether session policies narrow the role's permissions (an inline one, or ARNs)."""
        return self.policy is not None or bool(self.policy_arns)

    @property
    def assumed_role_arn(self) -> str:
        """``arn:aws:sts::ACCOUNT:assumed-role/ROLE_NAME/SESSION_NAME``."""
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"

    @property
    def assumed_role_id(self) -> str:
        """``AROA…:SESSION_NAME``, STS's ``AssumedRoleId`` and GetCallerIdentity's ``UserId``."""
        return f"{self.role_id}:{self.session_name}"


@dataclass(slots=True)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _to_the_second(moment: datetime, epoch: int) -> datetime:
    """``datetime.fromtimestamp(epoch, UTC)`` for ``epoch = _epoch(moment)``: ``moment`` itself
    when it is that already (UTC, whole seconds: what the operations pass)."""
    if moment.microsecond == 0 and moment.tzinfo is UTC:
        return moment
    return datetime.fromtimestamp(epoch, UTC)


_ONE_SECOND: Final = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class IssueTimes:
    """A second of the clock as credentials issued in it need it (:meth:`CredentialVault.times`):
    the second (``now.replace(microsecond=0)``) and the expiry ``lifetime`` after it, with their
    epoch seconds."""

    now: datetime
    until: datetime
    """The next second: :attr:`now` stands for every clock reading before it (from ``now`` on)."""
    epoch: int
    lifetime: timedelta
    expires_at: datetime
    expires: int


class OpenedSession:
    """A session token opened: its secret and session, and the span of the clock (epoch seconds,
    ``valid_from`` included, ``valid_until`` not) in which opening it again gives the same answer:
    until the session expires, and while the box still opens the epoch it was sealed in."""

    __slots__ = ("resolved", "secret", "session", "valid_from", "valid_until")

    def __init__(
        self, secret: str, session: Session, valid_from: float, valid_until: float
    ) -> None:
        self.secret = secret
        self.session = session
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.resolved: ResolvedCredential | None = None
        """What :class:`TemporaryCredentialResolver` made of it, made once."""


class CredentialVault:
    """Issues temporary credentials and opens their session tokens; stateless, so every process
    given the same master key accepts what any of them issued.

    Opened tokens are kept (the "opened sessions" cache, ``caches`` False: none): a token's
    sealed contents never change, so opening the same token for the same access key id again
    gives the same secret and session, as long as the clock is within the span in which it
    opens (:class:`OpenedSession`), which is checked at every use."""

    def __init__(
        self,
        master_key: MasterKey,
        clock: Callable[[], datetime],
        *,
        metrics: Metrics | None = None,
        caches: bool = True,
    ) -> None:
        self._random = RandomBytes()
        self._box = EpochBox(
            master_key,
            SESSION_TOKEN_PURPOSE,
            max_age_seconds=MAX_SESSION_SECONDS,
            random_bytes=self._random,
        )
        self._v1 = master_key.box(_V1_PURPOSE)
        self._clock = clock
        self._metrics = metrics
        self._opened: Cache[tuple[str, str], OpenedSession] = Cache(
            "opened sessions",
            rule="keyed by the access key id and the exact session token, whose sealed contents"
            " never change: never invalidated; each use checks the clock against the span the"
            " token opens in (its expiry, its sealing epoch's age), and an entry outside it is"
            " dropped and the token opened anew",
            max_entries=OPENED_SESSIONS_MAX,
            enabled=caches,
        )
        self._times: IssueTimes | None = None
        """What :meth:`times` answered last."""

    def times(self, now: datetime, lifetime: timedelta) -> IssueTimes:
        """``now`` to the second and the expiry ``lifetime`` after it, for credentials issued now.

        A pure function of ``now``'s second, zone and ``lifetime``, so made once per second and
        reused (a memo, not a cache of data that can change): ``replace`` and ``timestamp`` were
        most of what a credentials request spent over 6069133 (bench/README, issue 12).
        :meth:`issue` knows the epoch seconds of a session made with these very datetimes."""
        kept = self._times
        if (
            kept is not None
            and now.tzinfo is kept.now.tzinfo  # (first: naive and aware never compare)
            and kept.now <= now < kept.until
            and lifetime == kept.lifetime
        ):
            return kept
        second = now.replace(microsecond=0)
        expires_at = second + lifetime
        kept = self._times = IssueTimes(
            second, second + _ONE_SECOND, _epoch(second), lifetime, expires_at, _epoch(expires_at)
        )
        return kept

    def issue(self, session: Session) -> TemporaryCredentials:
        """New credentials for ``session``; they work until ``session.expires_at`` (to the second).

        ``session.issued_at``, when set, is the clock's current second (as the operations set
        it): the token is sealed in its epoch."""
        # One take of random bytes (one lock) for the key id, the secret and the nonce: the
        # forms of new_temporary_access_key_id and new_temporary_secret.
        taken = self._random(_ISSUE_BYTES)
        access_key_id = (
            TEMPORARY_KEY_PREFIX + taken[:_KEY_ID_BYTES].translate(_BASE32_OF_BYTE).decode()
        )
        # b2a_base64(...)[:-1] drops the newline: newline=False costs a keyword's parsing.
        secret = binascii.b2a_base64(taken[_KEY_ID_BYTES : _KEY_ID_BYTES + _SECRET_BYTES])[
            :-1
        ].decode()
        expires_at = session.expires_at
        issued_at = session.issued_at
        # The operations set issued_at to the clock's second: sealing under it rather than
        # reading the clock again (a datetime.now) is at most one second earlier, and the box
        # opens epochs from well before now's to one after it, so the token opens the same.
        # Datetimes made by times() (the very objects: they are immutable) have their epoch
        # seconds there.
        times = self._times
        if times is not None and expires_at is times.expires_at:
            expires = times.expires
        else:
            expires = _epoch(expires_at)
        now: float
        if times is not None and issued_at is times.now:
            now = times.epoch
        else:
            now = (self._clock() if issued_at is None else issued_at).timestamp()
        document = orjson.dumps(
            [
                _FORMAT_VERSION,
                access_key_id,
                secret,
                session.account_id,
                session.role_arn,
                session.session_name,
                expires,
                session.source_identity_id,
                session.pool_id,
                session.provider,
                session.tags,
                session.iam_role_id,
                session.amr,
                session.policy,
                session.policy_arns,
                None if issued_at is None else int(now),
            ]
        )
        # Positional arguments here and below: keyword binding costs on every issue.
        sealed = self._box.seal(
            document, access_key_id.encode(), now, taken[_KEY_ID_BYTES + _SECRET_BYTES :]
        )
        # base64.urlsafe_b64encode, without its two calls (and without the newline, by slicing).
        token = binascii.b2a_base64(sealed)[:-1].translate(_URLSAFE).rstrip(b"=").decode()
        if self._metrics is not None:
            self._metrics.credentials_issued()
        return TemporaryCredentials(
            access_key_id,  # access_key_id
            secret,  # secret_access_key
            token,  # session_token
            _to_the_second(expires_at, expires),  # expiration
        )

    def open(self, access_key_id: str, session_token: str) -> tuple[str, Session]:
        """The secret and the session of a token issued with ``access_key_id``.

        Raises :class:`InvalidSessionToken` for anything not issued by a vault with this master key
        for this key id, and :class:`SessionExpired` once the session is over."""
        opened = self.opened(access_key_id, session_token)
        return opened.secret, opened.session

    def opened(self, access_key_id: str, session_token: str) -> OpenedSession:
        """:meth:`open`'s answer as an :class:`OpenedSession`, kept for the next use of the same
        token (see the class's doc)."""
        key = (access_key_id, session_token)
        kept = self._opened.get(key)
        if kept is not None:
            now = self._clock().timestamp()
            if kept.valid_from <= now < kept.valid_until:
                return kept
            self._opened.discard(key)  # expired, or the clock moved: open it anew to say why
        opened = self._open(access_key_id, session_token)
        self._opened.put(key, opened)
        return opened

    def _open(self, access_key_id: str, session_token: str) -> OpenedSession:
        if len(session_token) > _MAX_TOKEN_CHARS or not session_token.isascii():
            raise InvalidSessionToken("session token is malformed")
        try:
            sealed = base64.urlsafe_b64decode(session_token + "=" * (-len(session_token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise InvalidSessionToken("session token is not base64url") from exc
        try:
            plaintext, span = self._unseal(sealed, access_key_id.encode())
            document = orjson.loads(plaintext)
            version, sealed_key_id, secret, account_id, role_arn, session_name, expires = document[
                :7
            ]
            identity_id, pool_id, provider, tags = document[7:_FORMAT_1_MEMBERS]
            iam_role_id, amr, policy, policy_arns, issued = _later_members(version, document)
        except (SealError, orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise InvalidSessionToken("session token does not verify") from exc
        if sealed_key_id != access_key_id:
            raise InvalidSessionToken("session token is not for this access key")
        session = Session(
            account_id=account_id,
            role_arn=role_arn,
            session_name=session_name,
            expires_at=datetime.fromtimestamp(expires, UTC),
            source_identity_id=identity_id,
            pool_id=pool_id,
            provider=provider,
            tags=tags,
            iam_role_id=iam_role_id,
            amr=tuple(amr),
            policy=policy,
            policy_arns=tuple(policy_arns),
            issued_at=None if issued is None else datetime.fromtimestamp(issued, UTC),
        )
        if _epoch(self._clock()) >= expires:
            raise SessionExpired(session)
        if span is None:  # the first layout: no epoch to age
            return OpenedSession(secret, session, float("-inf"), expires)
        return OpenedSession(secret, session, span[0], min(expires, span[1]))

    def _unseal(self, sealed: bytes, aad: bytes) -> tuple[bytes, tuple[float, float] | None]:
        """The plaintext, and the span of the clock in which the box opens it (None: a token of
        the first layout, which has no epoch)."""
        try:
            plaintext = self._box.open(sealed, aad, self._clock().timestamp())
        except SealError:
            # A token of the first layout (from before an upgrade) starts with its random nonce,
            # which may even look like this layout's version byte.
            return self._v1.open(sealed, aad), None
        return plaintext, self._box.opening_span(sealed)


_Later = tuple[str | None, list[str], str | None, list[str], int | None]


def _later_members(version: object, document: list[object]) -> _Later:
    """The members format 2 added (role id, amr, session policy, policy ARNs, issue time), or
    what a format-1 session stands for; raises ValueError for any other format."""
    if version == 1 and len(document) == _FORMAT_1_MEMBERS:
        return None, [], None, [], None
    if version != _FORMAT_VERSION or len(document) != _FORMAT_1_MEMBERS + 5:
        raise ValueError(f"unknown session token format {version!r}")
    iam_role_id, amr, policy, policy_arns, issued = document[_FORMAT_1_MEMBERS:]
    if not isinstance(amr, list) or not isinstance(policy_arns, list):
        raise ValueError("malformed session token")
    return (
        iam_role_id if isinstance(iam_role_id, str) else None,
        [str(entry) for entry in amr],
        policy if isinstance(policy, str) else None,
        [str(arn) for arn in policy_arns],
        issued if isinstance(issued, int) else None,
    )


class TemporaryCredentialResolver:
    """SigV4's credential lookup for temporary and long-term keys alike.

    An ``ASIA`` key with a session token is checked by opening the token, without the database; an
    expired one answers ``ExpiredTokenException`` ("The security token included in the request is
    expired"), and one that does not open is unknown (``UnrecognizedClientException``, "The
    security token included in the request is invalid."). Every other key goes to ``long_term``."""

    def __init__(self, vault: CredentialVault, long_term: CredentialResolver) -> None:
        self._vault = vault
        self._long_term = long_term

    async def __call__(
        self, access_key_id: str, session_token: str | None
    ) -> ResolvedCredential | None:
        if session_token is None or not access_key_id.startswith(TEMPORARY_KEY_PREFIX):
            return await self._long_term(access_key_id, session_token)
        try:
            opened = self._vault.opened(access_key_id, session_token)
        except SessionExpired as exc:
            raise ExpiredTokenException(EXPIRED_TOKEN_MESSAGE) from exc
        except VaultError:
            return None
        resolved = opened.resolved
        if resolved is None:
            session = opened.session
            resolved = opened.resolved = ResolvedCredential(
                secret_access_key=opened.secret,
                account_id=session.account_id,
                principal_arn=session.assumed_role_arn,
                session=session,
            )
        return resolved
