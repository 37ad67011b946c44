"""ListIdentities on PostgreSQL reads a range of the pool's index whatever the data's shape: never a
walk of every identity in seq order filtered on the pool, which reads the other pools' rows between
two of this pool's (linear in that gap)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from cognitoidentity.server.store import Store
from cognitoidentity.server.store.postgres import statements
from tests.support.postgres import require_postgres, temporary_schema

from .conftest import StoreTarget
from .test_store_contract import account, pool

LISTS = {"all": statements.LIST_IDENTITIES, "enabled": statements.LIST_ENABLED_IDENTITIES}


@pytest.fixture(scope="module")
def interleaved() -> Iterator[tuple[str, list[str]]]:
    """A migrated schema's URL and three pools: the first two's identities inserted alternately
    (2,000 each), then 3,000 more of the second's, then the first's and the third's interleaved
    (a 1-in-50 small pool), analysed."""
    require_postgres()
    with temporary_schema() as url:
        pools = [pool(name=f"p{n}") for n in range(3)]

        async def create(store: Store) -> None:
            await store.create_account(account())
            for p in pools:
                await store.create_pool(p, max_pools=10)

        StoreTarget("postgresql", url).run(create)
        a, b, c = (p.pool_id for p in pools)
        insert = (
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " SELECT %s || g, CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, now(), now(), g %% 7 = 0"
            " FROM generate_series(1, %s) g"
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(insert, ("x", a, b, 4_000))
            conn.execute(insert, ("y", b, b, 3_000))
            conn.execute(
                "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at)"
                " SELECT 'z' || g, CASE WHEN g %% 50 = 0 THEN %s ELSE %s END, now(), now()"
                " FROM generate_series(1, 2000) g",
                (c, a),
            )
            conn.execute("VACUUM ANALYZE identities")
        yield url, [a, b, c]


def numbered(statement: str) -> str:
    """``statement`` with its ``%s`` placeholders as ``$1``, ``$2``... (for ``PREPARE``)."""
    parts = statement.split("%s")
    return parts[0] + "".join(f"${n}{rest}" for n, rest in enumerate(parts[1:], 1))


def scans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The plan nodes under ``node`` (itself included) that read the identities table."""
    if node.get("Relation Name") == "identities":
        yield node
    for child in node.get("Plans", []):
        yield from scans(child)


def assert_pool_index_range(plan: dict[str, Any], *, ordered: bool) -> dict[str, Any]:
    """Assert that ``plan`` reads identities as one range of ``identities_by_pool`` (this pool's
    rows after the cursor), in order when ``ordered``, else possibly through a bitmap (then sorted:
    the planner's choice for a pool it knows to be small); return the index scan node."""
    (scan,) = scans(plan)
    if scan["Node Type"] == "Bitmap Heap Scan" and not ordered:
        (scan,) = scan["Plans"]
        assert scan["Node Type"] == "Bitmap Index Scan", scan
    else:
        assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
    assert scan["Index Name"] == "identities_by_pool", scan
    assert "pool_id =" in scan["Index Cond"] and "seq >" in scan["Index Cond"], scan
    assert "pool_id" not in scan.get("Filter", ""), scan
    return scan


def explain(url: str, statement: str, params: tuple[object, ...], mode: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET plan_cache_mode = {mode}".encode())
        conn.execute(f"PREPARE page (text, bigint, bigint) AS {numbered(statement)}".encode())
        literals = sql.SQL(", ").join(sql.Literal(p) for p in params)
        query = sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE page ({})").format(literals)
        (row,) = conn.execute(query).fetchall()
    document = row[0] if isinstance(row[0], list) else json.loads(row[0])
    plan: dict[str, Any] = document[0]["Plan"]
    return plan


@pytest.mark.parametrize("mode", ["force_generic_plan", "force_custom_plan"])
@pytest.mark.parametrize("kind", sorted(LISTS))
def test_list_identities_reads_a_range_of_the_pool_index(
    interleaved: tuple[str, list[str]], kind: str, mode: str
) -> None:
    url, (big, crossing, small) = interleaved
    with psycopg.connect(url) as conn:
        last: dict[str, int] = dict(
            conn.execute("SELECT pool_id, max(seq) FROM identities GROUP BY 1").fetchall()
        )
    pages = [
        (big, 0),  # a first page of the biggest pool, interleaved with another
        (small, 0),  # a first page of a pool of few, spread identities
        (crossing, 0),
        (big, 3_990),  # the page that crosses the 3,000 rows of another pool
        (big, last[big]),  # past the end
    ]
    for pool_id, after in pages:
        plan = explain(url, LISTS[kind], (pool_id, after, 61), mode)
        generic = mode == "force_generic_plan"
        scan = assert_pool_index_range(plan, ordered=generic or pool_id != small)
        if generic:
            assert "$1" in scan["Index Cond"], scan  # the one plan made for every pool
