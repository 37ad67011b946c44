"""HTTP/1.1 connections for uvicorn, lean enough for this server's small JSON exchanges.

uvicorn still runs the server (sockets, workers, signals, lifespan, graceful shutdown) and httptools
still parses HTTP; this module is the piece between them, handed to uvicorn as its ``http`` class:
one object per connection that runs the ASGI application once per request. Why not uvicorn's own:
on the bench machine its httptools protocol took ~70 µs per request of a minimal application against
~15 µs for parsing and answering alone. Half of the difference is that it writes the status line and
headers, then the body, as two writes: two packets and two wake-ups of the client for every answer;
the rest is per-request events, timers and header regexes. An identity pool answers small requests
with small bodies, so that overhead was a third of a whole GetCredentialsForIdentity.

What a connection does:

- parses with httptools and hands the application each request once it is complete, body included,
  so that ``receive()`` answers at once; ``Expect: 100-continue`` is answered when the headers end
  (when nothing else is owed on the connection: a pipelined request's client waits its own timeout);
- keeps at most ``max_body + 1`` bytes of a body: a larger one is handed over as soon as it passes
  that size (the application then answers that the body is too large) and the connection closes
  after the answer, without reading the rest;
- writes each answer in one write (status line, headers, body) when the application sends the body,
  at the end of the event loop's turn together with the other connections' answers (:class:`Outbox`);
  adds ``content-length`` when the application gave none, and goes chunked only for a streamed body
  (``more_body``); refuses (500) a header that holds a CR or LF, which would split the answer;
- answers pipelined requests in order, one at a time (reading pauses while requests wait), and stops
  reading while the transport's write buffer is over its high-water mark;
- closes a keep-alive connection after ``timeout_keep_alive`` seconds without a byte received;
- answers a request that does not parse with 400 and closes; an application that raises before it
  answers gets 500 and the connection closes; an Upgrade (WebSocket, h2c) or CONNECT request is
  answered as a plain request, then the connection closes.
"""

from __future__ import annotations

import asyncio
import http
import logging
from collections import deque
from contextlib import suppress
from typing import Any, Final, cast
from urllib.parse import unquote

import httptools

log = logging.getLogger("cognitoidentity.http")

Message = dict[str, Any]


def _status_line(code: int) -> bytes:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {code} {phrase}\r\n".encode("latin-1")


STATUS_LINES: Final = {code: _status_line(code) for code in range(100, 600)}
CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
ASGI_INFO: Final = {"version": "3.0", "spec_version": "2.3"}

# Why reading is paused; reading resumes when no reason is left.
_PIPELINED: Final = 1
_WRITE_BUFFER_FULL: Final = 2
_NO_MORE_REQUESTS: Final = 4


def _plain_answer(status: int, text: bytes, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A closing text/plain answer, for what the server says itself (400, 500)."""
    lines = [STATUS_LINES[status]]
    for name, value in default_headers:
        lines += (name, b": ", value, b"\r\n")
    lines.append(
        b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % len(text)
    )
    lines.append(text)
    return b"".join(lines)


class Outbox:
    """What the server's connections write during one turn of the event loop, written when the turn
    ends, in order, one write per answer (and closes in their place after them).

    Why not write at once: every answer written at once wakes the client's thread; written together,
    the answers of one turn usually cost one wake-up, so that on the bench machine the same load went
    from ~4,750 to ~5,600 GetCredentialsForIdentity answers a second (alternating runs, medians), and
    latency fell with it. An answer waits for nothing but the end of the turn that produced it.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[asyncio.Transport, bytes | None]] = []

    def put(
        self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport, data: bytes | None
    ) -> None:
        """``data`` to write, or None to close the transport after what it was given before."""
        if not self._items:
            loop.call_soon(self.flush)
        self._items.append((transport, data))

    def flush(self) -> None:
        items, self._items = self._items, []
        for transport, data in items:
            if transport.is_closing():  # the client went away, or a close came first
                continue
            try:
                if data is None:
                    transport.close()
                else:
                    transport.write(data)
            except Exception:  # one broken transport must not hold back the others' answers
                log.exception("writing an answer failed")
                with suppress(Exception):
                    transport.abort()


