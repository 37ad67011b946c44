"""Fixtures shared by the whole suite: a real server process per store kind.

``server`` is parametrized over SQLite and PostgreSQL, so every test that uses it runs on both.
PostgreSQL tests skip when no server is reachable, except under ``CI=true`` where they fail.

``in_process`` is the server's application run in the test process instead, on a clock the test
moves, for tests that need no process of their own (also on both stores).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.inprocess import InProcessServer
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


@contextmanager
def _database(kind: str, data_dir: Path) -> Iterator[str]:
    """The database URL of a store of ``kind`` ("sqlite" or "postgresql"), kept while inside."""
    if kind == "postgresql":
        require_postgres()
        with temporary_schema() as url:
            yield url
    else:
        yield str(data_dir / "store.db")


@pytest.fixture(scope="session", params=STORES)
def in_process_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    """The server's application running in the test process (``tests/support/inprocess.py``), one
    per store kind for the whole session; use it through ``in_process``."""
    data_dir = tmp_path_factory.mktemp(f"in-process-{request.param}")
    with _database(request.param, data_dir) as url:
        server = InProcessServer(data_dir, url).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def in_process(in_process_server: InProcessServer) -> Iterator[InProcessServer]:
    """The in-process server for one test: its ``clock`` starts at real time, is the time of every
    SigV4 signature made meanwhile, and may be moved with ``clock.advance``; it is set back after.

    A module whose tests need no process of their own overrides ``server`` with it (``account``
    then makes its accounts there too)::

        @pytest.fixture
        def server(in_process: InProcessServer) -> InProcessServer:
            return in_process
    """
    with in_process_server.moved_clock():
        yield in_process_server


_SERVER_PROCESS_DIRS = frozenset({"api", "e2e", "conformance"})
_UNTRACED = pytest.StashKey[frozenset[str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--cov`` (pytest-cov), note the tests that talk to server processes: their server
    code runs, and is measured, in those processes (``tests/support/measure.py``), while tracing
    their client side here (botocore, httpx, the fuzzer) would double their time on Python 3.11.
    Tests of ``in_process``, and the unit, store and client tests, are measured here."""
    if not config.pluginmanager.hasplugin("_cov"):
        return
    tests = Path(__file__).parent
    untraced: set[str] = set()
    for item in items:
        if tests not in item.path.parents:
            continue
        kind = item.path.relative_to(tests).parts[0]
        in_process = "in_process" in getattr(item, "fixturenames", ())
        if kind in _SERVER_PROCESS_DIRS and not in_process:
            untraced.add(item.nodeid)
    config.stash[_UNTRACED] = frozenset(untraced)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Run a test noted above without tracing in this thread. Only this thread: the threads that
    stay (the in-process server's event loop, the SQLite writer) keep their tracers, which
    pytest-cov's ``no_cover`` (coverage stopped and started again) would leave stopped. Back on,
    coverage's hook for new threads installs a fresh tracer here at the next call."""
    if item.nodeid not in item.config.stash.get(_UNTRACED, frozenset()):
        return (yield)
    resume = threading.gettrace()
    sys.settrace(None)
    try:
        return (yield)
    finally:
        sys.settrace(resume)
