"""Fixtures shared by the whole suite: a real server process per store kind.

``server`` is parametrized over SQLite and PostgreSQL, so every test that uses it runs on both.
PostgreSQL tests skip when no server is reachable, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import Credentials, ServerProcess

STORES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=STORES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One running server per store kind for the whole session; tests isolate themselves by
    working in their own account (see ``account``)."""
    data_dir = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "postgresql":
        require_postgres()
        with temporary_schema() as url:
            proc = ServerProcess(data_dir, url).start()
            try:
                yield proc
            finally:
                proc.stop()
    else:
        proc = ServerProcess(data_dir, str(data_dir / "store.db")).start()
        try:
            yield proc
        finally:
            proc.stop()


@pytest.fixture
def account(server: ServerProcess) -> Credentials:
    """A fresh account (with an access key) on the running server: an empty world per test."""
    return server.new_account()


@pytest.fixture
def fresh_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own, for tests that restart it or need an empty store; SQLite only unless
    parametrized indirectly with "postgresql"."""
    kind = getattr(request, "param", "sqlite")
    if kind == "postgresql":
        require_postgres()
        with temporary_schema() as url:
            proc = ServerProcess(tmp_path, url).start()
            try:
                yield proc
            finally:
                proc.stop()
    else:
        proc = ServerProcess(tmp_path, str(tmp_path / "store.db")).start()
        try:
            yield proc
        finally:
            proc.stop()
