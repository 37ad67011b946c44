"""The bare reference rates: what one thread of this process gets from the layers underneath our
server, measured once the servers have stopped, and only those the selected scenarios compare with
(:data:`BARE_REFERENCES`).

- ``insert``: one identity row per transaction into the store's own ``identities`` table, made by
  the store's own migrations (opening the store runs them), with the store's settings but none of
  its code in the loop: what the disk and the database allow one committer.
- ``sign``: RS512 signatures (RSA-2048, PKCS#1 v1.5 + SHA-512) with ``cryptography``, as our
  token issuer makes them.
- ``verify``: RS256 verifications with :data:`VERIFY_LIBRARY`, called as our OIDC login verifier
  calls it; bare ``cryptography``'s rate is kept next to it for information.
- ``decide``: the policy engine's ``evaluate`` on the decision scenario's 3 policies (parsed
  once, as the server's role directory parses them) and the very request the decision endpoint
  decided at set-up: its action, resource and request context, as its answer reported them.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jws
from joserfc.jwk import RSAKey

from bench.calls import compact_json
from bench.decisions import DecisionCase, bare_policies
from bench.login import BenchLogin
from bench.options import Options
from bench.scenarios import Scenario
from cognitoidentity.server.policy import Request, evaluate
from cognitoidentity.server.store import open_store
from tests.support.idp import b64url
from tests.support.postgres import schema_in
from tests.support.server import REGION, ROOT_ACCOUNT

BARE_REFERENCES = {
    "insert": "bare insert (1/txn)",
    "sign": "bare RS512 sign",
    "verify": "bare RS256 verify",
    "decide": "bare policy evaluation",
}
"""The references a scenario's ``vs_bare`` can name, as the report labels them."""
VERIFY_LIBRARY = "joserfc"
"""The library our OIDC login verifier (``cognitoidentity.server.logins.oidc``) checks signatures
with: ``jws.deserialize_compact(token, RSAKey, algorithms=[alg])``, which parses the token too.
A choice made here, to be changed with the verifier."""
MAX_BARE_LOOPS = 50_000_000
"""Upper bound on a bare loop besides its time limit."""
BARE_POOL = "us-east-1:00000000-0000-4000-8000-000000000000"


@dataclass
class BareResult:
    """One single-threaded loop of this process, run when the servers have stopped."""

    reference: str
    """``insert``, ``sign``, ``verify``, ``decide`` (what scenarios compare with) or
    ``verify-cryptography``."""
    label: str
    count: int
    duration_s: float
    rate: float
    cpu_s: float | None = None
    """CPU time this process spent in the loop (all its threads: the others are idle then);
    ``count / cpu_s`` is the rate per core busy, which other load on the machine affects less."""


def needed(scenarios: list[Scenario]) -> list[str]:
    """The references ``scenarios`` compare with, in :data:`BARE_REFERENCES` order."""
    wanted = {s.vs_bare[0] for s in scenarios if s.vs_bare}
    return [name for name in BARE_REFERENCES if name in wanted]


def _timed(reference: str, label: str, seconds: float, step: Callable[[], object]) -> BareResult:
    """``step()`` over and over for ``seconds``."""
    count = 0
    cpu = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    while count < MAX_BARE_LOOPS and time.perf_counter() < deadline:
        step()
        count += 1
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return BareResult(reference, label, count, elapsed, count / elapsed, cpu)


# -- store inserts -------------------------------------------------------------------------------
def migrate(url: str) -> None:
    """The store's tables at ``url`` (a SQLite file or a PostgreSQL URL), made as our server
    makes them: by opening the store, which applies its migrations."""

    async def open_and_close() -> None:
        store = await open_store(url)
        await store.close()

    asyncio.run(open_and_close())