class HttpConnection(asyncio.Protocol):
    """One HTTP/1.1 connection; built by uvicorn as ``http_protocol_class(config=, server_state=,
    app_state=, _loop=)``. :func:`protocol_class` gives the class for one server: its body limit and
    its :class:`Outbox` (one server, one event loop)."""

    max_body: int = 1_048_576
    outbox: Outbox = Outbox()

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self._app = config.loaded_app
        self._loop = _loop or asyncio.get_event_loop()
        self._server_state = server_state
        self._app_state = app_state
        self._root_path: str = config.root_path
        self._keep_alive_seconds: float = config.timeout_keep_alive
        self._parser = httptools.HttpRequestParser(self)
        self._outbox = self.outbox
        self._transport: asyncio.Transport | None = None
        self._scheme = "http"
        self._server: tuple[str, int] | None = None
        self._client: tuple[str, int] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_read = 0.0
        self._lost = False
        self._closing = False  # close once nothing is owed (shutdown, an upgrade, a parse error)
        self._read_paused = 0
        self._drained: asyncio.Future[None] | None = None
        self._running: Exchange | None = None
        self._waiting: deque[Exchange] = deque()
        # The request being parsed.
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._scope: dict[str, Any] | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._handed_over = False  # an oversized body went to the application before its end
        self._continue_owed = False

    # --- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, though they are transports.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        self._server_state.connections.add(self)
        self._server = _address(transport.get_extra_info("sockname"))
        self._client = _address(transport.get_extra_info("peername"))
        if transport.get_extra_info("sslcontext") is not None:
            self._scheme = "https"
        self._last_read = self._loop.time()
        self._timer = self._loop.call_later(self._keep_alive_seconds, self._on_timer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._server_state.connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._waiting.clear()
        if self._running is not None:
            self._running.disconnected()
        self._wake_writer()

    def data_received(self, data: bytes) -> None:
        self._last_read = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # Answer what was asked as a plain request (nothing here speaks WebSocket or h2c),
            # then close: the bytes after it are in another protocol.
            self._stop_reading(b"Unsupported upgrade request.")
        except httptools.HttpParserError as error:
            log.info("invalid HTTP request: %s", error)
            self._stop_reading(b"Invalid HTTP request received.")

    def eof_received(self) -> bool | None:
        # As uvicorn does: the end of the input is the client leaving (the transport closes, an
        # application waiting in receive() hears http.disconnect). What is running still runs.
        return None

    def pause_writing(self) -> None:
        self._pause_reading(_WRITE_BUFFER_FULL)

    def resume_writing(self) -> None:
        self._resume_reading(_WRITE_BUFFER_FULL)
        self._wake_writer()

    # --- uvicorn's server

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: finish what is owed, then close."""
        self._closing = True
        if self._idle():
            self._close()

    # --- httptools callbacks

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._scope = None
        self._body = []
        self._size = 0
        self._handed_over = False
        self._continue_owed = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self._continue_owed = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self._parser
        url = self._url
        if url[:1] == b"/" and b"#" not in url:
            raw_path, _, query = url.partition(b"?")
        else:
            parsed = httptools.parse_url(url)
            raw_path, query = parsed.path or b"/", parsed.query or b""
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = unquote(path)
        self._scope = {
            "type": "http",
            "asgi": ASGI_INFO,
            "http_version": parser.get_http_version(),
            "server": self._server,
            "client": self._client,
            "scheme": self._scheme,
            "method": parser.get_method().decode("latin-1"),
            "root_path": self._root_path,
            "path": self._root_path + path,
            "raw_path": self._root_path.encode("latin-1") + raw_path,
            "query_string": query,
            "headers": self._headers,
            "state": self._app_state.copy(),
        }
        if self._continue_owed and self._idle():
            self._continue_owed = False
            self._write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._handed_over:
            return
        self._size += len(body)
        limit = self.max_body + 1
        if self._size < limit:
            self._body.append(body)
            return
        # Enough to know it is too large: the application answers now, and the connection closes
        # after that answer rather than reading the rest.
        self._body.append(body[: len(body) - (self._size - limit)])
        self._handed_over = True
        self._complete(keep_alive=False)
        self._stop_reading()

    def on_message_complete(self) -> None:
        if self._handed_over:
            return
        self._complete(keep_alive=self._parser.should_keep_alive())

    # --- exchanges

    def _complete(self, *, keep_alive: bool) -> None:
        scope = self._scope
        assert scope is not None
        body = self._body
        exchange = Exchange(self, scope, body[0] if len(body) == 1 else b"".join(body), keep_alive)
        self._continue_owed = False
        if self._running is None and not self._waiting:
            self._start(exchange)
        else:
            self._waiting.append(exchange)
            self._pause_reading(_PIPELINED)

    def _start(self, exchange: Exchange) -> None:
        self._running = exchange
        tasks = self._server_state.tasks
        task = self._loop.create_task(exchange.run(self._app))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _finished(self, exchange: Exchange) -> None:
        """The application sent its last body message (or failed): the next request may go."""
        self._server_state.total_requests += 1
        if self._running is exchange:
            self._running = None
        if self._lost or self._transport is None:
            return
        if not exchange.keep_alive:
            self._waiting.clear()
            self._close()
        elif self._waiting:
            self._start(self._waiting.popleft())
            if not self._waiting:
                self._resume_reading(_PIPELINED)
        elif self._closing:
            self._close()
        elif self._continue_owed:
            self._continue_owed = False
            self._write(CONTINUE)

    def _idle(self) -> bool:
        return self._running is None and not self._waiting

    def _stop_reading(self, error: bytes | None = None) -> None:
        """No more requests from this connection: close once the answers owed are sent (after a
        400 with ``error`` when nothing is owed)."""
        self._closing = True
        self._pause_reading(_NO_MORE_REQUESTS)
        if self._idle():
            if error is not None:
                self._write(_plain_answer(400, error, self._server_state.default_headers))
            self._close()

    def _write(self, data: bytes) -> None:
        if not self._lost and self._transport is not None:
            self._outbox.put(self._loop, self._transport, data)

    def _close(self) -> None:
        """Close after what was written (through the outbox, so it keeps its place)."""
        if not self._lost and self._transport is not None:
            self._outbox.put(self._loop, self._transport, None)

    def _pause_reading(self, reason: int) -> None:
        if not self._read_paused and self._transport is not None and not self._lost:
            self._transport.pause_reading()
        self._read_paused |= reason

    def _resume_reading(self, reason: int) -> None:
        was = self._read_paused
        self._read_paused &= ~reason
        if was and not self._read_paused and self._transport is not None and not self._lost:
            self._transport.resume_reading()

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark."""
        while self._read_paused & _WRITE_BUFFER_FULL and not self._lost:
            if self._drained is None:
                self._drained = self._loop.create_future()
            await self._drained

    def _wake_writer(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _on_timer(self) -> None:
        """Keep-alive timeout, re-armed rather than reset on every read (one timer a connection)."""
        self._timer = None
        if self._lost or self._transport is None:
            return
        quiet = self._loop.time() - self._last_read
        if self._idle() and quiet >= self._keep_alive_seconds:
            self._close()
            return
        wait = self._keep_alive_seconds - quiet if self._idle() else self._keep_alive_seconds
        self._timer = self._loop.call_later(max(wait, 0.01), self._on_timer)


class Exchange:
    """One request and its answer: the ASGI ``receive`` and ``send`` of one application call."""

    __slots__ = (
        "_body",
        "_body_given",
        "_chunked",
        "_connection",
        "_disconnect",
        "_head",
        "_remaining",
        "_silent",
        "_started",
        "complete",
        "keep_alive",
        "scope",
    )

    def __init__(
        self, connection: HttpConnection, scope: dict[str, Any], body: bytes, keep_alive: bool
    ) -> None:
        self._connection = connection
        self.scope = scope
        self._body = body
        self.keep_alive = keep_alive
        self._body_given = False
        self._started = False
        self._head: tuple[int, Any] | None = None
        self._chunked = False
        self._remaining = -1  # bytes still owed against a content-length the application gave
        self._silent = False  # no body goes out (HEAD, 1xx, 204, 304)
        self._disconnect: asyncio.Future[None] | None = None
        self.complete = False

    async def run(self, app: Any) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            self._fail(None)
            raise
        except Exception as error:
            log.error("the ASGI application raised", exc_info=error)
            self._fail(None)
        else:
            if not self.complete:
                self._fail("the application returned before answering")

    def _fail(self, why: str | None) -> None:
        """Answer 500 if nothing was sent yet; otherwise the answer is cut, so the connection
        closes."""
        if self.complete:
            return
        if why is not None:
            log.error("request failed: %s", why)
        connection = self._connection
        if not self._started or self._head is not None:
            connection._write(
                _plain_answer(
                    500, b"Internal Server Error", connection._server_state.default_headers
                )
            )
        else:
            connection._close()
        self.keep_alive = False
        self._end()

    def _end(self) -> None:
        self.complete = True
        self.disconnected()
        self._connection._finished(self)

    def disconnected(self) -> None:
        waiter = self._disconnect
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> Message:
        if not self._body_given:
            self._body_given = True
            return {"type": "http.request", "body": self._body, "more_body": False}
        # Nothing more will come: wait until the answer is complete or the client goes away.
        if not self.complete and not self._connection._lost:
            if self._disconnect is None:
                self._disconnect = self._connection._loop.create_future()
            await self._disconnect
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self._started:
                raise RuntimeError("http.response.start sent twice")
            self._started = True
            self._head = (message["status"], message.get("headers", ()))
            return
        if kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r}")
        if not self._started or self.complete:
            raise RuntimeError("http.response.body before http.response.start or after the end")
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        connection = self._connection
        if self._head is not None:
            head = self._encode_head(body, more)
            self._head = None
            data = head + self._frame(body, more)
        else:
            if more and connection._read_paused & _WRITE_BUFFER_FULL:
                await connection.drain()
            data = self._frame(body, more)
        if data:
            connection._write(data)
        if not more:
            if self._remaining > 0:  # shorter than announced: the client would wait forever
                log.error("answer shorter than its content-length")
                self.keep_alive = False
                connection._close()
            self._end()

    def _encode_head(self, body: bytes, more: bool) -> bytes:
        assert self._head is not None
        status, headers = self._head
        connection = self._connection
        lines = [STATUS_LINES[status]]
        breaks = 2 + len(headers)  # the status line, each header, the blank line...
        length: int | None = None
        # Closing (shutdown, end of input, an upgrade) and this is the last answer owed: say so.
        close = not self.keep_alive or (connection._closing and not connection._waiting)
        said_close = False
        defaults = connection._server_state.default_headers
        breaks += len(defaults)
        for name, value in defaults:
            lines += (name, b": ", value, b"\r\n")
        for name, value in headers:
            lower = name.lower()
            if lower == b"content-length":
                length = int(value)
            elif lower == b"transfer-encoding":
                self._chunked = b"chunked" in value.lower()
            elif lower == b"connection" and b"close" in value.lower():
                close = said_close = True
            lines += (name, b": ", value, b"\r\n")
        no_content = status < 200 or status in (204, 304)
        # HEAD gets the headers a GET would get (its length included), and no body.
        self._silent = no_content or self.scope["method"] == "HEAD"
        if length is None and not self._chunked and not no_content:
            if more:
                self._chunked = True
                lines.append(b"transfer-encoding: chunked\r\n")
            else:
                lines.append(b"content-length: %d\r\n" % len(body))
            breaks += 1  # ...and what is added here
        if close:
            self.keep_alive = False
            if not said_close:
                lines.append(b"connection: close\r\n")
                breaks += 1
        lines.append(b"\r\n")
        head = b"".join(lines)
        # One count instead of a regex per header: a CR or LF inside a name or value (say, from
        # text a client sent) would end the header early and let the rest forge an answer.
        if head.count(b"\n") != breaks or head.count(b"\r") != breaks:
            raise RuntimeError("an answer header holds a CR or LF")
        if length is not None and not self._silent:
            self._remaining = length
        return head

    def _frame(self, body: bytes, more: bool) -> bytes:
        if self._silent:
            return b""
        if self._chunked:
            chunk = b"%x\r\n%b\r\n" % (len(body), body) if body else b""
            return chunk if more else chunk + b"0\r\n\r\n"
        if self._remaining >= 0:
            self._remaining -= len(body)
            if self._remaining < 0:
                raise RuntimeError("answer longer than its content-length")
        return body


def _address(value: object) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return (str(value[0]), int(value[1]))
    return None


def protocol_class(max_body: int) -> type[HttpConnection]:
    """The connection class of one server, keeping at most ``max_body + 1`` bytes of a body."""

    class Bound(HttpConnection):
        pass

    Bound.max_body = max_body
    Bound.outbox = Outbox()
    return Bound
