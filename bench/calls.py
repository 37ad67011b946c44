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


def compact_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def build_request(
    server: Server, scenario: Scenario, fixture: Fixture
) -> tuple[dict[str, str], bytes]:
    """The exact headers and body that wrk replays, for ``server``'s host and credentials."""
    body = compact_json(scenario.body(fixture))
    headers = {"Host": server.host, **json_headers(scenario.operation)}
    if scenario.signed:
        signed = sign(server.url + "/", body, headers, server.credentials, region=fixture.region)
        # wrk sets Content-Length itself, from the body of each call.
        headers = {k: v for k, v in signed.items() if k.lower() != "content-length"}
    return headers, body


def check(server: Server, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    """The request sent once before the load: its status and answer."""
    response = httpx.post(server.url + "/", content=body, headers=headers, timeout=10)
    return response.status_code, response.content
