"""A real ``cognitoidentity serve`` process on loopback, for tests that talk to it over HTTP."""

from __future__ import annotations

import base64
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import boto3
import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from tests.support.measure import coverage_env

REGION = "us-east-1"
ROOT_ACCOUNT = "000000000000"
START_TIMEOUT = 20.0
ACCOUNT_BATCH = 20
TEST_CACHES = "COGNITOIDENTITY_TEST_CACHES"
"""``on`` or ``off``: the ``caches`` setting of the servers the tests start (default ``on``);
``scripts/test`` runs the API suite once more with ``off``, to show the answers do not depend on
the caches."""


def caches_setting() -> str:
    """What :data:`TEST_CACHES` asks for (``on`` when unset)."""
    return os.environ.get(TEST_CACHES) or "on"


needs_caches = pytest.mark.skipif(
    caches_setting() == "off", reason=f"tests a cache, which {TEST_CACHES}=off switches off"
)
"""For a test of a cache's own behaviour (what it saves, how long it trusts what it keeps)."""


_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
"""The pytest-xdist worker this process is (``gw0``, ``gw1``, ...), or empty outside xdist."""
_WORKER_PORTS: list[int] = []
"""The ports :func:`free_port` hands out in this worker, in order (a range of its own)."""


def _worker_ports() -> list[int]:
    """This worker's share of the ports below the kernel's ephemeral range (where ``bind`` to port
    0 and outgoing connections take theirs), from 10000 up, one slice per worker, starting at a
    random place (another run on the machine walks its own way through the same slice)."""
    if not _WORKER_PORTS:
        try:
            with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
                ephemeral = int(ranges.read().split()[0])
        except (OSError, ValueError, IndexError):
            ephemeral = 32768
        low = 10000 if ephemeral > 12000 else 1024
        count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))
        index = int(_WORKER.removeprefix("gw")) % count
        span = (ephemeral - low) // count
        ports = list(range(low + index * span, low + (index + 1) * span))
        if len(ports) < 100:  # no room below the ephemeral ports: bind to port 0 after all
            return []
        start = secrets.randbelow(len(ports))
        _WORKER_PORTS.extend(ports[start:] + ports[:start])
    return _WORKER_PORTS


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now, for a server about to bind it.

    Outside pytest-xdist, the kernel's choice (``bind`` to port 0). Under xdist each worker takes
    them in turn from a range of its own (:func:`_worker_ports`), so two workers never hand out the
    same port in the moment before its server binds it, nor one an outgoing connection holds."""
    ports = _worker_ports() if _WORKER.removeprefix("gw").isdigit() else []
    if not ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            return port
    for _ in range(len(ports)):
        port = ports.pop(0)
        ports.append(port)  # round and round: a port comes back only after all the others
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # in use (or still closing): the next one
                continue
            return port
    raise RuntimeError(f"no free port left in worker {_WORKER}'s range")


@dataclass(frozen=True, slots=True)
class Credentials:
    account_id: str
    access_key_id: str
    secret_access_key: str


def cli(env: dict[str, str], *args: str) -> str:
    """Run the ``cognitoidentity`` command line with ``env``; return its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "cognitoidentity.server.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cognitoidentity {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclass
class ServerProcess:
    data_dir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    root: Credentials = field(
        default_factory=lambda: Credentials(
            ROOT_ACCOUNT, "AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30)
        )
    )
    master_key: str = field(
        default_factory=lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    _spare_accounts: list[Credentials] = field(default_factory=list)
    _clients: dict[tuple[Credentials, str, str, bool], Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COGNITOIDENTITY_"))
        }
        env.update(
            COGNITOIDENTITY_DATA_DIR=str(self.data_dir),
            COGNITOIDENTITY_DATABASE_URL=self.database_url,
            COGNITOIDENTITY_MASTER_KEY=self.master_key,
            COGNITOIDENTITY_ROOT_ACCESS_KEY_ID=self.root.access_key_id,
            COGNITOIDENTITY_ROOT_SECRET_ACCESS_KEY=self.root.secret_access_key,
            COGNITOIDENTITY_ROOT_ACCOUNT_ID=self.root.account_id,
            COGNITOIDENTITY_LOG_LEVEL="warning",
            COGNITOIDENTITY_CACHES=caches_setting(),
        )
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        """The command that serves: ``cognitoidentity serve`` (the benchmark swaps in others)."""
        return [
            sys.executable,
            "-m",
            "cognitoidentity.server.cli",
            "serve",
            "--port",
            str(self.port),
        ]

    def start(self) -> Self:
        with (self.data_dir / f"server-{self.port}.log").open("a") as log:
            self.process = subprocess.Popen(
                self.command(),
                env={**self.env, **coverage_env()},
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_text()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not start in {START_TIMEOUT}s: {self.log_text()}")

    def log_text(self) -> str:
        return "".join(p.read_text() for p in self.data_dir.glob("server-*.log"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def admin(self, *args: str) -> str:
        return cli(self.env, *args)

    def new_account(self) -> Credentials:
        """A fresh, never used account with one access key, made with ``cognitoidentity accounts
        create``; made ``ACCOUNT_BATCH`` at a time, since each command start costs a moment."""
        if not self._spare_accounts:
            out = self.admin(
                "accounts", "create", "--name", "test", "--with-key", "--count", str(ACCOUNT_BATCH)
            )
            found = re.findall(
                r"^(\d{12})\ttest\nAWS_ACCESS_KEY_ID=(\S+)\nAWS_SECRET_ACCESS_KEY=(\S+)$", out, re.M
            )
            assert len(found) == ACCOUNT_BATCH, out
            self._spare_accounts = [Credentials(*match) for match in found]
        return self._spare_accounts.pop(0)

    def client(
        self,
        credentials: Credentials | None = None,
        *,
        region: str = REGION,
        service: str = "cognito-identity",
        unsigned: bool = False,
    ) -> Any:
        """A boto3 client for this server; ``unsigned`` sends no signature at all. Clients are
        kept per arguments (making one costs more than most calls)."""
        key = (credentials or self.root, region, service, unsigned)
        client = self._clients.get(key)
        if client is None:
            config = Config(signature_version=UNSIGNED) if unsigned else None
            client = self.client_with(credentials, config, region=region, service=service)
            self._clients[key] = client
        return client

    def client_with(
        self,
        credentials: Credentials | None,
        config: Config | None,
        *,
        region: str = REGION,
        service: str = "cognito-identity",
    ) -> Any:
        creds = credentials or self.root
        base = Config(retries={"max_attempts": 1, "mode": "standard"})
        make: Any = boto3.client  # one generic factory for every service this server speaks
        return make(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            config=base.merge(config) if config is not None else base,
        )
