"""The :class:`~cognitoidentity.server.store.base.Store` on a PostgreSQL database: reads and writes
of one statement here, writes of several statements in :mod:`.transactions`.

Connections run in autocommit mode: a read or a single-statement write is its own transaction, and
a write of several statements opens one explicit transaction.

The point reads a request makes on its hot path (a pool, an identity with its pool, a login's owner,
an IAM provider) are kept, decoded, until the store's change count moves (:mod:`.changes`). Each
request checks the count once, at its first kept read (a check shared by the requests of one
event-loop turn, started after they arrived), and again after a write of its own, so a read never
misses a write acknowledged, by any process, before its request arrived. Only rows found are kept:
a new identity does not move the count. :meth:`PostgresStore.version` is the count the current
request checked.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from psycopg import errors
from psycopg.rows import TupleRow

from cognitoidentity.server import linking
from cognitoidentity.server.store import base, codec, purge
from cognitoidentity.server.store.kept import MISSING, DecodedPools, KeptReads
from cognitoidentity.server.store.postgres import backup, statements, transactions
from cognitoidentity.server.store.postgres.changes import ChangeWatch
from cognitoidentity.server.store.postgres.connection import (
    POOL_TIMEOUT,
    Connection,
    Pool,
    connection,
    open_pool,
)
from cognitoidentity.server.store.postgres.deletion import PostgresPoolDeletion
from cognitoidentity.server.store.postgres.iam_roles import PostgresIamRoles

R = TypeVar("R")

LINK_ATTEMPTS = 5
"""Tries of :meth:`PostgresStore.link_logins` when a concurrent call inserted the same new login
first (or the two deadlocked); one retry settles the usual race."""


class PostgresStore(PostgresIamRoles, PostgresPoolDeletion):
    """The :class:`~cognitoidentity.server.store.base.Store` on a PostgreSQL database (IAM roles
    and managed policies: :class:`~.iam_roles.PostgresIamRoles`; deleting pools and accounts:
    :class:`~.deletion.PostgresPoolDeletion`)."""

    def __init__(self, pool: Pool, *, caches: bool = True) -> None:
        """Wrap an open pool whose schema is migrated; use :meth:`open` instead. ``caches`` False:
        nothing is kept between reads (the ``caches`` setting)."""
        self._pool = pool
        self._kept = KeptReads(
            rule="until the store's change count moves (any process's write but a new identity),"
            " checked by each request's first kept read (see the module doc)",
            enabled=caches,
        )
        self._pools = DecodedPools(enabled=caches)
        self._changes = ChangeWatch(pool, self._kept.forget)
        self._checked: ContextVar[int | None] = ContextVar("checked change count", default=None)

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        pool_timeout: float = POOL_TIMEOUT,
        caches: bool = True,
    ) -> PostgresStore:
        """Connect to ``url`` (a libpq URI), apply pending migrations and return the store (see
        :func:`~.connection.open_pool`)."""
        pool = await open_pool(url, min_size=min_size, max_size=max_size, pool_timeout=pool_timeout)
        return cls(pool, caches=caches)

    async def close(self) -> None:
        await self._changes.close()
        await self._pool.close()

    def version(self) -> int | None:
        """The change count as the current request (task) checked it, by its first kept read: a
        check started after the request arrived (see :mod:`.changes`). None before that read,
        after the request's own writes, and with caches off: then it cannot tell."""
        return self._checked.get()

    async def _one(
        self, sql: str, params: tuple[Any, ...], decode: Callable[[TupleRow], R]
    ) -> R | None:
        """``decode`` of the first row of ``sql`` (None without one); a row found is kept until
        the change count moves.

        One check per request: the first kept read of a request (task) waits for a check started
        after the request arrived, and its later reads trust it (what is kept is never older than
        the last check), until the request writes: then the next read checks again, and sees the
        write."""
        kept = self._kept
        if not kept.enabled:
            rows = await self._rows(sql, params)
            return decode(rows[0]) if rows else None
        if self._checked.get() is None:
            self._checked.set(await self._changes.check())
        key = (sql, *params)
        value = kept.get(key)
        if value is not MISSING:
            found: R = value
            return found
        generation = kept.generation
        rows = await self._rows(sql, params)
        if not rows:
            return None  # not kept: a new identity does not move the count
        decoded = decode(rows[0])
        kept.put(key, decoded, generation)
        return decoded

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Connection]:
        """A connection of the pool inside a transaction, committed on leaving."""
        try:
            async with connection(self._pool) as conn, conn.transaction():
                yield conn
        finally:
            self._checked.set(None)  # the request's next kept read checks again (see _one)

    async def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[TupleRow]:
        async with connection(self._pool) as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def _fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[TupleRow]:
        """Every row of ``sql``, which may write (the request's next kept read checks again)."""
        try:
            return await self._rows(sql, params)
        finally:
            self._checked.set(None)

    async def _rowcount(self, sql: str, params: Sequence[Any]) -> int:
        """Run one writing statement (autocommit: the statement is its own transaction)."""
        try:
            async with connection(self._pool) as conn:
                cur = await conn.execute(sql, params)
                return cur.rowcount
        finally:
            self._checked.set(None)

    # -- accounts and access keys -----------------------------------------------------------
    async def create_account(self, account: base.Account) -> bool:
        inserted = await self._rowcount(
            "INSERT INTO accounts (account_id, name, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (account_id) DO NOTHING",
            (account.account_id, account.name, account.created_at),
        )
        return inserted == 1

    async def get_account(self, account_id: str) -> base.Account | None:
        rows = await self._fetch(
            f"SELECT {codec.ACCOUNT_COLUMNS} FROM accounts WHERE account_id = %s",  # noqa: S608
            (account_id,),
        )
        return codec.account_from_row(rows[0]) if rows else None

    async def list_accounts(self) -> list[base.Account]:
        # COLLATE "C": byte order, as SQLite sorts, whatever the database's collation.
        rows = await self._fetch(
            f"SELECT {codec.ACCOUNT_COLUMNS} FROM accounts"  # noqa: S608 - constant columns
            ' ORDER BY account_id COLLATE "C"'
        )
        return [codec.account_from_row(r) for r in rows]

    async def create_access_key(self, key: base.AccessKey) -> None:
        await self._rowcount(
            "INSERT INTO access_keys (access_key_id, account_id, secret_ciphertext, created_at)"
            " VALUES (%s, %s, %s, %s)",
            (key.access_key_id, key.account_id, key.secret_ciphertext, key.created_at),
        )

    async def get_access_key(self, access_key_id: str) -> base.AccessKey | None:
        rows = await self._fetch(
            f"SELECT {codec.ACCESS_KEY_COLUMNS} FROM access_keys"  # noqa: S608 - constant columns
            " WHERE access_key_id = %s",
            (access_key_id,),
        )
        return codec.access_key_from_row(rows[0]) if rows else None

    async def list_access_keys(self, account_id: str | None = None) -> list[base.AccessKey]:
        if account_id is None:
            rows = await self._fetch(
                f"SELECT {codec.ACCESS_KEY_COLUMNS} FROM access_keys"  # noqa: S608
                ' ORDER BY account_id COLLATE "C", created_at'
            )
        else:
            rows = await self._fetch(
                f"SELECT {codec.ACCESS_KEY_COLUMNS} FROM access_keys"  # noqa: S608
                " WHERE account_id = %s ORDER BY created_at",
                (account_id,),
            )
        return [codec.access_key_from_row(r) for r in rows]

    async def delete_access_key(self, access_key_id: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM access_keys WHERE access_key_id = %s", (access_key_id,)
        )
        return deleted == 1

    # -- identity pools ----------------------------------------------------------------------
    async def create_pool(self, pool: base.IdentityPool, *, max_pools: int) -> None:
        document = codec.dump_pool_document(pool)

        async def create() -> None:
            async with self._transaction() as conn:
                await transactions.create_pool(conn, pool, document, max_pools)

        await purge.create_when_free(self, create)

    async def get_pool(self, pool_id: str) -> base.IdentityPool | None:
        return await self._one(statements.GET_POOL, (pool_id,), self._pools.decode)

    async def update_pool(
        self, pool_id: str, mutate: base.PoolMutation
    ) -> base.IdentityPool | None:
        async with self._transaction() as conn:
            return await transactions.update_pool(conn, pool_id, mutate)

    async def list_pools(
        self, account_id: str, region: str, *, after: int | None, limit: int
    ) -> base.Page[base.IdentityPool]:
        rows = await self._fetch(
            f"SELECT {statements.POOL_COLUMNS}, seq FROM identity_pools"  # noqa: S608 - constant
            " WHERE account_id = %s AND region = %s AND seq > %s AND deleted_at IS NULL"
            " ORDER BY seq LIMIT %s",
            (account_id, region, after or 0, limit + 1),
        )
        return codec.page(rows, limit, self._pools.decode, seq=4)

    # -- identities --------------------------------------------------------------------------
    async def create_identity(self, identity: base.Identity) -> None:
        await self._rowcount(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (%s, %s, %s, %s, %s)",
            (
                identity.identity_id,
                identity.pool_id,
                identity.created_at,
                identity.last_modified_at,
                identity.disabled,
            ),
        )

    async def create_guest_identity(self, identity: base.Identity) -> bool:
        inserted = await self._rowcount(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " SELECT %s, pool_id, %s, %s, false FROM identity_pools"
            " WHERE pool_id = %s AND (document ->> 'allow_unauthenticated')::boolean"
            " AND deleted_at IS NULL",
            (
                identity.identity_id,
                identity.created_at,
                identity.last_modified_at,
                identity.pool_id,
            ),
        )
        return inserted == 1

    async def get_identity_and_pool(
        self, identity_id: str
    ) -> tuple[base.Identity, base.IdentityPool] | None:
        return await self._one(
            statements.GET_IDENTITY_AND_POOL,
            (identity_id,),
            lambda row: (codec.identity_from_row(row), self._pools.decode(row[6:])),
        )

    async def get_identity(self, identity_id: str) -> base.Identity | None:
        return await self._one(statements.GET_IDENTITY, (identity_id,), codec.identity_from_row)

    async def list_identities(
        self, pool_id: str, *, hide_disabled: bool, after: int | None, limit: int
    ) -> base.Page[base.Identity]:
        rows = await self._fetch(
            statements.LIST_ENABLED_IDENTITIES if hide_disabled else statements.LIST_IDENTITIES,
            (pool_id, after or 0, limit + 1),
        )
        return codec.page(rows, limit, codec.identity_from_row, seq=6)

    async def delete_identities(self, account_id: str, identity_ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(identity_ids))
        if not ids:
            return []
        # A single statement is atomic in autocommit mode; pools never change owner, so the
        # ownership read and the delete cannot disagree.
        rows = await self._fetch(
            statements.DELETE_IDENTITIES, {"account_id": account_id, "ids": ids}
        )
        foreign = {r[0] for r in rows}
        return [i for i in ids if i in foreign]

    # -- logins --------------------------------------------------------------------------------
    async def link_logins(
        self, pool_id: str, request: linking.LinkRequest, now: datetime
    ) -> base.LinkResult:
        attempt = 1
        while True:
            try:
                async with self._transaction() as conn:
                    return await transactions.link_logins(conn, pool_id, request, now)
            except errors.UniqueViolation as exc:
                # Another call inserted one of the new logins first: its identity owns it now.
                if exc.diag.constraint_name != "logins_unique" or attempt >= LINK_ATTEMPTS:
                    raise
            except (errors.DeadlockDetected, transactions.OwnersMoved):
                if attempt >= LINK_ATTEMPTS:
                    raise
            attempt += 1

    async def remove_logins(
        self,
        identity_id: str,
        *,
        providers: Sequence[str] = (),
        logins: Sequence[linking.LoginKey] = (),
        now: datetime,
    ) -> int:
        if not providers and not logins:
            return 0
        async with self._transaction() as conn:
            return await transactions.remove_logins(conn, identity_id, providers, logins, now)

    async def list_logins(self, identity_id: str) -> list[base.Login]:
        rows = await self._fetch(
            f"SELECT {codec.LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
            " WHERE identity_id = %s" + statements.LOGIN_POOL_NOT_DELETED + " ORDER BY seq",
            (identity_id,),
        )
        return [codec.login_from_row(r) for r in rows]

    async def find_login(self, pool_id: str, login: linking.LoginKey) -> str | None:
        return await self._one(
            statements.FIND_LOGIN, (pool_id, login.provider, login.user_id), lambda row: str(row[0])
        )

    async def list_provider_logins(
        self,
        pool_id: str,
        provider: str,
        *,
        identity_id: str | None,
        after: int | None,
        limit: int,
    ) -> base.Page[base.Login]:
        if identity_id is None:
            rows = await self._fetch(
                statements.LIST_PROVIDER_LOGINS, (pool_id, provider, after or 0, limit + 1)
            )
        else:
            rows = await self._fetch(
                statements.LIST_IDENTITY_PROVIDER_LOGINS,
                (identity_id, pool_id, provider, after or 0, limit + 1),
            )
        return codec.page(rows, limit, codec.login_from_row, seq=4)

    # -- OpenID token signing keys -------------------------------------------------------------
    async def create_signing_key(self, key: base.SigningKeyRecord) -> bool:
        # One statement: the unique partial index admits one current key, so of several processes
        # creating the first key at once exactly one inserts; the others do nothing.
        inserted = await self._rowcount(
            f"INSERT INTO signing_keys ({codec.SIGNING_KEY_COLUMNS})"  # noqa: S608 - constant
            " VALUES (%s, %s, %s::jsonb, %s, %s, %s) ON CONFLICT DO NOTHING",
            codec.signing_key_row(key, codec.timestamptz),
        )
        return inserted == 1

    async def list_signing_keys(
        self, *, now: datetime | None = None
    ) -> list[base.SigningKeyRecord]:
        rows = await self._fetch(
            f"SELECT {codec.SIGNING_KEY_COLUMNS} FROM signing_keys"  # noqa: S608
            " WHERE %(now)s::timestamptz IS NULL OR delete_after IS NULL OR delete_after > %(now)s"
            ' ORDER BY retired_at IS NULL DESC, created_at DESC, kid COLLATE "C"',
            {"now": now},
        )
        return [codec.signing_key_from_row(r) for r in rows]

    async def rotate_signing_key(
        self, new: base.SigningKeyRecord, retired_at: datetime, delete_after: datetime
    ) -> None:
        async with self._transaction() as conn:
            await transactions.rotate_signing_key(conn, new, retired_at, delete_after)

    async def purge_signing_keys(self, now: datetime) -> int:
        return await self._rowcount(
            "DELETE FROM signing_keys WHERE delete_after IS NOT NULL AND delete_after <= %s",
            (now,),
        )

    # -- IAM identity providers ----------------------------------------------------------------
    async def create_oidc_provider(self, provider: base.IamOidcProvider) -> bool:
        inserted = await self._rowcount(
            f"INSERT INTO iam_oidc_providers ({codec.OIDC_COLUMNS})"  # noqa: S608 - constant
            " VALUES (%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s::jsonb) ON CONFLICT DO NOTHING",
            codec.oidc_provider_row(provider, codec.timestamptz),
        )
        return inserted == 1

    async def get_oidc_provider(self, account_id: str, arn: str) -> base.IamOidcProvider | None:
        return await self._one(
            statements.GET_OIDC_PROVIDER, (arn, account_id), codec.oidc_provider_from_row
        )

    async def list_oidc_providers(self, account_id: str) -> list[base.IamOidcProvider]:
        rows = await self._fetch(
            f"SELECT {codec.OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
            ' WHERE account_id = %s ORDER BY arn COLLATE "C"',
            (account_id,),
        )
        return [codec.oidc_provider_from_row(r) for r in rows]

    async def update_oidc_provider(
        self, account_id: str, arn: str, mutate: base.OidcProviderMutation
    ) -> base.IamOidcProvider | None:
        async with self._transaction() as conn:
            return await transactions.update_oidc_provider(conn, account_id, arn, mutate)

    async def delete_oidc_provider(self, account_id: str, arn: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM iam_oidc_providers WHERE arn = %s AND account_id = %s", (arn, account_id)
        )
        return deleted == 1

    async def create_saml_provider(self, provider: base.IamSamlProvider) -> bool:
        # ON CONFLICT without a target: the ARN and the case-blind name index both count.
        inserted = await self._rowcount(
            f"INSERT INTO iam_saml_providers ({codec.SAML_COLUMNS})"  # noqa: S608 - constant
            " VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING",
            codec.saml_provider_row(provider, codec.timestamptz),
        )
        return inserted == 1

    async def get_saml_provider(self, account_id: str, arn: str) -> base.IamSamlProvider | None:
        return await self._one(
            statements.GET_SAML_PROVIDER, (arn, account_id), codec.saml_provider_from_row
        )

    async def list_saml_providers(self, account_id: str) -> list[base.IamSamlProvider]:
        rows = await self._fetch(
            f"SELECT {codec.SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
            ' WHERE account_id = %s ORDER BY arn COLLATE "C"',
            (account_id,),
        )
        return [codec.saml_provider_from_row(r) for r in rows]

    async def update_saml_provider(
        self, account_id: str, arn: str, mutate: base.SamlProviderMutation
    ) -> base.IamSamlProvider | None:
        async with self._transaction() as conn:
            return await transactions.update_saml_provider(conn, account_id, arn, mutate)

    async def delete_saml_provider(self, account_id: str, arn: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM iam_saml_providers WHERE arn = %s AND account_id = %s", (arn, account_id)
        )
        return deleted == 1

    # -- backup and declared configuration (:mod:`.backup`) -----------------------------------
    def export_records(self, *, identities: bool = True) -> AsyncGenerator[base.StoreRecord, None]:
        return backup.export_records(self._pool, identities=identities)

    async def import_records(self, records: Sequence[base.StoreRecord]) -> None:
        groups = codec.grouped_rows(records, codec.timestamptz)
        async with self._transaction() as conn:
            await backup.insert_records(conn, groups)

    async def rename_account(self, account_id: str, name: str) -> bool:
        renamed = await self._rowcount(
            "UPDATE accounts SET name = %s WHERE account_id = %s", (name, account_id)
        )
        return renamed == 1
