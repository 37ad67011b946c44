"""What unauthenticated, hostile input costs the server: memory that stays flat however many
invalid requests arrive, and error answers whose messages and headers stay small and never carry
a token back."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from botocore.exceptions import ClientError

from tests.api.test_pools import error_of
from tests.support.http import json_headers
from tests.support.server import ServerProcess

MIB = 1024 * 1024


def rss(server: ServerProcess) -> int:
    """The server process's resident memory in bytes."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def send_invalid(client: httpx.Client, server: ServerProcess, count: int, value: str) -> None:
    body = orjson.dumps({"IdentityPoolId": value})
    for _ in range(count):
        answer = client.post(server.url + "/", content=body, headers=json_headers("GetId"))
        assert answer.status_code == 400
        assert answer.json()["__type"] == "ValidationException"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc for memory")
def test_invalid_requests_keep_memory_flat(fresh_server: ServerProcess) -> None:
    """Each ValidationException used to keep its traceback, and with it the request's frames and
    body, for good: 2,000 requests with a 10 KB value grew the process by ~100 MiB."""
    server = fresh_server
    with httpx.Client(timeout=10) as client:
        send_invalid(client, server, 300, "bad" * 3000)  # warm up: caches, allocator arenas
        before = rss(server)
        send_invalid(client, server, 2000, "bad" * 3000)
        send_invalid(client, server, 2000, "bad")
        after = rss(server)
    # Flat, with slack for the allocator: a leak of even 2 KB a request would show 8 MiB.
    assert after - before < 6 * MIB, f"RSS grew by {(after - before) / MIB:.1f} MiB"


def test_messages_quote_bounded_input_and_headers_stay_small(server: ServerProcess) -> None:
    huge = "x" * 200_000
    answer = httpx.post(
        server.url + "/",
        content=orjson.dumps({"IdentityPoolId": huge}),
        headers=json_headers("GetId"),
        timeout=10,
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["__type"] == "ValidationException"
    message: str = body["message"]
    assert message.startswith("2 validation errors detected: Value 'xxxx")
    assert len(message) < 1000
    header = answer.headers["x-amzn-errormessage"]
    assert len(header) <= 1024
    assert all(len(name) + len(value) < 2048 for name, value in answer.headers.items())


def test_login_tokens_are_never_echoed(server: ServerProcess) -> None:
    """A login token over the model's 50,000 characters is refused without quoting it: messages
    never carry a credential (the model marks login tokens sensitive)."""
    token = "eyJ" + "A" * 60_000
    pool = "us-east-1:00000000-0000-4000-8000-000000000000"
    answer = httpx.post(
        server.url + "/",
        content=orjson.dumps({"IdentityPoolId": pool, "Logins": {"accounts.google.com": token}}),
        headers=json_headers("GetId"),
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "__type": "ValidationException",
        "message": "1 validation error detected: Value at 'logins' failed to satisfy constraint:"
        " Map value must satisfy constraint: [Member must have length less than or equal to"
        " 50000]",
    }
    assert "AAAAAAAA" not in answer.text
    assert "AAAAAAAA" not in str(answer.headers)


def test_an_sdk_reads_the_error_of_a_huge_input(server: ServerProcess) -> None:
    """botocore (http.client) drops an answer with a header line over 64 KB and retries; a
    bounded header makes the error reach the caller."""
    with pytest.raises(ClientError) as exc:
        server.client(unsigned=True).get_id(IdentityPoolId="y" * 300_000)
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert "Member must have length less than or equal to 55" in message
