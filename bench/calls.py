"""Each scenario's HTTP request: built once here (SigV4-signed once with botocore when the
operation is signed: a signature stays valid for the server's 15 minutes of clock skew and carries
no nonce), sent once as a check, then replayed unchanged by wrk."""

from __future__ import annotations

import json

import httpx

from bench.fixture import Fixture
from bench.scenarios import Scenario
from bench.servers import Server
from tests.support.http import json_headers, sign

NATIVE_HEADERS = {"Content-Type": "application/json"}


def compact_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def build_request(
    server: Server, scenario: Scenario, fixture: Fixture
) -> tuple[dict[str, str], bytes]:
    """The exact headers and body that wrk replays, for ``server``'s host and credentials."""
    body = compact_json(scenario.body(fixture))
    # This server's own endpoints (a path of their own) take plain JSON.
    kind = json_headers(scenario.operation) if scenario.path == "/" else NATIVE_HEADERS
    headers = {"Host": server.host, **kind}
    if scenario.signed:
        url = server.url + scenario.path
        signed = sign(url, body, headers, server.credentials, region=fixture.region)
        # wrk sets Content-Length itself, from the body of each call.
        headers = {k: v for k, v in signed.items() if k.lower() != "content-length"}
    return headers, body


def check(
    server: Server, headers: dict[str, str], body: bytes, path: str = "/"
) -> tuple[int, bytes]:
    """The request sent once before the load: its status and answer."""
    response = httpx.post(server.url + path, content=body, headers=headers, timeout=10)
    return response.status_code, response.content
