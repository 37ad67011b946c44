"""The servers measured, as processes on free loopback ports: ours is tests/support's
:class:`~tests.support.server.ServerProcess` (``cognitoidentity serve``, log level warning, on
SQLite in its data directory or on a PostgreSQL URL) and moto is tests/support's
:class:`~tests.support.idp.MotoServer`. :class:`Server` is the little the bench asks of either.

With ``--http granian``, ours is the same application served by granian instead of uvicorn with
``server/http1/`` (:class:`GranianProcess`, for the comparison of the HTTP layers:
``bench.http_layer``); granian is not a project dependency (``.venv/bin/pip install granian``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.idp import MotoServer
from tests.support.postgres import schema_in
from tests.support.server import Credentials, ServerProcess

HTTP_LAYERS = ("ours", "granian", "granian-rust")
"""How our application is served: ``ours`` is ``cognitoidentity serve`` (uvicorn with
``server/http1/``); ``granian`` is granian's ASGI interface (one worker, uvloop, asyncio tasks);
``granian-rust`` the same with granian's Rust task implementation (``--task-impl rust``)."""
GRANIAN_MISSING = (
    "--http granian needs granian, which is not installed: `.venv/bin/pip install granian`"
    " (it is not a project dependency)."
)

MOTO_CREDENTIALS = Credentials("123456789012", "testing", "testing")
"""What MotoServer's clients sign with; moto checks no signature, but the signed scenarios send it
one, for the same request shape on both servers."""


@dataclass
class Server:
    """A server process; ``kind`` is ``ours`` or ``moto``; ``http`` how ours is served (one of
    :data:`HTTP_LAYERS`)."""

    kind: str
    process: ServerProcess | MotoServer
    credentials: Credentials
    http: str = "ours"

    @property
    def label(self) -> str:
        if self.kind != "ours":
            return "moto_server"
        return "cognitoidentity" if self.http == "ours" else f"cognitoidentity on {self.http}"

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    @property
    def pid(self) -> int:
        if self.process.process is None:
            raise RuntimeError(f"{self.label} is not running")
        return self.process.process.pid

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.process.stop()

    def client(self, service: str = "cognito-identity") -> Any:
        """A boto3 client of ``service`` for this server, with its credentials."""
        if isinstance(self.process, ServerProcess):
            return self.process.client(service=service)
        return self.process.client(service)

    def log_tail(self, lines: int = 30) -> str:
        try:
            if isinstance(self.process, ServerProcess):
                text = self.process.log_text()
            else:
                text = self.process.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class GranianProcess(ServerProcess):
    """Our application (``bench.granian_app``, built as ``cognitoidentity serve`` builds it) served
    by granian: ASGI with lifespan, one worker process (a child of granian's own), HTTP/1 only, no
    WebSocket, uvloop, no access log (granian's default), log level warning like ours."""

    task_impl: str = "asyncio"

    @property
    def env(self) -> dict[str, str]:
        # The port in the settings too: the base URL (banner, default token issuer) names it.
        return {**super().env, "COGNITOIDENTITY_PORT": str(self.port)}

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--task-impl",
            self.task_impl,
            "--http",
            "1",
            "--no-ws",
            "--no-access-log",
            "--log-level",
            "warning",
            "--working-dir",
            str(Path(__file__).resolve().parent.parent),
            "bench.granian_app:app",
        ]


def granian_missing() -> str | None:
    """What to install when granian is missing (None: it is there)."""
    found = subprocess.run(
        [sys.executable, "-c", "import granian"], capture_output=True, check=False
    )
    return None if found.returncode == 0 else GRANIAN_MISSING


def ours(work: Path, database_url: str | None, http: str = "ours") -> Server:
    """Our server; ``database_url`` None: SQLite in its data directory under ``work``; ``http``:
    one of :data:`HTTP_LAYERS` (each gets a data directory of its own)."""
    if http not in HTTP_LAYERS:
        raise ValueError(f"unknown HTTP layer {http!r}: one of {', '.join(HTTP_LAYERS)}")
    data_dir = work / ("ours-data" if http == "ours" else f"ours-{http}-data")
    data_dir.mkdir(exist_ok=True)
    url = database_url or str(data_dir / "cognitoidentity.db")
    process: ServerProcess
    if http == "ours":
        process = ServerProcess(data_dir, url)
    else:
        task_impl = "rust" if http == "granian-rust" else "asyncio"
        process = GranianProcess(data_dir, url, task_impl=task_impl)
    return Server("ours", process, process.root, http)


def moto(work: Path) -> Server:
    return Server("moto", MotoServer(work), MOTO_CREDENTIALS)


@contextmanager
def store_url(store: str, postgres_url: str, kind: str) -> Iterator[str | None]:
    """Our server's database URL: None (SQLite in the data dir) or, with ``store`` postgresql, a
    throwaway schema in ``postgres_url``'s database, dropped afterwards."""
    if kind != "ours" or store == "sqlite":
        yield None
        return
    with schema_in(postgres_url, "bench") as url:
        yield url
