"""The store's writes of more than one statement: each a job that the writer thread runs on its
connection, inside the group's transaction (:mod:`.writer`), so nothing else writes while it runs,
in this process or another, and a read-modify-write needs no lock of its own.

A job may run twice (the group is run again when one of its writes fails): jobs only touch the
database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from cognitoidentity.server import linking
from cognitoidentity.server.store import base, codec, purge
from cognitoidentity.server.store.sqlite import statements


# -- identity pools ------------------------------------------------------------------------------
def create_pool(
    conn: sqlite3.Connection, pool: base.IdentityPool, document: str, max_pools: int
) -> None:
    held = conn.execute(
        "SELECT seq FROM identity_pools WHERE pool_id = ? AND deleted_at IS NOT NULL",
        (pool.pool_id,),
    ).fetchone()
    if held is not None:
        raise purge.PoolStillDeleting(held[0])
    # A deleted pool no longer counts (see purge.py), whether or not its identities are gone.
    (count,) = conn.execute(
        "SELECT count(*) FROM identity_pools WHERE account_id = ? AND deleted_at IS NULL",
        (pool.account_id,),
    ).fetchone()
    if count >= max_pools:
        raise base.LimitReached(f"{count} pools")
    conn.execute(
        "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (pool.pool_id, pool.account_id, pool.region, document, codec.seconds(pool.created_at)),
    )


def update_pool(
    conn: sqlite3.Connection,
    pool_id: str,
    mutate: base.PoolMutation,
    decode: Callable[[codec.Row], base.IdentityPool],
) -> base.IdentityPool | None:
    row = conn.execute(statements.GET_POOL, (pool_id,)).fetchone()
    if row is None:
        return None
    new = mutate(decode(row))
    conn.execute(
        "UPDATE identity_pools SET document = ? WHERE pool_id = ?",
        (codec.dump_pool_document(new), pool_id),
    )
    return new


# -- identities ----------------------------------------------------------------------------------
def delete_identities(conn: sqlite3.Connection, account_id: str, ids: list[str]) -> list[str]:
    """Delete those of ``ids`` in ``account_id``'s pools; the ids found in another's."""
    marks = ",".join("?" * len(ids))
    found = conn.execute(
        f"SELECT i.identity_id, p.account_id FROM identities i"  # noqa: S608 - only marks
        " JOIN identity_pools p ON p.pool_id = i.pool_id AND p.deleted_at IS NULL"
        f" WHERE i.identity_id IN ({marks})",
        ids,
    ).fetchall()
    mine = [r[0] for r in found if r[1] == account_id]
    foreign = [r[0] for r in found if r[1] != account_id]
    if mine:
        marks = ",".join("?" * len(mine))
        conn.execute(f"DELETE FROM identities WHERE identity_id IN ({marks})", mine)  # noqa: S608
    return foreign


# -- logins --------------------------------------------------------------------------------------
def link_logins(
    conn: sqlite3.Connection, pool_id: str, request: linking.LinkRequest, now: float
) -> base.LinkResult:
    # One writer job: the writer thread runs jobs one at a time and each transaction starts
    # with BEGIN IMMEDIATE, so nothing (in this process or another) writes between the
    # snapshot and the plan's writes. A planner error rolls the job's savepoint back.
    plan = linking.plan_links(request, _load_snapshot(conn, pool_id, request))
    _apply_plan(conn, pool_id, plan, now)
    return base.LinkResult(plan.target, plan.create, plan.merge, plan.logins_after)


def _identity_state(
    conn: sqlite3.Connection, pool_id: str, identity_id: str
) -> linking.IdentityState | None:
    """The identity with all its logins, or None when it does not exist in ``pool_id``."""
    row = conn.execute(
        "SELECT created_at, disabled FROM identities WHERE identity_id = ? AND pool_id = ?",
        (identity_id, pool_id),
    ).fetchone()
    if row is None:
        return None
    logins = conn.execute(
        "SELECT provider, user_id FROM logins WHERE identity_id = ? ORDER BY seq", (identity_id,)
    ).fetchall()
    return linking.IdentityState(
        identity_id,
        codec.instant(row[0]),
        bool(row[1]),
        tuple(linking.LoginKey(p, u) for p, u in logins),
    )


def _load_snapshot(
    conn: sqlite3.Connection, pool_id: str, request: linking.LinkRequest
) -> linking.Snapshot:
    states: dict[str, linking.IdentityState | None] = {}

    def state(identity_id: str) -> linking.IdentityState | None:
        if identity_id not in states:
            states[identity_id] = _identity_state(conn, pool_id, identity_id)
        return states[identity_id]

    owners: dict[linking.LoginKey, linking.IdentityState] = {}
    for key in dict.fromkeys(request.logins):
        row = conn.execute(
            "SELECT identity_id FROM logins WHERE pool_id = ? AND provider = ? AND user_id = ?",
            (pool_id, key.provider, key.user_id),
        ).fetchone()
        owner = None if row is None else state(row[0])
        if owner is not None:
            owners[key] = owner
    named = None if request.identity_id is None else state(request.identity_id)
    return linking.Snapshot(owners, named)


def _apply_plan(conn: sqlite3.Connection, pool_id: str, plan: linking.LinkPlan, now: float) -> None:
    target = plan.target
    if plan.create:
        conn.execute(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (?, ?, ?, ?, 0)",
            (target, pool_id, now, now),
        )
    for merged in plan.merge:
        conn.execute("UPDATE logins SET identity_id = ? WHERE identity_id = ?", (target, merged))
        conn.execute(
            "UPDATE identities SET disabled = 1, last_modified_at = ? WHERE identity_id = ?",
            (now, merged),
        )
    conn.executemany(
        "INSERT INTO logins (pool_id, provider, user_id, identity_id, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(pool_id, key.provider, key.user_id, target, now) for key in plan.add],
    )
    if plan.changes and not plan.create:
        conn.execute(
            "UPDATE identities SET last_modified_at = ? WHERE identity_id = ?", (now, target)
        )


def remove_logins(
    conn: sqlite3.Connection,
    identity_id: str,
    providers: Sequence[str],
    logins: Sequence[linking.LoginKey],
    now: float,
) -> int:
    removed = 0
    for provider in dict.fromkeys(providers):
        removed += conn.execute(
            "DELETE FROM logins WHERE identity_id = ? AND provider = ?",
            (identity_id, provider),
        ).rowcount
    for key in dict.fromkeys(logins):
        removed += conn.execute(
            "DELETE FROM logins WHERE identity_id = ? AND provider = ? AND user_id = ?",
            (identity_id, key.provider, key.user_id),
        ).rowcount
    if removed:
        conn.execute(
            "UPDATE identities SET last_modified_at = ? WHERE identity_id = ?", (now, identity_id)
        )
    return removed


# -- OpenID token signing keys -------------------------------------------------------------------
def rotate_signing_key(
    conn: sqlite3.Connection, params: tuple[Any, ...], retired_at: datetime, delete_after: datetime
) -> None:
    conn.execute(
        "UPDATE signing_keys SET retired_at = ?, delete_after = ? WHERE retired_at IS NULL",
        (codec.seconds(retired_at), codec.seconds(delete_after)),
    )
    conn.execute(
        f"INSERT INTO signing_keys ({codec.SIGNING_KEY_COLUMNS})"  # noqa: S608 - constant columns
        " VALUES (?, ?, ?, ?, ?, ?)",
        params,
    )


# -- IAM identity providers ----------------------------------------------------------------------
def update_oidc_provider(
    conn: sqlite3.Connection, account_id: str, arn: str, mutate: base.OidcProviderMutation
) -> base.IamOidcProvider | None:
    row = conn.execute(statements.GET_OIDC_PROVIDER, (arn, account_id)).fetchone()
    if row is None:
        return None
    new = mutate(codec.oidc_provider_from_row(row))
    conn.execute(
        "UPDATE iam_oidc_providers SET client_ids = ?, thumbprints = ?, tags = ? WHERE arn = ?",
        (
            codec.dump_json_list(new.client_ids),
            codec.dump_json_list(new.thumbprints),
            codec.dump_tags(new.tags),
            arn,
        ),
    )
    return new


def update_saml_provider(
    conn: sqlite3.Connection, account_id: str, arn: str, mutate: base.SamlProviderMutation
) -> base.IamSamlProvider | None:
    row = conn.execute(statements.GET_SAML_PROVIDER, (arn, account_id)).fetchone()
    if row is None:
        return None
    new = mutate(codec.saml_provider_from_row(row))
    conn.execute(
        "UPDATE iam_saml_providers SET metadata_document = ?, tags = ?, valid_until = ?"
        " WHERE arn = ?",
        (
            new.metadata_document,
            codec.dump_tags(new.tags),
            None if new.valid_until is None else codec.seconds(new.valid_until),
            arn,
        ),
    )
    return new
