"""How presented logins attach to identities: create, link, merge. A pure planner.

The store loads a :class:`Snapshot` (the identities the logins belong to, and the identity the call
names) under a write lock, asks :func:`plan_links` what to do, and applies the :class:`LinkPlan` in
the same transaction, so concurrent calls never see half a link or merge. The rules, from the API
reference and the Developer Guide:

- GetId: "Supplying multiple logins will create an implicit linked account." The same login always
  maps to the same identity; a login nobody has yet makes a new identity.
- GetOpenIdToken: "if the login is already associated with a different identity, the identities
  are merged"; "Only one login per public provider"; an authenticated identity must be reached with
  one of its own logins ("Logins don't match...").
- "The number of linked logins is limited to 20" (MergeDeveloperIdentities).
- GetOpenIdTokenForDeveloperIdentity: a developer user identifier already on another identity
  than the one named is ``DeveloperUserAlreadyRegisteredException``.

Invariant: a disabled identity owns no login (a merge moves every login to the survivor before it
disables the others), so the owner of a login is always enabled.

**Choice** (AWS does not document it): when identities merge, the survivor is the oldest
authenticated identity among those involved (an unauthenticated identity never survives an
authenticated one), unless the call says the named identity survives (MergeDeveloperIdentities).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cognitoidentity.server.api.cognito_identity import (
    DeveloperUserAlreadyRegisteredException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)

MAX_LOGINS = 20
LOGINS_DONT_MATCH = "Logins don't match. Please include at least one valid login for this identity or identity pool."


def forbidden(identity_id: str) -> NotAuthorizedException:
    """What a disabled identity (merged into another) answers with."""
    return NotAuthorizedException(f"Access to Identity '{identity_id}' is forbidden.")


@dataclass(frozen=True, slots=True, order=True)
class LoginKey:
    provider: str
    user_id: str


@dataclass(frozen=True, slots=True)
class IdentityState:
    identity_id: str
    created_at: datetime
    disabled: bool
    logins: tuple[LoginKey, ...]


@dataclass(frozen=True, slots=True)
class LinkRequest:
    """What a call presents: verified ``logins``, and maybe the identity it names."""

    logins: tuple[LoginKey, ...]
    new_identity_id: str
    """The id a new identity gets, if one is needed."""
    identity_id: str | None = None
    survivor: Literal["oldest", "named"] = "oldest"
    require_own_login: bool = True
    """An authenticated named identity must be presented with one of its own logins."""
    developer_provider: str | None = None
    """Logins of this provider are developer user identifiers: several may sit on one identity."""
    developer_already_registered: bool = True
    """A developer login owned by another identity than the named one is
    ``DeveloperUserAlreadyRegisteredException`` (GetOpenIdTokenForDeveloperIdentity), rather than a
    merge (MergeDeveloperIdentities)."""
    max_logins: int = MAX_LOGINS


@dataclass(frozen=True, slots=True)
class Snapshot:
    owners: Mapping[LoginKey, IdentityState]
    """The identity each presented login belongs to now (absent: nobody's yet)."""
    named: IdentityState | None = None


@dataclass(frozen=True, slots=True)
class LinkPlan:
    target: str
    create: bool
    add: tuple[LoginKey, ...]
    """Logins to insert for the target."""
    merge: tuple[str, ...] = ()
    """Identities whose logins all move to the target, and which are then disabled."""
    logins_after: tuple[LoginKey, ...] = field(default=())

    @property
    def changes(self) -> bool:
        return self.create or bool(self.add) or bool(self.merge)


def plan_links(request: LinkRequest, snapshot: Snapshot) -> LinkPlan:
    named = snapshot.named
    if request.identity_id is not None:
        if named is None:
            raise ResourceNotFoundException(f"Identity '{request.identity_id}' not found.")
        if named.disabled:
            raise forbidden(named.identity_id)
        if (
            request.require_own_login
            and named.logins
            and not set(request.logins) & set(named.logins)
        ):
            raise NotAuthorizedException(LOGINS_DONT_MATCH)
    owners = {key: state for key, state in snapshot.owners.items() if key in request.logins}
    for key, state in owners.items():
        if state.disabled:
            raise forbidden(state.identity_id)
        if (
            named is not None
            and request.developer_already_registered
            and key.provider == request.developer_provider
            and state.identity_id != named.identity_id
        ):
            raise DeveloperUserAlreadyRegisteredException(
                f"Developer user identifier '{key.user_id}' is already registered to another "
                "identity."
            )

    involved: dict[str, IdentityState] = {s.identity_id: s for s in owners.values()}
    if named is not None:
        involved.setdefault(named.identity_id, named)
    if not involved:
        target = request.new_identity_id
        create = True
        survivor_logins: tuple[LoginKey, ...] = ()
    else:
        create = False
        if request.survivor == "named" and named is not None:
            survivor = named
        else:
            authenticated = [s for s in involved.values() if s.logins]
            pool = authenticated or list(involved.values())
            survivor = min(pool, key=lambda s: (s.created_at, s.identity_id))
        target = survivor.identity_id
        survivor_logins = survivor.logins
    merge = tuple(sorted(i for i in involved if i != target))
    moved = [key for i in merge for key in involved[i].logins]
    existing = set(survivor_logins) | set(moved)
    add = tuple(sorted({key for key in request.logins if key not in existing}))
    after = tuple(sorted(existing | set(add)))
    _check_one_per_provider(after, request.developer_provider)
    if len(after) > request.max_logins:
        raise ResourceConflictException(
            f"The number of linked logins is limited to {request.max_logins}."
        )
    return LinkPlan(target=target, create=create, add=add, merge=merge, logins_after=after)


def _check_one_per_provider(logins: tuple[LoginKey, ...], developer_provider: str | None) -> None:
    """ "Only one login per public provider": an identity cannot hold two users of one provider."""
    seen: dict[str, str] = {}
    for key in logins:
        if key.provider == developer_provider:
            continue
        other = seen.setdefault(key.provider, key.user_id)
        if other != key.user_id:
            raise ResourceConflictException(
                f"A different login of {key.provider} is already linked to this identity."
            )