def bare_insert_sqlite(path: Path, seconds: float) -> BareResult:
    """One identity row per transaction (BEGIN IMMEDIATE ... COMMIT), WAL and synchronous=FULL as in
    the store, through stdlib sqlite3 only."""
    migrate(str(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        now = time.time()
        conn.execute(
            "INSERT INTO accounts (account_id, name, created_at) VALUES (?, 'bench', ?)",
            (ROOT_ACCOUNT, now),
        )
        conn.execute(
            "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
            " VALUES (?, ?, ?, '{}', ?)",
            (BARE_POOL, ROOT_ACCOUNT, REGION, now),
        )
        sql = (
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (?, ?, ?, ?, 0)"
        )

        def insert() -> None:
            now = time.time()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, (f"{REGION}:{uuid.uuid4()}", BARE_POOL, now, now))
            conn.execute("COMMIT")

        return _timed("insert", "sqlite", seconds, insert)
    finally:
        conn.close()


def bare_insert_postgres(url: str, seconds: float) -> BareResult:
    """One identity row per transaction (autocommit INSERT), in the schema ``url`` names."""
    import psycopg

    migrate(url)
    conn = psycopg.connect(url, autocommit=True)
    try:
        conn.execute(
            "INSERT INTO accounts (account_id, name, created_at) VALUES (%s, 'bench', now())",
            (ROOT_ACCOUNT,),
        )
        conn.execute(
            "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
            " VALUES (%s, %s, %s, '{}', now())",
            (BARE_POOL, ROOT_ACCOUNT, REGION),
        )
        sql = (
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (%s, %s, %s, %s, false)"
        )

        def insert() -> None:
            now = datetime.now(UTC)
            conn.execute(sql, (f"{REGION}:{uuid.uuid4()}", BARE_POOL, now, now), prepare=True)

        return _timed("insert", "postgresql", seconds, insert)
    finally:
        conn.close()


# -- signatures ----------------------------------------------------------------------------------
def bare_sign(seconds: float) -> BareResult:
    """RS512 signatures of a JWT-sized signing input (the header and claims of one of our
    GetOpenIdToken tokens) with a fresh RSA-2048 key: ``cryptography``, PKCS#1 v1.5 + SHA-512,
    what our token issuer does per token. Only the signature is in the loop."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    header = {"kid": b64url(secrets.token_bytes(32)), "typ": "JWS", "alg": "RS512"}
    claims = {
        "sub": f"{REGION}:{uuid.uuid4()}",
        "aud": f"{REGION}:{uuid.uuid4()}",
        "amr": ["unauthenticated"],
        "iss": "http://127.0.0.1:65535",
        "exp": now + 600,
        "iat": now,
    }
    signing_input = (b64url(compact_json(header)) + "." + b64url(compact_json(claims))).encode()
    pkcs1v15, sha512 = padding.PKCS1v15(), hashes.SHA512()
    return _timed(
        "sign", "cryptography", seconds, lambda: key.sign(signing_input, pkcs1v15, sha512)
    )


def bare_verify_joserfc(seconds: float, login: BenchLogin) -> BareResult:
    """Verifications of the bench's ID token as our OIDC verifier makes them: joserfc's
    ``jws.deserialize_compact`` with the key imported from the provider's JWKS."""
    token = login.id_token
    key = RSAKey.import_key(login.public_jwk)
    algorithms = ["RS256"]
    return _timed(
        "verify",
        "joserfc",
        seconds,
        lambda: jws.deserialize_compact(token, key, algorithms=algorithms),
    )


def bare_verify_cryptography(seconds: float, login: BenchLogin) -> BareResult:
    """Verifications of the bench's ID token with bare ``cryptography``: PKCS#1 v1.5 + SHA-256
    over the signing input, the token split beforehand."""
    public = login.key.public_key
    signing_input, _, signature = login.id_token.rpartition(".")
    data = signing_input.encode()
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    pkcs1v15, sha256 = padding.PKCS1v15(), hashes.SHA256()
    return _timed(
        "verify-cryptography",
        "cryptography",
        seconds,
        lambda: public.verify(raw, data, pkcs1v15, sha256),
    )


# -- policy evaluation ---------------------------------------------------------------------------
def bare_decide(seconds: float, case: DecisionCase) -> BareResult:
    """Decisions of the policy engine alone (``evaluate``, one ``Request`` built per call, as the
    endpoint builds it) on the decision scenario's policies and request (see the module's
    docstring); the first must agree with what the endpoint answered."""
    policies = bare_policies()
    action, resource, context = case.action, case.resource, case.context
    first = evaluate(Request(action, resource, context), policies)
    sids = tuple(m.statement.sid for m in first.matched)
    if (first.outcome, sids) != (case.outcome, case.matched_sids):
        raise RuntimeError(
            f"the bare engine decided {first.outcome} by {sids}, the endpoint {case.outcome} by"
            f" {case.matched_sids}"
        )
    return _timed(
        "decide",
        f"{sum(len(p.statements) for p in policies)} statements",
        seconds,
        lambda: evaluate(Request(action, resource, context), policies),
    )


# -- the references a run needs ------------------------------------------------------------------
def run_references(
    options: Options,
    work: Path,
    login: BenchLogin | None,
    failed: list[str],
    decision: DecisionCase | None = None,
) -> tuple[dict[str, BareResult], list[BareResult]]:
    """The reference loops the selected scenarios need (fastest of --repeat each), and, next to
    the RS256 verification rate of :data:`VERIFY_LIBRARY`, bare ``cryptography``'s for
    information. ``decision``: what our server's decision endpoint decided at set-up (None: it
    could not; the ``decide`` loop is then skipped). A loop that fails is added to ``failed``;
    the others go on."""
    bares: dict[str, BareResult] = {}
    extra: list[BareResult] = []
    crypto = options.crypto_seconds

    def fastest(title: str, unit: str, make: Callable[[], BareResult]) -> BareResult:
        print(f"== {title}", flush=True)
        b = max((make() for _ in range(options.repeat)), key=lambda b: b.rate)
        counted = f" ({b.count} in {b.duration_s:.1f} s)" if b.reference == "insert" else ""
        print(f"   {b.rate:,.0f} {unit}{counted}", flush=True)
        return b

    for name in needed(options.selected):
        try:
            if name == "insert" and options.insert_seconds > 0:
                bares[name] = fastest(
                    f"bare {options.store} insert, one row per transaction,"
                    f" {options.insert_seconds:g} s",
                    "inserts/s",
                    partial(_insert, options, work),
                )
            elif name == "sign" and crypto > 0:
                bares[name] = fastest(
                    "bare RS512 signing (cryptography, RSA-2048, PKCS#1 v1.5 + SHA-512),"
                    f" {crypto:g} s",
                    "signatures/s",
                    partial(bare_sign, crypto),
                )
            elif name == "verify" and crypto > 0 and login is not None:
                bares[name] = fastest(
                    f"bare RS256 verification ({VERIFY_LIBRARY}, RSA-2048), {crypto:g} s",
                    "verifications/s",
                    partial(bare_verify_joserfc, crypto, login),
                )
                extra.append(
                    fastest(
                        f"bare RS256 verification (cryptography, RSA-2048), {crypto:g} s"
                        " (information)",
                        "verifications/s",
                        partial(bare_verify_cryptography, crypto, login),
                    )
                )
            elif name == "decide" and crypto > 0 and decision is not None:
                bares[name] = fastest(
                    f"bare policy evaluation (the engine's evaluate, {len(bare_policies())}"
                    f" policies), {crypto:g} s",
                    "decisions/s",
                    partial(bare_decide, crypto, decision),
                )
        except Exception as exc:
            failed.append(f"bare {name}: {exc}")
            print(f"   FAILED: {exc}", flush=True)
    return bares, extra


def _insert(options: Options, work: Path) -> BareResult:
    """One bare insert loop: SQLite in a fresh file beside the server's data, or PostgreSQL in a
    throwaway schema of its own."""
    if options.store == "sqlite":
        path = work / f"bare-{secrets.token_hex(4)}.db"
        return bare_insert_sqlite(path, options.insert_seconds)
    with schema_in(options.postgres_url, "bench_bare") as url:
        return bare_insert_postgres(url, options.insert_seconds)
