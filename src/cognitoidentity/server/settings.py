"""Server settings: command-line flags over environment variables over defaults."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cognitoidentity.server.cache import parse_caches
from cognitoidentity.server.logs import parse_log_format
from cognitoidentity.server.outbound import parse_allow_list

ENV_PREFIX = "COGNITOIDENTITY_"


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: Path = field(default_factory=lambda: Path("data"))
    database_url: str | None = None
    """``postgresql://...``, ``sqlite:///path.db`` or a file path; default: SQLite in data_dir."""
    region: str = "us-east-1"
    log_level: str = "info"
    log_format: str = "text"
    """``text`` (one line per record) or ``json`` (one JSON object per record), see :mod:`.logs`."""
    master_key: str | None = None
    """Base64 master key; default: read or create ``data_dir/master.key``."""
    master_key_file: Path | None = None
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = None
    root_account_id: str = "000000000000"
    max_pools_per_account: int = 1000
    key_cache_seconds: float = 5.0
    """How long a process trusts an access key it looked up; a deleted key stops working within it."""
    caches: bool = True
    """Whether the process keeps its caches (:mod:`cognitoidentity.server.cache`); off, every cache
    misses and keeps nothing: the same answers, only slower (for debugging). Env: ``on`` or
    ``off``."""
    max_body_bytes: int = 1_048_576
    issuer_url: str | None = None
    """The ``iss`` of our OpenID tokens; default: the server's base URL."""
    provider_endpoints: dict[str, str] = field(default_factory=dict)
    """Identity-provider host (``graph.facebook.com``, ``accounts.google.com``, ...) to the base URL
    the login verifiers call instead, e.g. a self-hosted or local provider; ``iss`` is still checked
    against the real issuer. Env: a JSON object."""
    workers: int = 1
    """Server processes on the one port (:mod:`cognitoidentity.server.workers`); 1: this process
    alone. Env: a positive number, or ``auto`` for the number of cores."""
    outbound_allow: tuple[str, ...] | None = None
    """Host names, addresses and CIDR networks (or ``loopback``) that identity-provider fetches may
    reach over plain HTTP or at non-public addresses; None: ``loopback`` when ``host`` is a loopback
    host, else nothing (:mod:`cognitoidentity.server.outbound`). Env: comma-separated, ``none``
    for an empty list."""
    iam_roles: str = "lenient"
    """How a role ARN that names no role of our IAM is treated (:mod:`.trust`): ``lenient``, a
    role the identity pool itself names is trusted as if its trust policy trusted the pool (set-ups
    made before roles lived here keep working); ``strict``, as on AWS, the role must exist and its
    trust policy allow. A role that exists is always checked against its trust policy. Env:
    ``lenient`` or ``strict``."""
    console: bool = True
    """Whether ``/console/`` serves the web console (:mod:`.console`); off, every ``/console``
    path answers 404. Env: ``on`` or ``off``."""

    @property
    def effective_issuer_url(self) -> str:
        return (self.issuer_url or self.base_url).rstrip("/")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or str(self.data_dir / "cognitoidentity.db")

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def parse_workers(text: str) -> int:
    """``auto`` (the cores this process may run on) or a positive number."""
    if text.strip().lower() == "auto":
        return (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1
        )
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(f"workers must be a positive number or 'auto', not {text!r}")
    return count


IAM_ROLES_MODES = ("lenient", "strict")


def parse_iam_roles(text: str) -> str:
    """``lenient`` or ``strict`` (any case)."""
    mode = text.strip().lower()
    if mode not in IAM_ROLES_MODES:
        raise ValueError(f"must be lenient or strict, not {text!r}")
    return mode


def settings_from_env(**overrides: object) -> Settings:
    """Settings from ``COGNITOIDENTITY_*`` variables, then ``overrides`` (flags) where not None."""
    values: dict[str, object] = {}
    mapping: dict[str, tuple[str, Callable[[str], object]]] = {
        "host": ("HOST", str),
        "port": ("PORT", int),
        "data_dir": ("DATA_DIR", Path),
        "database_url": ("DATABASE_URL", str),
        "region": ("REGION", str),
        "log_level": ("LOG_LEVEL", str),
        "log_format": ("LOG_FORMAT", parse_log_format),
        "master_key": ("MASTER_KEY", str),
        "master_key_file": ("MASTER_KEY_FILE", Path),
        "root_access_key_id": ("ROOT_ACCESS_KEY_ID", str),
        "root_secret_access_key": ("ROOT_SECRET_ACCESS_KEY", str),
        "root_account_id": ("ROOT_ACCOUNT_ID", str),
        "max_pools_per_account": ("MAX_POOLS_PER_ACCOUNT", int),
        "key_cache_seconds": ("KEY_CACHE_SECONDS", float),
        "caches": ("CACHES", parse_caches),
        "issuer_url": ("ISSUER_URL", str),
        "provider_endpoints": ("PROVIDER_ENDPOINTS", json.loads),
        "outbound_allow": ("OUTBOUND_ALLOW", parse_allow_list),
        "workers": ("WORKERS", parse_workers),
        "iam_roles": ("IAM_ROLES", parse_iam_roles),
        "console": ("CONSOLE", parse_caches),
    }
    for attr, (name, kind) in mapping.items():
        raw = env(name)
        if raw is not None and raw != "":
            try:
                values[attr] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{name}: {exc}") from exc
    for attr, value in overrides.items():
        if value is not None:
            values[attr] = value
    return Settings(**values)  # type: ignore[arg-type]
