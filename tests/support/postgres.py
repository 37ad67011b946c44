"""PostgreSQL helpers shared by the test modules: reachability, skip-or-fail, throwaway schemas.

Tests never touch the database's own tables: each one works in a fresh schema (``t_<hex>``) made by
:func:`temporary_schema`, whose URL sets ``search_path`` to it, and dropped afterwards.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

BASE_URL = os.environ.get(
    "COGNITOIDENTITY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
CONNECT_TIMEOUT = 2


def _describe(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


@functools.cache
def postgres_available() -> tuple[bool, str]:
    """Whether :data:`BASE_URL` accepts a connection within two seconds, and why not.

    Asked once per test session (the answer is cached), so an unreachable server costs one timeout.
    """
    try:
        with psycopg.connect(BASE_URL, connect_timeout=CONNECT_TIMEOUT) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means: not usable for tests
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return False, reason
    return True, ""


def require_postgres() -> None:
    """Skip the calling test when PostgreSQL is unreachable; fail it instead on CI (``CI=true``),
    where a missing database is a broken setup rather than a missing optional tool."""
    ok, reason = postgres_available()
    if ok:
        return
    message = f"PostgreSQL not reachable at {_describe(BASE_URL)}: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def url_with_search_path(url: str, schema: str) -> str:
    """``url`` with ``-csearch_path=<schema>`` added to its ``options`` query parameter."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a postgresql:// URL: {_describe(url)}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    setting = f"-csearch_path={schema}"
    if any(key == "options" for key, _ in query):
        query = [(k, f"{v} {setting}" if k == "options" else v) for k, v in query]
    else:
        query.append(("options", setting))
    # quote, not quote_plus: libpq decodes %XX in URIs but does not read "+" as a space.
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


@contextmanager
def temporary_schema() -> Iterator[str]:
    """Create schema ``t_<random hex>`` in :data:`BASE_URL`'s database, yield a URL whose
    ``search_path`` is that schema, and drop it (CASCADE) afterwards."""
    with schema_in(BASE_URL, "t") as url:
        yield url


@contextmanager
def schema_in(base_url: str, prefix: str) -> Iterator[str]:
    """:func:`temporary_schema` in ``base_url``'s database, named ``<prefix>_<random hex>`` (the
    benchmark's throwaway schemas, in the database its ``--postgres-url`` names)."""
    schema = f"{prefix}_{secrets.token_hex(8)}"
    with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield url_with_search_path(base_url, schema)
    finally:
        with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
