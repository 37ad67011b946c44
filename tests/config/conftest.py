"""Helpers for the configuration-file tests: checking a file's text as ``apply`` would."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cognitoidentity.server.accounts import utc_now
from cognitoidentity.server.config import load_file
from cognitoidentity.server.config.declared import Declared
from cognitoidentity.server.settings import Settings

ACCOUNT = "111122223333"
POOL_ID = "us-east-1:7f6b1a2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b"


def load_text(
    tmp_path: Path, text: str, environ: Mapping[str, str] | None = None, name: str = "c.toml"
) -> Declared:
    """``text`` written to a file and checked (loopback OIDC URLs allowed, as when serving on
    loopback)."""
    path = tmp_path / name
    path.write_text(text)
    return load_file(path, Settings(data_dir=tmp_path), environ or {}, utc_now())


# The stores of both kinds (a SQLite file, a PostgreSQL schema) that tests/store's tests run on.
from tests.store.conftest import target  # noqa: E402, F401
