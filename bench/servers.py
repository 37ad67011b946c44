"""The servers measured, as processes on free loopback ports: ours is tests/support's
:class:`~tests.support.server.ServerProcess` (``cognitoidentity serve``, log level warning, on
SQLite in its data directory or on a PostgreSQL URL) and moto is tests/support's
:class:`~tests.support.idp.MotoServer`. :class:`Server` is the little the bench asks of either."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.idp import MotoServer
from tests.support.postgres import schema_in
from tests.support.server import Credentials, ServerProcess

MOTO_CREDENTIALS = Credentials("123456789012", "testing", "testing")
"""What MotoServer's clients sign with; moto checks no signature, but the signed scenarios send it
one, for the same request shape on both servers."""


@dataclass
class Server:
    """A server process; ``kind`` is ``ours`` or ``moto``."""

    kind: str
    process: ServerProcess | MotoServer
    credentials: Credentials

    @property
    def label(self) -> str:
        return "cognitoidentity" if self.kind == "ours" else "moto_server"

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


def ours(work: Path, database_url: str | None) -> Server:
    """Our server; ``database_url`` None: SQLite in its data directory under ``work``."""
    data_dir = work / "ours-data"
    data_dir.mkdir(exist_ok=True)
    process = ServerProcess(data_dir, database_url or str(data_dir / "cognitoidentity.db"))
    return Server("ours", process, process.root)


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
