"""Persistence: the :class:`Store` contract and :func:`open_store`, which picks an implementation
from a URL."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cognitoidentity.server.store.base import (
    AccessKey,
    Account,
    CognitoProvider,
    IamDeleteConflict,
    IamEntityMissing,
    IamManagedPolicy,
    IamOidcProvider,
    IamRole,
    IamSamlProvider,
    Identity,
    IdentityPool,
    LimitReached,
    LinkResult,
    Login,
    Page,
    PolicyVersion,
    PoolMutation,
    SigningKeyRecord,
    Store,
    StoreBusy,
    StoreError,
)

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics

__all__ = [
    "AccessKey",
    "Account",
    "CognitoProvider",
    "IamDeleteConflict",
    "IamEntityMissing",
    "IamManagedPolicy",
    "IamOidcProvider",
    "IamRole",
    "IamSamlProvider",
    "Identity",
    "IdentityPool",
    "LimitReached",
    "LinkResult",
    "Login",
    "Page",
    "PolicyVersion",
    "PoolMutation",
    "SigningKeyRecord",
    "Store",
    "StoreBusy",
    "StoreError",
    "open_store",
    "sqlite_path",
]

# Two characters at least, so a Windows drive letter ("C:\\data\\store.db") is not a scheme.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]+):")


def sqlite_path(url: str) -> str | None:
    """The file named by a SQLite ``url``, or None when ``url`` has another scheme.

    Accepted: ``sqlite:///absolute/path.db``, ``sqlite:relative/path.db`` (``sqlite:/abs.db`` too)
    and a plain filesystem path without any scheme.
    """
    match = _SCHEME.match(url)
    if match is None:
        path = url
    elif match.group(1).lower() == "sqlite":
        path = url[match.end() :]
        if path.startswith("//"):  # sqlite://<authority>/path: only an empty authority is valid
            authority, slash, rest = path[2:].partition("/")
            if authority:
                raise ValueError(
                    f"invalid SQLite URL {url!r}: use sqlite:///absolute/path.db"
                    " or sqlite:relative/path.db"
                )
            path = slash + rest
    else:
        return None
    if not path or path.endswith("/"):
        raise ValueError(f"invalid SQLite URL {url!r}: no database file named")
    if path == ":memory:":
        raise ValueError(f"unsupported SQLite database {url!r}: the store needs a file path")
    return path


async def open_store(url: str, *, caches: bool = True, metrics: Metrics | None = None) -> Store:
    """Open the store at ``url``: ``postgresql://…`` / ``postgres://…`` (a libpq URI) or SQLite as
    ``sqlite:///absolute/path.db``, ``sqlite:relative.db`` or a plain path. Schemas are migrated.
    ``metrics`` records SQLite's group commits (PostgreSQL commits each call alone). ``caches``
    False: the store keeps no reads (the ``caches`` setting)."""
    match = _SCHEME.match(url)
    if match is not None and match.group(1).lower() in ("postgresql", "postgres"):
        from cognitoidentity.server.store.postgres import PostgresStore

        return await PostgresStore.open(url, caches=caches)
    path = sqlite_path(url)
    if path is None:
        scheme = match.group(1) if match else ""
        raise ValueError(
            f"unsupported store URL scheme {scheme!r} in {_redact(url)!r}: expected"
            " postgresql://…, postgres://…, sqlite:///absolute/path.db, sqlite:relative.db"
            " or a file path"
        )
    from cognitoidentity.server.store.sqlite import SqliteStore

    return SqliteStore(path, caches=caches, metrics=metrics)


def _redact(url: str) -> str:
    """``url`` without a password (scheme://user:secret@host → scheme://user:***@host)."""
    return re.sub(r"^([^:/]+://[^:/@]*):[^@/]*@", r"\1:***@", url)
