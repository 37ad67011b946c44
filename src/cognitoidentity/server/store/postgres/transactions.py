"""The store's writes of more than one statement, each run inside one transaction by the caller.

Races between processes are settled by row locks: ``create_pool`` locks the account row before
counting its pools, ``update_pool`` locks the pool row before calling the mutation,
``link_logins`` and ``remove_logins`` lock the identities whose logins they read or change (two
first uses of one login: the unique key decides, the loser retries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cognitoidentity.server import linking
from cognitoidentity.server.store import base, codec, purge
from cognitoidentity.server.store.postgres import statements
from cognitoidentity.server.store.postgres.connection import Connection

MAX_LOCK_ROUNDS = 8
"""Rounds of locking the owners of the presented logins before an attempt gives up (each round
follows logins that a concurrent merge moved while they were being locked)."""

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


class OwnersMoved(Exception):
    """The owners of the presented logins kept changing while being locked; start again."""


# -- identity pools ------------------------------------------------------------------------------
async def create_pool(
    conn: Connection, pool: base.IdentityPool, document: str, max_pools: int
) -> None:
    # Creators of pools in one account queue on the account row, so each one counts the
    # pools committed by those before it. NO KEY UPDATE conflicts with itself (and with
    # DELETE of the account) but not with the key-share locks of foreign-key checks, so
    # concurrent access-key inserts for the account are not held up.
    await conn.execute(
        "SELECT 1 FROM accounts WHERE account_id = %s FOR NO KEY UPDATE",
        (pool.account_id,),
    )
    cur = await conn.execute(
        "SELECT seq FROM identity_pools WHERE pool_id = %s AND deleted_at IS NOT NULL",
        (pool.pool_id,),
    )
    held = await cur.fetchone()
    if held is not None:
        raise purge.PoolStillDeleting(held[0])
    # A deleted pool no longer counts (see purge.py), whether or not its identities are gone.
    cur = await conn.execute(
        "SELECT count(*) FROM identity_pools WHERE account_id = %s AND deleted_at IS NULL",
        (pool.account_id,),
    )
    row = await cur.fetchone()
    count = row[0] if row else 0
    if count >= max_pools:
        raise base.LimitReached(f"{count} pools")
    await conn.execute(
        "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
        " VALUES (%s, %s, %s, %s::jsonb, %s)",
        (pool.pool_id, pool.account_id, pool.region, document, pool.created_at),
    )


async def update_pool(
    conn: Connection, pool_id: str, mutate: base.PoolMutation
) -> base.IdentityPool | None:
    # The UPDATE below changes no key column, so NO KEY UPDATE is the lock it takes anyway;
    # taking it here (rather than FOR UPDATE) lets identities keep being created in the
    # pool while ``mutate`` runs.
    cur = await conn.execute(
        f"SELECT {codec.POOL_COLUMNS} FROM identity_pools"  # noqa: S608 - constant columns
        " WHERE pool_id = %s AND deleted_at IS NULL FOR NO KEY UPDATE",
        (pool_id,),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    new = mutate(codec.pool_from_row(row))  # raising here rolls the transaction back
    await conn.execute(
        "UPDATE identity_pools SET document = %s::jsonb WHERE pool_id = %s",
        (codec.dump_pool_document(new), pool_id),
    )
    return new


# -- logins --------------------------------------------------------------------------------------
async def link_logins(
    conn: Connection, pool_id: str, request: linking.LinkRequest, now: datetime
) -> base.LinkResult:
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
        owner_of = {key: r[0] for r in rows if (key := linking.LoginKey(r[1], r[2])) in wanted}
        missing = set(owner_of.values()) - locked.keys()
        if not missing:
            break
        # A login changed owner (a concurrent merge) or lost it (a deleted identity) between the
        # read and the lock: lock the new owners too, then read again.
        cur = await conn.execute(_SQL_LOCK_IDENTITIES, {"pool_id": pool_id, "ids": sorted(missing)})
        locked.update((r[0], r) for r in await cur.fetchall())
    else:
        raise OwnersMoved
    # The locked identities' logins cannot change now: every writer of logins locks the identity.
    logins_of: dict[str, list[linking.LoginKey]] = {i: [] for i in locked}
    for r in rows:
        if r[0] in logins_of:
            logins_of[r[0]].append(linking.LoginKey(r[1], r[2]))
    states = {
        i: linking.IdentityState(i, codec.instant(r[1]), bool(r[2]), tuple(logins_of[i]))
        for i, r in locked.items()
    }
    named = None if request.identity_id is None else states.get(request.identity_id)
    plan = linking.plan_links(
        request, linking.Snapshot({k: states[i] for k, i in owner_of.items()}, named)
    )
    await _apply_plan(conn, pool_id, plan, now)
    return base.LinkResult(plan.target, plan.create, plan.merge, plan.logins_after)


async def _apply_plan(
    conn: Connection, pool_id: str, plan: linking.LinkPlan, now: datetime
) -> None:
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


async def remove_logins(
    conn: Connection,
    identity_id: str,
    providers: Sequence[str],
    logins: Sequence[linking.LoginKey],
    now: datetime,
) -> int:
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


# -- OpenID token signing keys -------------------------------------------------------------------
async def rotate_signing_key(
    conn: Connection, new: base.SigningKeyRecord, retired_at: datetime, delete_after: datetime
) -> None:
    # Rotations and first-key creations queue on this lock (reads are not held up), so the
    # UPDATE below sees the key committed by a rotation that ran just before.
    await conn.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
    await conn.execute(
        "UPDATE signing_keys SET retired_at = %s, delete_after = %s WHERE retired_at IS NULL",
        (retired_at, delete_after),
    )
    await conn.execute(
        f"INSERT INTO signing_keys ({codec.SIGNING_KEY_COLUMNS})"  # noqa: S608 - constant columns
        " VALUES (%s, %s, %s::jsonb, %s, %s, %s)",
        codec.signing_key_row(new, codec.timestamptz),
    )


# -- IAM identity providers ----------------------------------------------------------------------
async def update_oidc_provider(
    conn: Connection, account_id: str, arn: str, mutate: base.OidcProviderMutation
) -> base.IamOidcProvider | None:
    cur = await conn.execute(statements.LOCK_OIDC_PROVIDER, (arn, account_id))
    row = await cur.fetchone()
    if row is None:
        return None
    new = mutate(codec.oidc_provider_from_row(row))  # raising here rolls the transaction back
    await conn.execute(
        "UPDATE iam_oidc_providers SET client_ids = %s::jsonb, thumbprints = %s::jsonb,"
        " tags = %s::jsonb WHERE arn = %s",
        (
            codec.dump_json_list(new.client_ids),
            codec.dump_json_list(new.thumbprints),
            codec.dump_tags(new.tags),
            arn,
        ),
    )
    return new


async def update_saml_provider(
    conn: Connection, account_id: str, arn: str, mutate: base.SamlProviderMutation
) -> base.IamSamlProvider | None:
    cur = await conn.execute(statements.LOCK_SAML_PROVIDER, (arn, account_id))
    row = await cur.fetchone()
    if row is None:
        return None
    new = mutate(codec.saml_provider_from_row(row))  # raising here rolls the transaction back
    await conn.execute(
        "UPDATE iam_saml_providers SET metadata_document = %s, tags = %s::jsonb,"
        " valid_until = %s WHERE arn = %s",
        (new.metadata_document, codec.dump_tags(new.tags), new.valid_until, arn),
    )
    return new
