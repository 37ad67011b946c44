"""The :class:`~cognitoidentity.server.store.base.Store` on one SQLite file: reads run on the
caller's thread through the :class:`~.reads.Reader` (which keeps the hot point reads until a
commit), writes run on the :class:`~.writer.GroupCommitWriter`'s thread, those of one statement
here and the others as the jobs of :mod:`.writes`. Its :meth:`~SqliteStore.version` is the reader's
commit count (the WAL index header it maps, else SQLite's ``data_version``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cognitoidentity.server import linking
from cognitoidentity.server.store import base, codec, purge
from cognitoidentity.server.store.kept import DecodedPools
from cognitoidentity.server.store.sqlite import backup, statements, writes
from cognitoidentity.server.store.sqlite.connection import migrate
from cognitoidentity.server.store.sqlite.deletion import SqlitePoolDeletion
from cognitoidentity.server.store.sqlite.iam_roles import SqliteIamRoles
from cognitoidentity.server.store.sqlite.reads import Reader
from cognitoidentity.server.store.sqlite.writer import GroupCommitWriter, GuestInsert

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics

T = TypeVar("T")


class SqliteStore(SqliteIamRoles, SqlitePoolDeletion):
    """The :class:`~cognitoidentity.server.store.base.Store` on one SQLite file; ``caches`` False
    keeps neither reads nor decoded pools (the ``caches`` setting). IAM roles and managed policies
    are :class:`~.iam_roles.SqliteIamRoles`; deleting pools and accounts
    :class:`~.deletion.SqlitePoolDeletion`."""

    def __init__(
        self, path: str | Path, *, caches: bool = True, metrics: Metrics | None = None
    ) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        migrate(self.path)
        self._reader = Reader(self.path, caches=caches)
        self._writer = GroupCommitWriter(self.path, metrics=metrics)
        # Pools decoded once per stored document, as the PostgreSQL store does.
        self._pools = DecodedPools(enabled=caches)

    async def close(self) -> None:
        self._writer.close()
        self._reader.close()

    def version(self) -> int:
        """A number that changes when any connection, in any process, commits (see
        :mod:`.reads`)."""
        return self._reader.version()

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self._writer.submit(job)
        return result

    async def _rowcount(self, sql: str, params: Sequence[Any]) -> int:
        """Run one writing statement in the writer's next transaction."""
        return await self._write(lambda conn: conn.execute(sql, params).rowcount)

    # -- accounts and access keys -----------------------------------------------------------
    async def create_account(self, account: base.Account) -> bool:
        inserted = await self._rowcount(
            "INSERT INTO accounts VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (account.account_id, account.name, codec.seconds(account.created_at)),
        )
        return inserted == 1

    async def get_account(self, account_id: str) -> base.Account | None:
        rows = self._reader.rows(
            f"SELECT {codec.ACCOUNT_COLUMNS} FROM accounts WHERE account_id = ?",  # noqa: S608
            (account_id,),
        )
        return codec.account_from_row(rows[0]) if rows else None

    async def list_accounts(self) -> list[base.Account]:
        rows = self._reader.rows(
            f"SELECT {codec.ACCOUNT_COLUMNS} FROM accounts ORDER BY account_id"  # noqa: S608
        )
        return [codec.account_from_row(r) for r in rows]

    async def create_access_key(self, key: base.AccessKey) -> None:
        await self._rowcount(
            "INSERT INTO access_keys VALUES (?, ?, ?, ?)",
            (
                key.access_key_id,
                key.account_id,
                key.secret_ciphertext,
                codec.seconds(key.created_at),
            ),
        )

    async def get_access_key(self, access_key_id: str) -> base.AccessKey | None:
        rows = self._reader.rows(
            f"SELECT {codec.ACCESS_KEY_COLUMNS} FROM access_keys"  # noqa: S608 - constant columns
            " WHERE access_key_id = ?",
            (access_key_id,),
        )
        return codec.access_key_from_row(rows[0]) if rows else None

    async def list_access_keys(self, account_id: str | None = None) -> list[base.AccessKey]:
        if account_id is None:
            rows = self._reader.rows(
                f"SELECT {codec.ACCESS_KEY_COLUMNS} FROM access_keys"  # noqa: S608
                " ORDER BY account_id, created_at"
            )
        else:
            rows = self._reader.rows(
                f"SELECT {codec.ACCESS_KEY_COLUMNS} FROM access_keys"  # noqa: S608
                " WHERE account_id = ? ORDER BY created_at",
                (account_id,),
            )
        return [codec.access_key_from_row(r) for r in rows]

    async def delete_access_key(self, access_key_id: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM access_keys WHERE access_key_id = ?", (access_key_id,)
        )
        return deleted == 1

    # -- identity pools ----------------------------------------------------------------------
    async def create_pool(self, pool: base.IdentityPool, *, max_pools: int) -> None:
        document = codec.dump_pool_document(pool)

        def create(conn: sqlite3.Connection) -> None:
            writes.create_pool(conn, pool, document, max_pools)

        await purge.create_when_free(self, lambda: self._write(create))

    def _pool(self, row: Sequence[Any]) -> base.IdentityPool:
        return self._pools.decode(row)

    async def get_pool(self, pool_id: str) -> base.IdentityPool | None:
        return self._reader.one(statements.GET_POOL, (pool_id,), self._pool)

    async def update_pool(
        self, pool_id: str, mutate: base.PoolMutation
    ) -> base.IdentityPool | None:
        # The writer's thread decodes for itself: the decoded pools are the event loop's.
        return await self._write(
            lambda conn: writes.update_pool(conn, pool_id, mutate, codec.pool_from_row)
        )

    async def list_pools(
        self, account_id: str, region: str, *, after: int | None, limit: int
    ) -> base.Page[base.IdentityPool]:
        rows = self._reader.rows(
            f"SELECT {codec.POOL_COLUMNS}, seq FROM identity_pools"  # noqa: S608 - constant columns
            " WHERE account_id = ? AND region = ? AND seq > ? AND deleted_at IS NULL"
            " ORDER BY seq LIMIT ?",
            (account_id, region, after or 0, limit + 1),
        )
        return codec.page(rows, limit, self._pool, seq=4)

    # -- identities --------------------------------------------------------------------------
    async def create_identity(self, identity: base.Identity) -> None:
        await self._rowcount(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at,"
            " disabled) VALUES (?, ?, ?, ?, ?)",
            (
                identity.identity_id,
                identity.pool_id,
                codec.seconds(identity.created_at),
                codec.seconds(identity.last_modified_at),
                int(identity.disabled),
            ),
        )

    async def create_guest_identity(self, identity: base.Identity) -> bool:
        created = codec.seconds(identity.created_at)
        modified = (  # a new identity's two times are usually one object: one conversion
            created
            if identity.last_modified_at is identity.created_at
            else codec.seconds(identity.last_modified_at)
        )
        job = GuestInsert(identity.identity_id, created, modified, identity.pool_id)
        return await self._write(job)

    async def get_identity(self, identity_id: str) -> base.Identity | None:
        return self._reader.one(statements.GET_IDENTITY, (identity_id,), codec.identity_from_row)

    async def get_identity_and_pool(
        self, identity_id: str
    ) -> tuple[base.Identity, base.IdentityPool] | None:
        return self._reader.one(
            statements.GET_IDENTITY_AND_POOL, (identity_id,), self._identity_and_pool
        )

    def _identity_and_pool(self, row: Sequence[Any]) -> tuple[base.Identity, base.IdentityPool]:
        return codec.identity_from_row(row), self._pool(row[6:])

    async def list_identities(
        self, pool_id: str, *, hide_disabled: bool, after: int | None, limit: int
    ) -> base.Page[base.Identity]:
        rows = self._reader.rows(
            statements.LIST_IDENTITIES, (pool_id, after or 0, hide_disabled, limit + 1)
        )
        return codec.page(rows, limit, codec.identity_from_row, seq=6)

    async def delete_identities(self, account_id: str, identity_ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(identity_ids))
        if not ids:
            return []
        return await self._write(lambda conn: writes.delete_identities(conn, account_id, ids))

    # -- logins --------------------------------------------------------------------------------
    async def link_logins(
        self, pool_id: str, request: linking.LinkRequest, now: datetime
    ) -> base.LinkResult:
        when = codec.seconds(now)
        return await self._write(lambda conn: writes.link_logins(conn, pool_id, request, when))

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
        when = codec.seconds(now)
        return await self._write(
            lambda conn: writes.remove_logins(conn, identity_id, providers, logins, when)
        )

    async def list_logins(self, identity_id: str) -> list[base.Login]:
        rows = self._reader.rows(
            f"SELECT {codec.LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
            " WHERE identity_id = ?" + statements.LOGIN_POOL_NOT_DELETED + " ORDER BY seq",
            (identity_id,),
        )
        return [codec.login_from_row(r) for r in rows]

    async def find_login(self, pool_id: str, login: linking.LoginKey) -> str | None:
        return self._reader.one(
            statements.FIND_LOGIN,
            (pool_id, login.provider, login.user_id),
            lambda row: str(row[0]),
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
            rows = self._reader.rows(
                f"SELECT {codec.LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
                " WHERE pool_id = ? AND provider = ? AND seq > ?"
                + statements.LOGIN_POOL_NOT_DELETED
                + " ORDER BY seq LIMIT ?",
                (pool_id, provider, after or 0, limit + 1),
            )
        else:
            # One identity has few logins; without statistics SQLite would rather walk all of the
            # provider's logins in the pool.
            rows = self._reader.rows(
                f"SELECT {codec.LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
                " INDEXED BY logins_by_identity"
                " WHERE identity_id = ? AND pool_id = ? AND provider = ? AND seq > ?"
                + statements.LOGIN_POOL_NOT_DELETED
                + " ORDER BY seq LIMIT ?",
                (identity_id, pool_id, provider, after or 0, limit + 1),
            )
        return codec.page(rows, limit, codec.login_from_row, seq=4)

    # -- OpenID token signing keys -------------------------------------------------------------
    async def create_signing_key(self, key: base.SigningKeyRecord) -> bool:
        # The unique partial index admits one current key: a second creator does nothing.
        inserted = await self._rowcount(
            f"INSERT INTO signing_keys ({codec.SIGNING_KEY_COLUMNS})"  # noqa: S608 - constant
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            codec.signing_key_row(key, codec.seconds),
        )
        return inserted == 1

    async def list_signing_keys(
        self, *, now: datetime | None = None
    ) -> list[base.SigningKeyRecord]:
        rows = self._reader.rows(
            f"SELECT {codec.SIGNING_KEY_COLUMNS} FROM signing_keys"  # noqa: S608
            " WHERE ? IS NULL OR delete_after IS NULL OR delete_after > ?"
            " ORDER BY retired_at IS NULL DESC, created_at DESC, kid",
            (None if now is None else codec.seconds(now),) * 2,
        )
        return [codec.signing_key_from_row(r) for r in rows]

    async def rotate_signing_key(
        self, new: base.SigningKeyRecord, retired_at: datetime, delete_after: datetime
    ) -> None:
        params = codec.signing_key_row(new, codec.seconds)
        await self._write(
            lambda conn: writes.rotate_signing_key(conn, params, retired_at, delete_after)
        )

    async def purge_signing_keys(self, now: datetime) -> int:
        return await self._rowcount(
            "DELETE FROM signing_keys WHERE delete_after IS NOT NULL AND delete_after <= ?",
            (codec.seconds(now),),
        )

    # -- IAM identity providers ----------------------------------------------------------------
    async def create_oidc_provider(self, provider: base.IamOidcProvider) -> bool:
        inserted = await self._rowcount(
            f"INSERT INTO iam_oidc_providers ({codec.OIDC_COLUMNS})"  # noqa: S608 - constant
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            codec.oidc_provider_row(provider, codec.seconds),
        )
        return inserted == 1

    async def get_oidc_provider(self, account_id: str, arn: str) -> base.IamOidcProvider | None:
        return self._reader.one(
            statements.GET_OIDC_PROVIDER, (arn, account_id), codec.oidc_provider_from_row
        )

    async def list_oidc_providers(self, account_id: str) -> list[base.IamOidcProvider]:
        rows = self._reader.rows(
            f"SELECT {codec.OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
            " WHERE account_id = ? ORDER BY arn",
            (account_id,),
        )
        return [codec.oidc_provider_from_row(r) for r in rows]

    async def update_oidc_provider(
        self, account_id: str, arn: str, mutate: base.OidcProviderMutation
    ) -> base.IamOidcProvider | None:
        return await self._write(
            lambda conn: writes.update_oidc_provider(conn, account_id, arn, mutate)
        )

    async def delete_oidc_provider(self, account_id: str, arn: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM iam_oidc_providers WHERE arn = ? AND account_id = ?", (arn, account_id)
        )
        return deleted == 1

    async def create_saml_provider(self, provider: base.IamSamlProvider) -> bool:
        # ON CONFLICT without a target: the ARN and the case-blind name index both count.
        inserted = await self._rowcount(
            f"INSERT INTO iam_saml_providers ({codec.SAML_COLUMNS})"  # noqa: S608 - constant
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            codec.saml_provider_row(provider, codec.seconds),
        )
        return inserted == 1

    async def get_saml_provider(self, account_id: str, arn: str) -> base.IamSamlProvider | None:
        return self._reader.one(
            statements.GET_SAML_PROVIDER, (arn, account_id), codec.saml_provider_from_row
        )

    async def list_saml_providers(self, account_id: str) -> list[base.IamSamlProvider]:
        rows = self._reader.rows(
            f"SELECT {codec.SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
            " WHERE account_id = ? ORDER BY arn",
            (account_id,),
        )
        return [codec.saml_provider_from_row(r) for r in rows]

    async def update_saml_provider(
        self, account_id: str, arn: str, mutate: base.SamlProviderMutation
    ) -> base.IamSamlProvider | None:
        return await self._write(
            lambda conn: writes.update_saml_provider(conn, account_id, arn, mutate)
        )

    async def delete_saml_provider(self, account_id: str, arn: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM iam_saml_providers WHERE arn = ? AND account_id = ?", (arn, account_id)
        )
        return deleted == 1

    # -- backup and declared configuration (:mod:`.backup`) -----------------------------------
    def export_records(self, *, identities: bool = True) -> AsyncGenerator[base.StoreRecord, None]:
        return backup.export_records(self.path, identities=identities)

    async def import_records(self, records: Sequence[base.StoreRecord]) -> None:
        groups = codec.grouped_rows(records, codec.seconds)
        await self._write(lambda conn: backup.insert_records(conn, groups))

    async def rename_account(self, account_id: str, name: str) -> bool:
        renamed = await self._rowcount(
            "UPDATE accounts SET name = ? WHERE account_id = ?", (name, account_id)
        )
        return renamed == 1
