"""The server's HTTP/1.1 connections (``server/http1/``), under uvicorn on loopback, spoken to
with raw sockets: keep-alive, pipelining, request bodies, 100-continue, closing rules, errors, and
the bounds and deadlines on what a client sends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import pytest
import uvicorn

from cognitoidentity.server.http1 import protocol_class
from tests.support.server import free_port

MAX_BODY = 1000

Scope = dict[str, Any]


class App:
    """Answers by path; remembers what the server told it."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.release = threading.Event()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        message = await receive()
        body: bytes = message["body"]
        if path == "/raise":
            raise RuntimeError("boom")
        if path == "/silent":
            return
        if path == "/slow":
            await asyncio.to_thread(self.release.wait)
        if path == "/sleep":
            await asyncio.sleep(float(scope["query_string"]))
        if path == "/disconnect":
            self.events.append((await receive())["type"])
            return
        if path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for part in (b"one,", b"two,", b"three"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        if path == "/raise-after-start":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise RuntimeError("boom")
        if path == "/raise-mid-stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"one,", "more_body": True})
            raise RuntimeError("boom")
        headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]
        if path == "/inject":
            headers.append((b"x-message", b"ok\r\nx-forged: 1"))
        answer = json.dumps(
            {
                "method": scope["method"],
                "path": path,
                "raw_path": scope["raw_path"].decode(),
                "query": scope["query_string"].decode(),
                "http_version": scope["http_version"],
                "body": len(body),
                "headers": {k.decode(): len(v) for k, v in scope["headers"]},
                "client": list(scope["client"]),
            }
        ).encode()
        if path == "/short":
            headers.append((b"content-length", b"%d" % (len(answer) + 10)))
        if path == "/generated":  # ASGI allows any iterable: here one that can be read once
            given = [*headers, (b"Content-Length", b"%d" % len(answer))]
            await send(
                {"type": "http.response.start", "status": 200, "headers": (h for h in given)}
            )
            await send({"type": "http.response.body", "body": answer})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


class Running:
    def __init__(self, app: App, timeout_keep_alive: int, **bounds: Any) -> None:
        self.app = app
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            http=protocol_class(MAX_BODY, **bounds),
            lifespan="off",
            log_config=None,
            timeout_keep_alive=timeout_keep_alive,
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.app.release.set()
        self.server.should_exit = True
        self.thread.join(10)

    def connect(self) -> tuple[socket.socket, BinaryIO]:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        return sock, sock.makefile("rb")


@pytest.fixture
def server() -> Iterator[Running]:
    with Running(App(), timeout_keep_alive=5) as running:
        yield running


