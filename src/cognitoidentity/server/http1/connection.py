"""One HTTP/1.1 connection, from uvicorn's transport to the application's exchanges.

What a connection does, besides reading within bounds (:mod:`.reading`) and answering through its
exchanges (:mod:`.exchange`):

- parses with httptools and hands the application each request once it is complete, body included,
  so that ``receive()`` answers at once; ``Expect: 100-continue`` is answered when the headers end
  (when nothing else is owed on the connection: a pipelined request's client waits its own timeout);
- keeps at most ``max_body + 1`` bytes of a body: a larger one is handed over as soon as it passes
  that size (the application then answers that the body is too large) and the connection closes
  after the answer, without reading the rest;
- gives a request ``head_timeout`` seconds (10) from its first byte to complete its head, then
  ``body_timeout`` seconds (30) from the end of its head to complete its body, however it trickles;
  past that it gets 408 Request Timeout and the connection closes. These count only while nothing
  is owed on the connection: a request that arrives while the application answers an earlier one
  counts from the end of that answer;
- answers pipelined requests in order, one at a time (reading pauses while requests wait), and stops
  reading while the transport's write buffer is over its high-water mark;
- closes a keep-alive connection, without a word, when no request has begun ``timeout_keep_alive``
  seconds after the end of its last answer (or after it opened): a slow answer does not eat into
  the client's time to reuse the connection;
- answers a request that does not parse with 400 and closes; an Upgrade (WebSocket, h2c) or CONNECT
  request is answered as a plain request, then the connection closes. A refusal (400, 408, 414,
  431) is said only when nothing else is owed on the connection; otherwise the connection closes
  after the answers owed.

One timer a connection keeps all the deadlines: it is re-armed when it fires rather than reset on
every read, and moved earlier only when a request begins with a deadline nearer than it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from typing import Any, Final, cast
from urllib.parse import unquote

import httptools

from cognitoidentity.server.http1.answers import CONTINUE, REFUSALS, plain_answer
from cognitoidentity.server.http1.exchange import Exchange
from cognitoidentity.server.http1.outbox import Outbox
from cognitoidentity.server.http1.reading import (
    BEGUN,
    BODY,
    CHUNKED,
    HEAD,
    NO_MORE_REQUESTS,
    PIPELINED,
    WRITE_BUFFER_FULL,
    BoundedReading,
)

log = logging.getLogger("cognitoidentity.http")

ASGI_INFO: Final = {"version": "3.0", "spec_version": "2.3"}


class HttpConnection(BoundedReading, asyncio.Protocol):
    """One HTTP/1.1 connection; built by uvicorn as ``http_protocol_class(config=, server_state=,
    app_state=, _loop=)``. :func:`protocol_class` gives the class for one server: its bounds and
    deadlines and its :class:`Outbox` (one server, one event loop)."""

    max_body: int = 1_048_576
    max_request_line: int = 32_768
    max_header_line: int = 32_768
    max_head: int = 65_536
    head_timeout: float = 10.0
    body_timeout: float = 30.0
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
        self._timer_at = 0.0
        self._answered_at = 0.0  # the end of the last answer, or when the connection opened
        self._lost = False
        self._closing = False  # close once nothing is owed (shutdown, an upgrade, a parse error)
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
        self._content_length = b""
        self._transfer_encoding = False
        super().__init__()  # BoundedReading's state: what is being received

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
        self._answered_at = now = self._loop.time()
        self._arm(now + self._keep_alive_seconds)

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
        try:
            self._receive(data)
        except httptools.HttpParserUpgrade:
            # Answer what was asked as a plain request (nothing here speaks WebSocket or h2c),
            # then close: the bytes after it are in another protocol.
            self._stop_reading(error=b"Unsupported upgrade request.")
        except httptools.HttpParserError as error:
            log.info("invalid HTTP request: %s", error)
            self._stop_reading(error=b"Invalid HTTP request received.")
        if self._phase_at == BEGUN:
            self._phase_begun()

    def eof_received(self) -> bool | None:
        # As uvicorn does: the end of the input is the client leaving (the transport closes, an
        # application waiting in receive() hears http.disconnect). What is running still runs.
        return None

    def pause_writing(self) -> None:
        self._pause_reading(WRITE_BUFFER_FULL)

    def resume_writing(self) -> None:
        self._resume_reading(WRITE_BUFFER_FULL)
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
        self._content_length = b""
        self._transfer_encoding = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        # Compared, not looked up in a set: a name lower-cased here is a new object, and hashing
        # it costs more than three comparisons (which mostly stop at the lengths).
        if name == b"content-length":
            self._content_length = value
        elif name == b"transfer-encoding":
            self._transfer_encoding = True
        elif name == b"expect" and value.lower() == b"100-continue":
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
        self._heads_parsed += 1
        # Where the body ends, so that the bytes after it are counted as the next head. llhttp has
        # refused a Content-Length that is not digits, or one given with Transfer-Encoding.
        if self._transfer_encoding:
            self._phase = CHUNKED
            self._chunked_tail = b""
            self._chunked_size = 0
            self._phase_at = BEGUN
        elif self._content_length and (length := int(self._content_length)):
            self._phase = BODY
            self._body_left = length
            self._phase_at = BEGUN
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
        self._phase = HEAD
        self._phase_at = 0.0
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
            self._pause_reading(PIPELINED)

    def _start(self, exchange: Exchange) -> None:
        self._running = exchange
        tasks = self._server_state.tasks
        # Each request starts from an empty context, never the one of the request before it on
        # the connection (a pipelined request is started from that one's task): what a request
        # notes in a context variable (the PostgreSQL store's change check) is its own.
        task = self._loop.create_task(exchange.run(self._app), context=contextvars.Context())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _finished(self, exchange: Exchange) -> None:
        """The application sent its last body message (or failed): the next request may go."""
        self._server_state.total_requests += 1
        self._answered_at = self._loop.time()
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
                self._resume_reading(PIPELINED)
        elif self._closing:
            self._close()
        elif self._continue_owed:
            self._continue_owed = False
            self._write(CONTINUE)

    def _idle(self) -> bool:
        return self._running is None and not self._waiting

    def _stop_reading(self, *, status: int = 400, error: bytes | None = None) -> None:
        """No more requests from this connection: close once the answers owed are sent (after a
        ``status`` answer saying ``error`` when nothing is owed)."""
        self._closing = True
        self._pause_reading(NO_MORE_REQUESTS)
        if self._idle():
            if error is not None:
                self._write(plain_answer(status, error, self._server_state.default_headers))
            self._close()

    def _write(self, data: bytes) -> None:
        if not self._lost and self._transport is not None:
            self._outbox.put(self._loop, self._transport, data)

    def _close(self) -> None:
        """Close after what was written (through the outbox, so it keeps its place)."""
        if not self._lost and self._transport is not None:
            self._outbox.put(self._loop, self._transport, None)

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark."""
        while self._read_paused & WRITE_BUFFER_FULL and not self._lost:
            if self._drained is None:
                self._drained = self._loop.create_future()
            await self._drained

    def _wake_writer(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _phase_begun(self) -> None:
        """A head or a body began to arrive in the last read and is not complete: its deadline
        counts from now, and the timer comes nearer if it is set later than that."""
        self._phase_at = now = self._loop.time()
        deadline = now + (self.head_timeout if self._phase == HEAD else self.body_timeout)
        if deadline < self._timer_at and self._timer is not None:
            self._timer.cancel()
            self._arm(deadline)

    def _arm(self, when: float) -> None:
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        """Keep-alive and receive deadlines. Re-armed at the nearest deadline, and at least every
        ``timeout_keep_alive`` seconds, so that a deadline that comes nearer (an answer ends) is
        never missed by more than that."""
        self._timer = None
        if self._lost or self._transport is None or self._transport.is_closing():
            return
        now = self._loop.time()
        keep_alive = self._keep_alive_seconds
        when = now + keep_alive
        if self._idle():  # while the application answers, its time is not the client's
            if self._phase_at:
                limit = self.head_timeout if self._phase == HEAD else self.body_timeout
                deadline = max(self._phase_at, self._answered_at) + limit
                if now >= deadline:
                    log.info("request refused: not received within %s seconds", limit)
                    self._stop_reading(status=408, error=REFUSALS[408])
                    return
            else:
                deadline = self._answered_at + keep_alive
                if now >= deadline:
                    self._close()
                    return
            when = min(when, deadline)
        # A timer may fire a hair early; never spin on it.
        self._arm(max(when, now + 0.01))


def _address(value: object) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return (str(value[0]), int(value[1]))
    return None
