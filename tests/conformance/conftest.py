"""The world every conformance scenario runs in: one server per store kind (SQLite and PostgreSQL)
with Google's sign-in reached through ``COGNITOIDENTITY_PROVIDER_ENDPOINTS`` at a local OpenID
provider whose issuer is ``https://accounts.google.com``, so Google logins verify for real (a
signature against the provider's JWKS, issuer, audience, expiry) without leaving the machine.

Every scenario run (one per SDK and store, shared by that SDK's tests through a module-scoped
fixture) works in an account of its own, made with ``world.server.new_account()``, so the runs of
different SDKs on one server never see each other's pools.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.conformance.scenario import GOOGLE, GOOGLE_ISSUER
from tests.support.idp import OidcProvider
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import ServerProcess

STORES = ["sqlite", "postgresql"]


@dataclass(frozen=True)
class World:
    """A running server, the store kind behind it, and the Google stand-in it verifies logins
    against."""

    server: ServerProcess
    google: OidcProvider
    store: str


def _server(data_dir: Path, database_url: str, google: OidcProvider) -> ServerProcess:
    env = {"COGNITOIDENTITY_PROVIDER_ENDPOINTS": orjson.dumps({GOOGLE: google.url}).decode()}
    return ServerProcess(data_dir, database_url, extra_env=env).start()


@pytest.fixture(scope="session", params=STORES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One server per store kind for the whole session, with the Google provider endpoint mapped
    to a local OpenID provider. PostgreSQL skips when unreachable (fails under ``CI=true``)."""
    store: str = request.param
    if store == "postgresql":
        require_postgres()
    google = OidcProvider(GOOGLE_ISSUER).start()
    assert isinstance(google, OidcProvider)
    data_dir = tmp_path_factory.mktemp(f"conformance-{store}")
    try:
        if store == "postgresql":
            with temporary_schema() as url:
                server = _server(data_dir, url, google)
                try:
                    yield World(server, google, store)
                finally:
                    server.stop()
        else:
            server = _server(data_dir, str(data_dir / "store.db"), google)
            try:
                yield World(server, google, store)
            finally:
                server.stop()
    finally:
        google.stop()