def read_answer(rfile: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    """One answer off the connection: status, headers (lower-case names), body."""
    status_line = rfile.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := rfile.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        assert name.lower() not in headers, f"{name} twice"
        headers[name.lower()] = value.strip()
    if status == 100:
        return status, headers, b""
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while (size := int(rfile.readline(), 16)) > 0:
            body += rfile.read(size)
            assert rfile.read(2) == b"\r\n"
        assert rfile.read(2) == b"\r\n"
        return status, headers, body
    return status, headers, rfile.read(int(headers.get("content-length", "0")))


def request(path: str, body: bytes = b"", *extra: str, method: str = "POST") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def closed(sock: socket.socket) -> bool:
    """True when the server closed the connection (the next read sees the end)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_keep_alive_answers_many_requests_on_one_connection(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        for n in range(3):
            sock.sendall(request(f"/echo?n={n}", b"x" * n))
            status, headers, body = read_answer(rfile)
            assert status == 200
            answer = json.loads(body)
            assert answer["query"] == f"n={n}"
            assert answer["body"] == n
            assert headers["content-length"] == str(len(body))
            assert headers["content-type"] == "application/json"
            assert "date" in headers
            assert "connection" not in headers


@pytest.mark.parametrize("name", ["Content-Length", "content-length", "CONTENT-LENGTH"])
def test_a_body_is_read_whole_however_its_length_is_spelled(server: Running, name: str) -> None:
    """A read holding one head and exactly its body goes to httptools in one call (the two usual
    spellings), any other read piece by piece: the same answers, bodies and framing either way,
    a request pipelined right behind a body included."""

    def post(path: str, body: bytes) -> bytes:
        return (
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\n{name}: {len(body)}\r\n\r\n".encode()
            + body
        )

    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(post("/echo?one", b"a" * 300))
        first = json.loads(read_answer(rfile)[2])
        sock.sendall(post("/echo?two", b"b" * 5) + post("/echo?three", b"c" * 7))
        rest = [json.loads(read_answer(rfile)[2]) for _ in range(2)]
    assert [(a["query"], a["body"]) for a in (first, *rest)] == [
        ("one", 300),
        ("two", 5),
        ("three", 7),
    ]


def test_pipelined_requests_are_answered_in_order(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request("/slow") + request("/echo?second") + request("/echo?third"))
        time.sleep(0.2)
        server.app.release.set()
        answers = [json.loads(read_answer(rfile)[2]) for _ in range(3)]
    assert [a["path"] for a in answers] == ["/slow", "/echo", "/echo"]
    assert [a["query"] for a in answers] == ["", "second", "third"]


def test_a_chunked_request_body_arrives_whole(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        assert json.loads(read_answer(rfile)[2])["body"] == 11


def test_expect_100_continue_is_answered_before_the_body(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(
            request("/echo", b"", "Expect: 100-continue").replace(b"Length: 0", b"Length: 4")
        )
        assert read_answer(rfile)[0] == 100
        sock.sendall(b"abcd")
        status, _, body = read_answer(rfile)
    assert status == 200
    assert json.loads(body)["body"] == 4


def test_path_is_percent_decoded_and_query_kept(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request("/echo/a%20b?x=1&y=%2F"))
        answer = json.loads(read_answer(rfile)[2])
    assert answer["path"] == "/echo/a b"
    assert answer["raw_path"] == "/echo/a%20b"
    assert answer["query"] == "x=1&y=%2F"
    assert answer["client"][0] == "127.0.0.1"


@pytest.mark.parametrize(
    ("start", "extra"),
    [("HTTP/1.1", ("Connection: close",)), ("HTTP/1.0", ())],
    ids=["connection-close", "http-1.0"],
)
def test_the_connection_closes_when_the_client_asks(
    server: Running, start: str, extra: tuple[str, ...]
) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request("/echo", b"", *extra).replace(b"HTTP/1.1", start.encode(), 1))
        status, headers, body = read_answer(rfile)
        assert status == 200
        assert headers["connection"] == "close"
        assert json.loads(body)["http_version"] == start.split("/")[1]
        assert closed(sock)


def test_a_request_that_does_not_parse_gets_400_and_the_connection_closes(
    server: Running,
) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        status, headers, body = read_answer(rfile)
        assert status == 400
        assert headers["connection"] == "close"
        assert body == b"Invalid HTTP request received."
        assert closed(sock)


def test_an_oversized_body_is_cut_answered_and_the_connection_closed(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request("/echo", b"y" * (MAX_BODY * 5)))
        status, headers, body = read_answer(rfile)
        assert status == 200
        assert json.loads(body)["body"] == MAX_BODY + 1  # enough for the app to refuse it
        assert headers["connection"] == "close"
        assert closed(sock)


@pytest.mark.parametrize("path", ["/raise", "/raise-after-start", "/silent", "/inject"])
def test_an_application_failure_before_the_answer_gives_500(server: Running, path: str) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request(path))
        status, headers, body = read_answer(rfile)
        assert status == 500
        assert body == b"Internal Server Error"
        assert "x-forged" not in headers
        assert closed(sock)


@pytest.mark.parametrize("path", ["/raise-mid-stream", "/short"])
def test_a_cut_answer_closes_the_connection(server: Running, path: str) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request(path))
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    # What was sent went out, then the close tells the client the answer is cut.
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    if path == "/raise-mid-stream":
        assert received.endswith(b"\r\n\r\n4\r\none,\r\n")  # no last chunk


def test_a_streamed_answer_is_chunked(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request("/stream") + request("/echo"))
        status, headers, body = read_answer(rfile)
        assert (status, headers["transfer-encoding"], body) == (200, "chunked", b"one,two,three")
        assert read_answer(rfile)[0] == 200


def test_headers_given_as_an_iterator_are_written_and_frame_the_answer(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request("/generated") + request("/echo?after"))
        status, headers, body = read_answer(rfile)
        assert (status, headers["content-type"]) == (200, "application/json")
        assert int(headers["content-length"]) == len(body)  # the application's, given once
        assert json.loads(body)["path"] == "/generated"
        assert json.loads(read_answer(rfile)[2])["query"] == "after"


def test_head_gets_headers_without_a_body(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request("/echo", method="HEAD") + request("/echo?after"))
        status_line = rfile.readline()
        assert status_line == b"HTTP/1.1 200 OK\r\n"
        headers = {}
        while (line := rfile.readline()) != b"\r\n":
            name, _, value = line.decode().partition(":")
            headers[name.lower()] = value.strip()
        assert int(headers["content-length"]) > 0  # what a GET would get
        assert json.loads(read_answer(rfile)[2])["query"] == "after"


def test_an_upgrade_request_is_answered_then_the_connection_closes(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request("/echo", b"", "Connection: Upgrade", "Upgrade: websocket"))
        status, _, body = read_answer(rfile)
        assert status == 200
        assert json.loads(body)["path"] == "/echo"
        assert closed(sock)


def test_the_application_hears_of_a_client_that_left(server: Running) -> None:
    sock, rfile = server.connect()
    sock.sendall(request("/disconnect"))
    time.sleep(0.1)
    sock.close()
    rfile.close()
    deadline = time.monotonic() + 5
    while not server.app.events and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.app.events == ["http.disconnect"]


def test_an_idle_keep_alive_connection_closes_after_the_timeout() -> None:
    with Running(App(), timeout_keep_alive=1) as running:
        sock, rfile = running.connect()
        with sock, rfile:
            sock.sendall(request("/echo"))
            assert read_answer(rfile)[0] == 200
            started = time.monotonic()
            assert closed(sock)
            assert 0.8 < time.monotonic() - started < 4


def test_shutdown_finishes_the_answer_in_flight() -> None:
    app = App()
    with Running(app, timeout_keep_alive=5) as running:
        sock, rfile = running.connect()
        with sock, rfile:
            sock.sendall(request("/slow"))
            time.sleep(0.2)
            running.server.should_exit = True
            time.sleep(0.3)
            app.release.set()
            status, headers, body = read_answer(rfile)
            assert status == 200
            assert json.loads(body)["path"] == "/slow"
            assert headers["connection"] == "close"
            assert closed(sock)
        running.thread.join(10)
        assert not running.thread.is_alive()


def test_many_pipelined_requests_are_all_answered_in_order(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(b"".join(request(f"/echo?n={n}") for n in range(300)))
        queries = [json.loads(read_answer(rfile)[2])["query"] for _ in range(300)]
    assert queries == [f"n={n}" for n in range(300)]


def test_requests_before_a_pipelined_upgrade_are_answered_first(server: Running) -> None:
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(
            request("/slow")
            + request("/echo?upgrade", b"", "Connection: Upgrade", "Upgrade: websocket")
            + b"\x00\x01 not HTTP any more"
        )
        time.sleep(0.2)
        server.app.release.set()
        first = read_answer(rfile)
        second = read_answer(rfile)
        assert json.loads(first[2])["path"] == "/slow"
        assert "connection" not in first[1]
        assert json.loads(second[2])["query"] == "upgrade"
        assert second[1]["connection"] == "close"
        assert closed(sock)


# --- Bounds and deadlines on what a client sends. Small ones here, so that the tests run fast.

LINE = 1024  # the request line's and each header line's bound, CRLF counted
HEAD = 4096  # the whole head's bound
CHUNK = 256


@pytest.fixture
def bounded() -> Iterator[Running]:
    with Running(
        App(),
        timeout_keep_alive=5,
        max_request_line=LINE,
        max_header_line=LINE,
        max_head=HEAD,
        head_timeout=1,
        body_timeout=1,
    ) as running:
        yield running


def stream(sock: socket.socket, start: bytes, filler: bytes, most: int) -> int:
    """Send ``start``, then ``filler`` a piece at a time (each its own read for the server) until the
    server says something or ``most`` bytes are sent; how many were sent."""
    sock.sendall(start)
    sent = len(start)
    while sent < most:
        readable, _, _ = select.select([sock], [], [], 0.05)
        if readable:
            break
        try:
            sock.sendall(filler)
        except OSError:  # closed already: what it said is still there to read
            break
        sent += len(filler)
    return sent


def test_an_oversized_header_line_is_refused_as_it_streams(bounded: Running) -> None:
    sock, rfile = bounded.connect()
    with sock, rfile:
        start = b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: "
        # The client would send 32 KiB of one header line: the server answers after about LINE.
        sent = stream(sock, start, b"a" * CHUNK, 32 * 1024)
        status, headers, body = read_answer(rfile)
        assert status == 431
        assert body == b"Request header fields too large."
        assert headers["connection"] == "close"
        assert closed(sock)
    assert sent < 16 * 1024  # refused while the client was still sending, not after all of it


def test_an_oversized_request_line_gets_414(bounded: Running) -> None:
    sock, rfile = bounded.connect()
    with sock, rfile:
        sent = stream(sock, b"GET /echo?token=", b"t" * CHUNK, 32 * 1024)
        status, _, body = read_answer(rfile)
        assert status == 414
        assert body == b"Request line too long."
        assert closed(sock)
    assert sent < 16 * 1024


def test_too_many_headers_in_all_get_431(bounded: Running) -> None:
    sock, rfile = bounded.connect()
    with sock, rfile:
        header = b"X-Filler: " + b"f" * 490 + b"\r\n"  # half the line bound
        sent = stream(sock, b"GET /echo HTTP/1.1\r\nHost: x\r\n", header, 32 * 1024)
        assert read_answer(rfile)[0] == 431
        assert closed(sock)
    assert sent < 16 * 1024


def head_of(size: int, line: int) -> bytes:
    """A GET head of exactly ``size`` bytes, its header lines ``line`` bytes (CRLF counted)."""
    head = b"GET /echo HTTP/1.1\r\nHost: x\r\n"
    while len(head) + line + 2 <= size:
        head += b"X-F: " + b"f" * (line - 7) + b"\r\n"
    rest = size - len(head) - 2
    if rest:
        head += b"X-L: " + b"l" * (rest - 7) + b"\r\n"
    return head + b"\r\n"


@pytest.mark.parametrize(
    ("what", "make", "refusal"),
    [
        ("request line", lambda n: b"GET /echo?" + b"q" * (n - 21) + b" HTTP/1.1\r\n\r\n", 414),
        ("header line", lambda n: b"GET / HTTP/1.1\r\nX: " + b"h" * (n - 5) + b"\r\n\r\n", 431),
    ],
)
@pytest.mark.parametrize("sent_whole", [True, False], ids=["whole", "in-pieces"])
def test_a_line_is_refused_one_byte_past_its_bound(
    bounded: Running, what: str, make: Callable[[int], bytes], refusal: int, sent_whole: bool
) -> None:
    for size, status in ((LINE, 200), (LINE + 1, refusal)):
        raw = make(size)
        assert any(len(line) + 1 == size for line in raw.split(b"\n")), what
        sock, rfile = bounded.connect()
        with sock, rfile:
            if sent_whole:
                sock.sendall(raw)
            else:
                for at in range(0, len(raw), 100):
                    sock.sendall(raw[at : at + 100])
                    time.sleep(0.002)
            assert read_answer(rfile)[0] == status, (what, size)


def test_a_head_at_its_bound_is_answered_and_one_byte_more_refused(bounded: Running) -> None:
    for size, status in ((HEAD, 200), (HEAD + 1, 431)):
        raw = head_of(size, 200)
        assert len(raw) == size
        sock, rfile = bounded.connect()
        with sock, rfile:
            sock.sendall(raw)
            assert read_answer(rfile)[0] == status


def test_slowloris_connections_are_closed_at_the_head_deadline(bounded: Running) -> None:
    socks = [socket.create_connection(("127.0.0.1", bounded.port), timeout=5) for _ in range(50)]
    began = time.monotonic()
    answers: dict[socket.socket, bytes] = {sock: b"" for sock in socks}
    ended: dict[socket.socket, float] = {}
    try:
        for sock in socks:
            sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        # One byte of a header every 0.1 s each: a read every time, never a whole head.
        while len(ended) < len(socks) and time.monotonic() - began < 4:
            for sock in socks:
                if sock not in ended:
                    with contextlib.suppress(OSError):  # closed: its end is read below
                        sock.sendall(b"X")
            open_socks = [sock for sock in socks if sock not in ended]
            readable, _, _ = select.select(open_socks, [], [], 0.1)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                answers[sock] += data
                if not data:
                    ended[sock] = time.monotonic() - began
    finally:
        for sock in socks:
            sock.close()
    assert len(ended) == 50, "connections still open 4 s after their first byte"
    assert all(0.8 < after < 3 for after in ended.values()), sorted(ended.values())
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers.values())


def test_a_trickling_body_is_cut_at_the_body_deadline(bounded: Running) -> None:
    sock, rfile = bounded.connect()
    with sock, rfile:
        sock.sendall(request("/echo", b"").replace(b"Length: 0", b"Length: 100"))
        began = time.monotonic()
        sent = stream(sock, b"", b"b", 100)
        assert sent < 100
        status, headers, _ = read_answer(rfile)
        assert (status, headers["connection"]) == (408, "close")
        assert 0.8 < time.monotonic() - began < 3
        assert closed(sock)


def test_a_head_begun_during_a_slow_answer_has_its_time_from_the_answer(
    bounded: Running,
) -> None:
    sock, rfile = bounded.connect()
    with sock, rfile:
        # The next request's head begins at once but is finished only after the 1 s head deadline,
        # counted from its first byte; it still has that 1 s from the end of the answer before it.
        sock.sendall(request("/sleep?1.2") + b"GET /echo?second HTTP/1.1\r\n")
        assert read_answer(rfile)[0] == 200
        time.sleep(0.5)
        sock.sendall(b"Host: x\r\n\r\n")
        assert json.loads(read_answer(rfile)[2])["query"] == "second"


def test_a_head_that_arrives_in_pieces_within_the_deadline_is_answered(bounded: Running) -> None:
    sock, rfile = bounded.connect()
    with sock, rfile:
        raw = request("/echo?pieces", b"body")
        for at in range(len(raw)):
            sock.sendall(raw[at : at + 1])
            if at % 10 == 0:
                time.sleep(0.01)
        status, _, body = read_answer(rfile)
        assert (status, json.loads(body)["query"], json.loads(body)["body"]) == (200, "pieces", 4)
        # Empty lines between requests are skipped, and the connection stays usable.
        sock.sendall(b"\r\n" + request("/echo?next"))
        assert json.loads(read_answer(rfile)[2])["query"] == "next"


def test_a_presigned_get_with_a_long_session_token_is_answered(server: Running) -> None:
    # As Vault and EKS send GetCallerIdentity: the session token (up to 16,384 characters) and the
    # signature in the query, and a long security token in a header too, under the default bounds.
    token = "T" * 16_384
    query = (
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=ASIAEXAMPLE%2F20240101%2Fus-east-1%2Fsts%2Faws4_request"
        f"&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-Security-Token={token}"
        "&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=" + "a" * 64
    )
    query += "&X-Pad=" + "p" * (20_000 - len(query))
    sock, rfile = server.connect()
    with sock, rfile:
        sock.sendall(request(f"/echo?{query}", b"", f"X-Amz-Security-Token: {token}", method="GET"))
        status, _, body = read_answer(rfile)
    answer = json.loads(body)
    assert status == 200
    assert answer["query"] == query
    assert answer["headers"]["x-amz-security-token"] == 16_384


def test_a_chunked_body_with_trailers_is_followed_by_a_pipelined_request(
    bounded: Running,
) -> None:
    sock, rfile = bounded.connect()
    with sock, rfile:
        # The body holds the bytes that end a head; the next request comes in the same write.
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"8\r\nab\r\n\r\ncd\r\n0\r\nX-Trailer: 1\r\n\r\n" + request("/echo?after")
        )
        assert json.loads(read_answer(rfile)[2])["body"] == 8
        assert json.loads(read_answer(rfile)[2])["query"] == "after"


def test_an_endless_trailer_is_refused(bounded: Running) -> None:
    sock, rfile = bounded.connect()
    with sock, rfile:
        start = (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n0\r\nX-Trailer: "
        )
        sent = stream(sock, start, b"t" * 1024, 64 * 1024)
        assert read_answer(rfile)[0] == 431
        assert closed(sock)
    assert sent < 32 * 1024


def test_keep_alive_counts_from_the_end_of_a_slow_answer() -> None:
    with Running(App(), timeout_keep_alive=1) as running:
        sock, rfile = running.connect()
        with sock, rfile:
            # The answer takes longer than the keep-alive time, counted from the request's bytes.
            sock.sendall(request("/sleep?1.7"))
            assert read_answer(rfile)[0] == 200
            time.sleep(0.5)
            sock.sendall(request("/echo?again"))
            assert json.loads(read_answer(rfile)[2])["query"] == "again"
            answered = time.monotonic()
            assert closed(sock)
            assert 0.8 < time.monotonic() - answered < 2
