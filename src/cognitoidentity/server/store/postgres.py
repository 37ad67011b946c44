"""The shared store: PostgreSQL through a psycopg 3 async connection pool, for any number of server
processes.

Connections run in autocommit mode: a read or a single-statement write is its own transaction, and
a write of several statements opens one explicit transaction. Races between processes are settled
by row locks: ``create_pool`` locks the account row before counting its pools, ``update_pool`` locks
the pool row before calling the mutation, ``link_logins`` and ``remove_logins`` lock the identities
whose logins they read or change (two first uses of one login: the unique key decides, the loser
retries). Statements are constant strings (a list is passed as one array parameter), so psycopg
prepares the frequent ones on each connection after a few uses.

Table names are unqualified: the connection's ``search_path`` (e.g. ``options=-csearch_path=x`` in
the URL) decides which schema holds the store, migrations included.

Waits are bounded, and one that runs out raises
:class:`~cognitoidentity.server.store.base.StoreBusy` (the client is told to retry): waiting for a
free connection of the pool (``POOL_TIMEOUT``) and, for each statement, for each lock it needs
(``LOCK_TIMEOUT_MS``, PostgreSQL's ``lock_timeout``). There is no ``statement_timeout``: a statement
that is working rather than waiting, such as deleting a pool with millions of identities, may take
as long as it needs (a timeout would fail it every time it is retried).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from psycopg import AsyncConnection, errors
from psycopg.rows import TupleRow
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from cognitoidentity.server.linking import (
    IdentityState,
    LinkPlan,
    LinkRequest,
    LoginKey,
    Snapshot,
    plan_links,
)
from cognitoidentity.server.store.base import (
    AccessKey,
    Account,
    IamOidcProvider,
    IamSamlProvider,
    Identity,
    IdentityPool,
    LimitReached,
    LinkResult,
    Login,
    OidcProviderMutation,
    Page,
    PoolMutation,
    SamlProviderMutation,
    SigningKeyRecord,
    StoreBusy,
)
from cognitoidentity.server.store.codec import (
    dump_json_list,
    dump_pool_document,
    dump_tags,
    load_json_list,
    load_tags,
    pool_from_document,
)
from cognitoidentity.server.store.migrations import load_migrations

Connection = AsyncConnection[TupleRow]

LINK_ATTEMPTS = 5
"""Tries of :meth:`PostgresStore.link_logins` when a concurrent call inserted the same new login
first (or the two deadlocked); one retry settles the usual race."""
MAX_LOCK_ROUNDS = 8
"""Rounds of locking the owners of the presented logins before an attempt gives up (each round
follows logins that a concurrent merge moved while they were being locked)."""

POOL_TIMEOUT = 1.0
"""Seconds a call waits for a free connection of the pool (psycopg_pool's default is 30). All of
them busy for a second means the database is not keeping up; telling clients to back off beats
queueing more work behind it."""
LOCK_TIMEOUT_MS = 1000
"""PostgreSQL's ``lock_timeout`` on the pool's connections: the longest a statement waits for any
one lock. The store's own transactions hold row locks for a few round trips; a lock held for a
second belongs to a long transaction (a pool or account being deleted with its identities, an
operator's session), and the waiting call is answered "busy, retry" instead. Migrations run on a
connection of their own and wait as long as they must."""

MIGRATION_LOCK = 0x436F6749  # "CogI": first key of the advisory lock taken while migrating
"""The second key is a hash of the schema, so stores in different schemas migrate independently."""


def _dt(value: datetime) -> datetime:
    return value.astimezone(UTC)


async def _configure(conn: Connection) -> None:
    # JSONB columns come back as dicts; orjson parses them faster than the json module.
    set_json_loads(orjson.loads, conn)
    # A SET, not ``options`` in the connection arguments: those would replace the URL's own.
    await conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")


_POOL_COLUMNS = "pool_id, account_id, created_at, document"
# The identity's columns, then the distinct provider names of its logins (an indexed lookup per
# identity, in the same statement).
_IDENTITY_COLUMNS = (
    "identity_id, pool_id, created_at, last_modified_at, disabled,"
    " ARRAY(SELECT DISTINCT l.provider FROM logins l WHERE l.identity_id = identities.identity_id)"
)

_SQL_GET_IDENTITY_AND_POOL = (
    "SELECT i.identity_id, i.pool_id, i.created_at, i.last_modified_at, i.disabled,"
    " ARRAY(SELECT DISTINCT l.provider FROM logins l WHERE l.identity_id = i.identity_id),"
    " p.pool_id, p.account_id, p.created_at, p.document"
    " FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id WHERE i.identity_id = %s"
)

_SQL_LIST_IDENTITIES = (
    f"SELECT {_IDENTITY_COLUMNS}, seq FROM identities"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND seq > %s ORDER BY seq LIMIT %s"
)
_SQL_LIST_ENABLED_IDENTITIES = (
    f"SELECT {_IDENTITY_COLUMNS}, seq FROM identities"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND seq > %s AND NOT disabled ORDER BY seq LIMIT %s"
)
# One statement: find the ids with their owner, delete the caller's, return the others.
_SQL_DELETE_IDENTITIES = """
WITH found AS (
    SELECT i.identity_id, p.account_id = %(account_id)s AS mine
    FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id
    WHERE i.identity_id = ANY(%(ids)s::text[])
), deleted AS (
    DELETE FROM identities WHERE identity_id IN (SELECT identity_id FROM found WHERE mine)
)
SELECT identity_id FROM found WHERE NOT mine
"""

# link_logins. The presented logins travel as two parallel arrays (providers, user ids).
_PRESENTED = "unnest(%(providers)s::text[], %(users)s::text[]) AS k (provider, user_id)"
# Lock the named identity (if in the pool) and the current owners of the presented logins, in
# identity id order so that concurrent calls take their locks in one order. ``= ANY(ARRAY(...))``
# keeps both lookups on the indexes (an OR with a subquery would scan the table).
_SQL_LOCK_INVOLVED = f"""
SELECT identity_id, created_at, disabled FROM identities
WHERE pool_id = %(pool_id)s AND identity_id = ANY(array_append(ARRAY(
    SELECT l.identity_id FROM {_PRESENTED}
    JOIN logins l ON l.pool_id = %(pool_id)s AND l.provider = k.provider AND l.user_id = k.user_id
), %(named)s::text))
ORDER BY identity_id
FOR NO KEY UPDATE
"""  # noqa: S608 - constant
_SQL_LOCK_IDENTITIES = (
    "SELECT identity_id, created_at, disabled FROM identities"
    " WHERE pool_id = %(pool_id)s AND identity_id = ANY(%(ids)s::text[])"
    " ORDER BY identity_id FOR NO KEY UPDATE"
)
# Every login of the locked identities, and the owner of each presented login now.
_SQL_SNAPSHOT_LOGINS = f"""
SELECT identity_id, provider, user_id, seq FROM logins WHERE identity_id = ANY(%(ids)s::text[])
UNION
SELECT l.identity_id, l.provider, l.user_id, l.seq FROM {_PRESENTED}
JOIN logins l ON l.pool_id = %(pool_id)s AND l.provider = k.provider AND l.user_id = k.user_id
ORDER BY seq
"""  # noqa: S608 - constant
_SQL_INSERT_LOGINS = """
INSERT INTO logins (pool_id, provider, user_id, identity_id, created_at)
SELECT %(pool_id)s, k.provider, k.user_id, %(target)s, %(now)s
FROM unnest(%(providers)s::text[], %(users)s::text[]) WITH ORDINALITY AS k (provider, user_id, n)
ORDER BY k.n
"""
_LOGIN_COLUMNS = "provider, user_id, identity_id, created_at, seq"
_SQL_LIST_PROVIDER_LOGINS = (
    f"SELECT {_LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND provider = %s AND seq > %s ORDER BY seq LIMIT %s"
)
_SQL_LIST_IDENTITY_PROVIDER_LOGINS = (
    f"SELECT {_LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
    " WHERE identity_id = %s AND pool_id = %s AND provider = %s AND seq > %s"
    " ORDER BY seq LIMIT %s"
)


class _OwnersMoved(Exception):
    """The owners of the presented logins kept changing while being locked; start again."""


def _login(row: TupleRow) -> Login:
    return Login(row[0], row[1], row[2], _dt(row[3]))


class PostgresStore:
    """The :class:`~cognitoidentity.server.store.base.Store` on a PostgreSQL database."""

    def __init__(self, pool: AsyncConnectionPool[Connection]) -> None:
        """Wrap an open pool whose schema is migrated; use :meth:`open` instead."""
        self._pool = pool

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        pool_timeout: float = POOL_TIMEOUT,
    ) -> PostgresStore:
        """Connect to ``url`` (a libpq URI), apply pending migrations and return the store.

        Migrations run on a connection of their own made first, so a wrong URL, password or
        database fails at once with the server's own message rather than as a pool timeout.
        """
        async with await Connection.connect(url, autocommit=True) as conn:
            await _migrate(conn)
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            configure=_configure,
            timeout=pool_timeout,
            name="cognitoidentity",
        )
        try:
            await pool.open(wait=True)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def close(self) -> None:
        await self._pool.close()

    def read_mark(self) -> None:
        """Other processes commit unseen (nothing here is kept between reads): never a mark."""
        return None

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """A connection of the pool; a wait for it, or for a lock, that ran out is StoreBusy."""
        try:
            async with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise StoreBusy(
                f"no database connection became free within {self._pool.timeout:g}s"
            ) from exc
        except errors.LockNotAvailable as exc:
            raise StoreBusy(f"a database lock was not granted within {LOCK_TIMEOUT_MS} ms") from exc

    async def _fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[TupleRow]:
        async with self._connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def _rowcount(self, sql: str, params: Sequence[Any]) -> int:
        """Run one writing statement (autocommit: the statement is its own transaction)."""
        async with self._connection() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

    # -- accounts and access keys -----------------------------------------------------------
    async def create_account(self, account: Account) -> bool:
        inserted = await self._rowcount(
            "INSERT INTO accounts (account_id, name, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (account_id) DO NOTHING",
            (account.account_id, account.name, account.created_at),
        )
        return inserted == 1

    async def get_account(self, account_id: str) -> Account | None:
        rows = await self._fetch(
            "SELECT account_id, name, created_at FROM accounts WHERE account_id = %s",
            (account_id,),
        )
        return Account(rows[0][0], rows[0][1], _dt(rows[0][2])) if rows else None

    async def list_accounts(self) -> list[Account]:
        # COLLATE "C": byte order, as SQLite sorts, whatever the database's collation.
        rows = await self._fetch(
            'SELECT account_id, name, created_at FROM accounts ORDER BY account_id COLLATE "C"'
        )
        return [Account(r[0], r[1], _dt(r[2])) for r in rows]

    async def delete_account(self, account_id: str) -> bool:
        # Keys, pools and (through the pools) identities go with it: ON DELETE CASCADE.
        deleted = await self._rowcount("DELETE FROM accounts WHERE account_id = %s", (account_id,))
        return deleted == 1

    async def create_access_key(self, key: AccessKey) -> None:
        await self._rowcount(
            "INSERT INTO access_keys (access_key_id, account_id, secret_ciphertext, created_at)"
            " VALUES (%s, %s, %s, %s)",
            (key.access_key_id, key.account_id, key.secret_ciphertext, key.created_at),
        )

    @staticmethod
    def _access_key(row: TupleRow) -> AccessKey:
        return AccessKey(row[0], row[1], bytes(row[2]), _dt(row[3]))

    async def get_access_key(self, access_key_id: str) -> AccessKey | None:
        rows = await self._fetch(
            "SELECT access_key_id, account_id, secret_ciphertext, created_at FROM access_keys"
            " WHERE access_key_id = %s",
            (access_key_id,),
        )
        return self._access_key(rows[0]) if rows else None

    async def list_access_keys(self, account_id: str | None = None) -> list[AccessKey]:
        if account_id is None:
            rows = await self._fetch(
                "SELECT access_key_id, account_id, secret_ciphertext, created_at FROM access_keys"
                ' ORDER BY account_id COLLATE "C", created_at'
            )
        else:
            rows = await self._fetch(
                "SELECT access_key_id, account_id, secret_ciphertext, created_at FROM access_keys"
                " WHERE account_id = %s ORDER BY created_at",
                (account_id,),
            )
        return [self._access_key(r) for r in rows]

    async def delete_access_key(self, access_key_id: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM access_keys WHERE access_key_id = %s", (access_key_id,)
        )
        return deleted == 1

    # -- identity pools ----------------------------------------------------------------------
    async def create_pool(self, pool: IdentityPool, *, max_pools: int) -> None:
        document = dump_pool_document(pool)
        async with self._connection() as conn, conn.transaction():
            # Creators of pools in one account queue on the account row, so each one counts the
            # pools committed by those before it. NO KEY UPDATE conflicts with itself (and with
            # DELETE of the account) but not with the key-share locks of foreign-key checks, so
            # concurrent access-key inserts for the account are not held up.
            await conn.execute(
                "SELECT 1 FROM accounts WHERE account_id = %s FOR NO KEY UPDATE",
                (pool.account_id,),
            )
            cur = await conn.execute(
                "SELECT count(*) FROM identity_pools WHERE account_id = %s", (pool.account_id,)
            )
            row = await cur.fetchone()
            count = row[0] if row else 0
            if count >= max_pools:
                raise LimitReached(f"{count} pools")
            await conn.execute(
                "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
                " VALUES (%s, %s, %s, %s::jsonb, %s)",
                (pool.pool_id, pool.account_id, pool.region, document, pool.created_at),
            )

    @staticmethod
    def _pool_record(row: TupleRow) -> IdentityPool:
        return pool_from_document(row[0], row[1], _dt(row[2]), row[3])

    async def get_pool(self, pool_id: str) -> IdentityPool | None:
        rows = await self._fetch(
            f"SELECT {_POOL_COLUMNS} FROM identity_pools WHERE pool_id = %s",  # noqa: S608
            (pool_id,),
        )
        return self._pool_record(rows[0]) if rows else None

    async def update_pool(self, pool_id: str, mutate: PoolMutation) -> IdentityPool | None:
        async with self._connection() as conn, conn.transaction():
            # The UPDATE below changes no key column, so NO KEY UPDATE is the lock it takes anyway;
            # taking it here (rather than FOR UPDATE) lets identities keep being created in the
            # pool while ``mutate`` runs.
            cur = await conn.execute(
                f"SELECT {_POOL_COLUMNS} FROM identity_pools"  # noqa: S608 - constant columns
                " WHERE pool_id = %s FOR NO KEY UPDATE",
                (pool_id,),
            )
            row = await cur.fetchone()
            if row is None:
                return None
            new = mutate(self._pool_record(row))  # raising here rolls the transaction back
            await conn.execute(
                "UPDATE identity_pools SET document = %s::jsonb WHERE pool_id = %s",
                (dump_pool_document(new), pool_id),
            )
            return new

    async def delete_pool(self, pool_id: str) -> bool:
        deleted = await self._rowcount("DELETE FROM identity_pools WHERE pool_id = %s", (pool_id,))
        return deleted == 1

    async def list_pools(
        self, account_id: str, region: str, *, after: int | None, limit: int
    ) -> Page[IdentityPool]:
        rows = await self._fetch(
            f"SELECT {_POOL_COLUMNS}, seq FROM identity_pools"  # noqa: S608 - constant columns
            " WHERE account_id = %s AND region = %s AND seq > %s ORDER BY seq LIMIT %s",
            (account_id, region, after or 0, limit + 1),
        )
        items = [self._pool_record(r) for r in rows[:limit]]
        return Page(items, rows[limit - 1][4] if len(rows) > limit else None)

    # -- identities --------------------------------------------------------------------------
    async def create_identity(self, identity: Identity) -> None:
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

    async def create_guest_identity(self, identity: Identity) -> bool:
        inserted = await self._rowcount(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " SELECT %s, pool_id, %s, %s, false FROM identity_pools"
            " WHERE pool_id = %s AND (document ->> 'allow_unauthenticated')::boolean",
            (
                identity.identity_id,
                identity.created_at,
                identity.last_modified_at,
                identity.pool_id,
            ),
        )
        return inserted == 1

    @staticmethod
    def _identity(row: TupleRow) -> Identity:
        return Identity(
            row[0], row[1], _dt(row[2]), _dt(row[3]), bool(row[4]), tuple(sorted(row[5]))
        )

    async def get_identity_and_pool(self, identity_id: str) -> tuple[Identity, IdentityPool] | None:
        rows = await self._fetch(_SQL_GET_IDENTITY_AND_POOL, (identity_id,))
        if not rows:
            return None
        return self._identity(rows[0]), self._pool_record(rows[0][6:])

    async def get_identity(self, identity_id: str) -> Identity | None:
        rows = await self._fetch(
            f"SELECT {_IDENTITY_COLUMNS} FROM identities WHERE identity_id = %s",  # noqa: S608
            (identity_id,),
        )
        return self._identity(rows[0]) if rows else None

    async def list_identities(
        self, pool_id: str, *, hide_disabled: bool, after: int | None, limit: int
    ) -> Page[Identity]:
        rows = await self._fetch(
            _SQL_LIST_ENABLED_IDENTITIES if hide_disabled else _SQL_LIST_IDENTITIES,
            (pool_id, after or 0, limit + 1),
        )
        items = [self._identity(r) for r in rows[:limit]]
        return Page(items, rows[limit - 1][6] if len(rows) > limit else None)

    async def delete_identities(self, account_id: str, identity_ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(identity_ids))
        if not ids:
            return []
        # A single statement is atomic in autocommit mode; pools never change owner, so the
        # ownership read and the delete cannot disagree.
        rows = await self._fetch(_SQL_DELETE_IDENTITIES, {"account_id": account_id, "ids": ids})
        foreign = {r[0] for r in rows}
        return [i for i in ids if i in foreign]

    # -- logins --------------------------------------------------------------------------------
    async def link_logins(self, pool_id: str, request: LinkRequest, now: datetime) -> LinkResult:
        attempt = 1
        while True:
            try:
                async with self._connection() as conn, conn.transaction():
                    return await _link(conn, pool_id, request, now)
            except errors.UniqueViolation as exc:
                # Another call inserted one of the new logins first: its identity owns it now.
                if exc.diag.constraint_name != "logins_unique" or attempt >= LINK_ATTEMPTS:
                    raise
            except (errors.DeadlockDetected, _OwnersMoved):
                if attempt >= LINK_ATTEMPTS:
                    raise
            attempt += 1

    async def remove_logins(
        self,
        identity_id: str,
        *,
        providers: Sequence[str] = (),
        logins: Sequence[LoginKey] = (),
        now: datetime,
    ) -> int:
        if not providers and not logins:
            return 0
        async with self._connection() as conn, conn.transaction():
            # The identity's lock orders this after (or before) any link_logins touching it.
            await conn.execute(
                "SELECT 1 FROM identities WHERE identity_id = %s FOR NO KEY UPDATE", (identity_id,)
            )
            cur = await conn.execute(
                "DELETE FROM logins WHERE identity_id = %(id)s"
                " AND (provider = ANY(%(names)s::text[]) OR (provider, user_id) IN"
                " (SELECT * FROM unnest(%(providers)s::text[], %(users)s::text[])))",
                {
                    "id": identity_id,
                    "names": list(providers),
                    "providers": [k.provider for k in logins],
                    "users": [k.user_id for k in logins],
                },
            )
            removed = cur.rowcount
            if removed:
                await conn.execute(
                    "UPDATE identities SET last_modified_at = %s WHERE identity_id = %s",
                    (now, identity_id),
                )
            return removed

    async def list_logins(self, identity_id: str) -> list[Login]:
        rows = await self._fetch(
            f"SELECT {_LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
            " WHERE identity_id = %s ORDER BY seq",
            (identity_id,),
        )
        return [_login(r) for r in rows]

    async def find_login(self, pool_id: str, login: LoginKey) -> str | None:
        rows = await self._fetch(
            "SELECT identity_id FROM logins WHERE pool_id = %s AND provider = %s AND user_id = %s",
            (pool_id, login.provider, login.user_id),
        )
        return str(rows[0][0]) if rows else None

    async def list_provider_logins(
        self,
        pool_id: str,
        provider: str,
        *,
        identity_id: str | None,
        after: int | None,
        limit: int,
    ) -> Page[Login]:
        if identity_id is None:
            rows = await self._fetch(
                _SQL_LIST_PROVIDER_LOGINS, (pool_id, provider, after or 0, limit + 1)
            )
        else:
            rows = await self._fetch(
                _SQL_LIST_IDENTITY_PROVIDER_LOGINS,
                (identity_id, pool_id, provider, after or 0, limit + 1),
            )
        items = [_login(r) for r in rows[:limit]]
        return Page(items, rows[limit - 1][4] if len(rows) > limit else None)

    # -- OpenID token signing keys -------------------------------------------------------------
    async def create_signing_key(self, key: SigningKeyRecord) -> bool:
        # One statement: the unique partial index admits one current key, so of several processes
        # creating the first key at once exactly one inserts; the others do nothing.
        inserted = await self._rowcount(
            "INSERT INTO signing_keys (kid, private_key_ciphertext, public_jwk, created_at,"
            " retired_at, delete_after) VALUES (%s, %s, %s::jsonb, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            _signing_key_params(key),
        )
        return inserted == 1

    async def list_signing_keys(self, *, now: datetime | None = None) -> list[SigningKeyRecord]:
        rows = await self._fetch(
            "SELECT kid, private_key_ciphertext, public_jwk, created_at, retired_at, delete_after"
            " FROM signing_keys"
            " WHERE %(now)s::timestamptz IS NULL OR delete_after IS NULL OR delete_after > %(now)s"
            ' ORDER BY retired_at IS NULL DESC, created_at DESC, kid COLLATE "C"',
            {"now": now},
        )
        return [
            SigningKeyRecord(
                r[0],
                bytes(r[1]),
                r[2],
                _dt(r[3]),
                None if r[4] is None else _dt(r[4]),
                None if r[5] is None else _dt(r[5]),
            )
            for r in rows
        ]

    async def rotate_signing_key(
        self, new: SigningKeyRecord, retired_at: datetime, delete_after: datetime
    ) -> None:
        async with self._connection() as conn, conn.transaction():
            # Rotations and first-key creations queue on this lock (reads are not held up), so the
            # UPDATE below sees the key committed by a rotation that ran just before.
            await conn.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
            await conn.execute(
                "UPDATE signing_keys SET retired_at = %s, delete_after = %s"
                " WHERE retired_at IS NULL",
                (retired_at, delete_after),
            )
            await conn.execute(
                "INSERT INTO signing_keys (kid, private_key_ciphertext, public_jwk, created_at,"
                " retired_at, delete_after) VALUES (%s, %s, %s::jsonb, %s, %s, %s)",
                _signing_key_params(new),
            )

    async def purge_signing_keys(self, now: datetime) -> int:
        return await self._rowcount(
            "DELETE FROM signing_keys WHERE delete_after IS NOT NULL AND delete_after <= %s",
            (now,),
        )

    # -- IAM identity providers ----------------------------------------------------------------
    async def create_oidc_provider(self, provider: IamOidcProvider) -> bool:
        inserted = await self._rowcount(
            "INSERT INTO iam_oidc_providers (arn, account_id, url, client_ids, thumbprints, tags,"
            " created_at) VALUES (%s, %s, %s, %s::jsonb, %s::jsonb, %s::jsonb, %s)"
            " ON CONFLICT DO NOTHING",
            (
                provider.arn,
                provider.account_id,
                provider.url,
                dump_json_list(provider.client_ids),
                dump_json_list(provider.thumbprints),
                dump_tags(provider.tags),
                provider.created_at,
            ),
        )
        return inserted == 1

    async def get_oidc_provider(self, account_id: str, arn: str) -> IamOidcProvider | None:
        rows = await self._fetch(_SQL_GET_OIDC_PROVIDER, (arn, account_id))
        return _oidc_provider(rows[0]) if rows else None

    async def list_oidc_providers(self, account_id: str) -> list[IamOidcProvider]:
        rows = await self._fetch(
            f"SELECT {_OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
            ' WHERE account_id = %s ORDER BY arn COLLATE "C"',
            (account_id,),
        )
        return [_oidc_provider(r) for r in rows]

    async def update_oidc_provider(
        self, account_id: str, arn: str, mutate: OidcProviderMutation
    ) -> IamOidcProvider | None:
        async with self._connection() as conn, conn.transaction():
            cur = await conn.execute(_SQL_LOCK_OIDC_PROVIDER, (arn, account_id))
            row = await cur.fetchone()
            if row is None:
                return None
            new = mutate(_oidc_provider(row))  # raising here rolls the transaction back
            await conn.execute(
                "UPDATE iam_oidc_providers SET client_ids = %s::jsonb, thumbprints = %s::jsonb,"
                " tags = %s::jsonb WHERE arn = %s",
                (
                    dump_json_list(new.client_ids),
                    dump_json_list(new.thumbprints),
                    dump_tags(new.tags),
                    arn,
                ),
            )
            return new

    async def delete_oidc_provider(self, account_id: str, arn: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM iam_oidc_providers WHERE arn = %s AND account_id = %s", (arn, account_id)
        )
        return deleted == 1

    async def create_saml_provider(self, provider: IamSamlProvider) -> bool:
        # ON CONFLICT without a target: the ARN and the case-blind name index both count.
        inserted = await self._rowcount(
            "INSERT INTO iam_saml_providers (arn, account_id, name, metadata_document, tags,"
            " created_at, valid_until) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (
                provider.arn,
                provider.account_id,
                provider.name,
                provider.metadata_document,
                dump_tags(provider.tags),
                provider.created_at,
                provider.valid_until,
            ),
        )
        return inserted == 1

    async def get_saml_provider(self, account_id: str, arn: str) -> IamSamlProvider | None:
        rows = await self._fetch(_SQL_GET_SAML_PROVIDER, (arn, account_id))
        return _saml_provider(rows[0]) if rows else None

    async def list_saml_providers(self, account_id: str) -> list[IamSamlProvider]:
        rows = await self._fetch(
            f"SELECT {_SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
            ' WHERE account_id = %s ORDER BY arn COLLATE "C"',
            (account_id,),
        )
        return [_saml_provider(r) for r in rows]

    async def update_saml_provider(
        self, account_id: str, arn: str, mutate: SamlProviderMutation
    ) -> IamSamlProvider | None:
        async with self._connection() as conn, conn.transaction():
            cur = await conn.execute(_SQL_LOCK_SAML_PROVIDER, (arn, account_id))
            row = await cur.fetchone()
            if row is None:
                return None
            new = mutate(_saml_provider(row))  # raising here rolls the transaction back
            await conn.execute(
                "UPDATE iam_saml_providers SET metadata_document = %s, tags = %s::jsonb,"
                " valid_until = %s WHERE arn = %s",
                (new.metadata_document, dump_tags(new.tags), new.valid_until, arn),
            )
            return new

    async def delete_saml_provider(self, account_id: str, arn: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM iam_saml_providers WHERE arn = %s AND account_id = %s", (arn, account_id)
        )
        return deleted == 1


_OIDC_COLUMNS = "arn, account_id, url, created_at, client_ids, thumbprints, tags"
_SAML_COLUMNS = "arn, account_id, name, metadata_document, created_at, valid_until, tags"
_SQL_GET_OIDC_PROVIDER = (
    f"SELECT {_OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
    " WHERE arn = %s AND account_id = %s"
)
_SQL_GET_SAML_PROVIDER = (
    f"SELECT {_SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
    " WHERE arn = %s AND account_id = %s"
)
_SQL_LOCK_OIDC_PROVIDER = _SQL_GET_OIDC_PROVIDER + " FOR NO KEY UPDATE"
_SQL_LOCK_SAML_PROVIDER = _SQL_GET_SAML_PROVIDER + " FOR NO KEY UPDATE"


def _oidc_provider(row: TupleRow) -> IamOidcProvider:
    return IamOidcProvider(
        row[0],
        row[1],
        row[2],
        _dt(row[3]),
        load_json_list(row[4]),
        load_json_list(row[5]),
        load_tags(row[6]),
    )


def _saml_provider(row: TupleRow) -> IamSamlProvider:
    return IamSamlProvider(
        row[0],
        row[1],
        row[2],
        row[3],
        _dt(row[4]),
        None if row[5] is None else _dt(row[5]),
        load_tags(row[6]),
    )


async def _link(conn: Connection, pool_id: str, request: LinkRequest, now: datetime) -> LinkResult:
    """One attempt of ``link_logins``, inside the caller's transaction."""
    presented = list(dict.fromkeys(request.logins))
    params: dict[str, Any] = {
        "pool_id": pool_id,
        "named": request.identity_id,
        "providers": [k.provider for k in presented],
        "users": [k.user_id for k in presented],
    }
    cur = await conn.execute(_SQL_LOCK_INVOLVED, params)
    locked = {r[0]: r for r in await cur.fetchall()}
    wanted = set(presented)
    for _ in range(MAX_LOCK_ROUNDS):
        cur = await conn.execute(_SQL_SNAPSHOT_LOGINS, {**params, "ids": list(locked)})
        rows = await cur.fetchall()
        owner_of = {key: r[0] for r in rows if (key := LoginKey(r[1], r[2])) in wanted}
        missing = set(owner_of.values()) - locked.keys()
        if not missing:
            break
        # A login changed owner (a concurrent merge) or lost it (a deleted identity) between the
        # read and the lock: lock the new owners too, then read again.
        cur = await conn.execute(_SQL_LOCK_IDENTITIES, {"pool_id": pool_id, "ids": sorted(missing)})
        locked.update((r[0], r) for r in await cur.fetchall())
    else:
        raise _OwnersMoved
    # The locked identities' logins cannot change now: every writer of logins locks the identity.
    logins_of: dict[str, list[LoginKey]] = {i: [] for i in locked}
    for r in rows:
        if r[0] in logins_of:
            logins_of[r[0]].append(LoginKey(r[1], r[2]))
    states = {
        i: IdentityState(i, _dt(r[1]), bool(r[2]), tuple(logins_of[i])) for i, r in locked.items()
    }
    named = None if request.identity_id is None else states.get(request.identity_id)
    plan = plan_links(request, Snapshot({k: states[i] for k, i in owner_of.items()}, named))
    await _apply_plan(conn, pool_id, plan, now)
    return LinkResult(plan.target, plan.create, plan.merge, plan.logins_after)


async def _apply_plan(conn: Connection, pool_id: str, plan: LinkPlan, now: datetime) -> None:
    target = plan.target
    if plan.create:
        await conn.execute(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (%s, %s, %s, %s, FALSE)",
            (target, pool_id, now, now),
        )
    if plan.merge:
        merged = list(plan.merge)
        await conn.execute(
            "UPDATE logins SET identity_id = %s WHERE identity_id = ANY(%s::text[])",
            (target, merged),
        )
        await conn.execute(
            "UPDATE identities SET disabled = TRUE, last_modified_at = %s"
            " WHERE identity_id = ANY(%s::text[])",
            (now, merged),
        )
    if plan.add:
        await conn.execute(
            _SQL_INSERT_LOGINS,
            {
                "pool_id": pool_id,
                "target": target,
                "now": now,
                "providers": [k.provider for k in plan.add],
                "users": [k.user_id for k in plan.add],
            },
        )
    if plan.changes and not plan.create:
        await conn.execute(
            "UPDATE identities SET last_modified_at = %s WHERE identity_id = %s", (now, target)
        )


def _signing_key_params(key: SigningKeyRecord) -> tuple[Any, ...]:
    return (
        key.kid,
        key.private_key_ciphertext,
        orjson.dumps(key.public_jwk).decode(),
        key.created_at,
        key.retired_at,
        key.delete_after,
    )


async def _migrate(conn: Connection) -> None:
    """Apply pending migrations in one transaction, serialised across processes by an advisory
    transaction lock (released at commit or rollback)."""
    async with conn.transaction():
        await conn.execute(
            f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK},"
            " hashtext(coalesce(current_schema(), '')))"
        )
        cur = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        row = await cur.fetchone()
        if row is None or not row[0]:
            await conn.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
        cur = await conn.execute("SELECT version FROM schema_migrations")
        done = {r[0] for r in await cur.fetchall()}
        for migration in load_migrations("postgresql"):
            if migration.version in done:
                continue
            for statement in migration.statements:
                await conn.execute(statement.encode())
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, now())",
                (migration.version, migration.name),
            )
