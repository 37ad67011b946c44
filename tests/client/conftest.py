"""Fixtures for the client's tests: a hermetic AWS environment (a temporary HOME, no AWS_*
variables), and clients of the live server signed with a test account's key or unsigned."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cognitoidentity import CognitoIdentity, cognitoidentity
from tests.support.server import REGION, Credentials, ServerProcess


@pytest.fixture(autouse=True)
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty AWS world for every client test: HOME is a temporary directory whose
    ``~/.aws/config`` and ``~/.aws/credentials`` the test may write, and no AWS_* variable of the
    developer's shell leaks in. Instance metadata is off so a missing credential fails fast."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return home


def client_for(server: ServerProcess, account: Credentials) -> CognitoIdentity:
    return cognitoidentity(
        credentials={
            "creds": {
                "access_key_id": account.access_key_id,
                "secret_access_key": account.secret_access_key,
            }
        },
        endpoint=server.url,
        region=REGION,
    )


@pytest.fixture
def svc(server: ServerProcess, account: Credentials) -> Iterator[CognitoIdentity]:
    """The client, signed with a fresh account's key."""
    with client_for(server, account) as client:
        yield client


@pytest.fixture
def public(server: ServerProcess) -> Iterator[CognitoIdentity]:
    """The client with ``anonymous`` credentials: unsigned requests."""
    with cognitoidentity(
        credentials={"anonymous": True}, endpoint=server.url, region=REGION
    ) as client:
        yield client


@dataclass
class Recorder:
    """A stand-in endpoint on loopback that records each request and answers with canned
    responses (the last one repeats): for what a real server will not do on demand."""

    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    responses: list[tuple[int, bytes]] = field(default_factory=list)

    def answer(self, status: int, body: object) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.responses.append((status, raw))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    state = Recorder(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if not state.responses:
                status, raw = 200, b"{}"
            elif len(state.responses) > 1:
                status, raw = state.responses.pop(0)
            else:
                status, raw = state.responses[0]
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("x-amzn-RequestId", "req-1")
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
