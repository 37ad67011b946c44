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
- bounds the head of a request, counting its bytes as they arrive and before httptools sees them
  (httptools keeps a header's whole value until its line ends): the request line may be at most
  ``max_request_line`` bytes (32 KiB, its CRLF counted), each header line ``max_header_line``
  (32 KiB), the whole head ``max_head`` (64 KiB, empty lines before the request line counted). A
  presigned GetCallerIdentity URL, as Vault and EKS send it, carries a session token of up to 16,384
  characters and a signature in its query, and ``X-Amz-Security-Token`` can be as long: about half
  of a bound. Past a bound the request is refused at once, without parsing or keeping the rest:
  414 (Request-URI Too Long) for the request line, 431 (Request Header Fields Too Large) for a header
  line or the whole head, then the connection closes without reading on (a client still sending
  may see the close as a reset). What a chunked body holds besides its data (chunk-size lines,
  trailers) counts against ``max_head`` too (431): httptools keeps trailers as it keeps headers;
- keeps at most ``max_body + 1`` bytes of a body: a larger one is handed over as soon as it passes
  that size (the application then answers that the body is too large) and the connection closes
  after the answer, without reading the rest;
- gives a request ``head_timeout`` seconds (10) from its first byte to complete its head, then
  ``body_timeout`` seconds (30) from the end of its head to complete its body, however it trickles;
  past that it gets 408 Request Timeout and the connection closes. These count only while nothing
  is owed on the connection: a request that arrives while the application answers an earlier one
  counts from the end of that answer;
- writes each answer in one write (status line, headers, body) when the application sends the body,
  at the end of the event loop's turn together with the other connections' answers (:class:`Outbox`);
  adds ``content-length`` when the application gave none, and goes chunked only for a streamed body
  (``more_body``); refuses (500) a header that holds a CR or LF, which would split the answer;
- answers pipelined requests in order, one at a time (reading pauses while requests wait), and stops
  reading while the transport's write buffer is over its high-water mark;
- closes a keep-alive connection, without a word, when no request has begun ``timeout_keep_alive``
  seconds after the end of its last answer (or after it opened): a slow answer does not eat into
  the client's time to reuse the connection;
- answers a request that does not parse with 400 and closes; an application that raises before it
  answers gets 500 and the connection closes; an Upgrade (WebSocket, h2c) or CONNECT request is
  answered as a plain request, then the connection closes. A refusal (400, 408, 414, 431) is said
  only when nothing else is owed on the connection; otherwise the connection closes after the
  answers owed.

The bounds and deadlines are set per server by :func:`protocol_class` (its defaults are the values
above); the keep-alive time is uvicorn's ``timeout_keep_alive``. One timer a connection keeps all
the deadlines: it is re-armed when it fires rather than reset on every read, and moved earlier only
when a request begins with a deadline nearer than it.
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
_REFUSALS: Final = {
    408: b"Request not received in time.",
    414: b"Request line too long.",
    431: b"Request header fields too large.",
}
CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
ASGI_INFO: Final = {"version": "3.0", "spec_version": "2.3"}

# Why reading is paused; reading resumes when no reason is left.
_PIPELINED: Final = 1
_WRITE_BUFFER_FULL: Final = 2
_NO_MORE_REQUESTS: Final = 4

# What the bytes being received are, as far as the bounds are concerned.
_HEAD: Final = 0  # a head, or the empty lines before it
_BODY: Final = 1  # a body of a known length
_CHUNKED: Final = 2  # a chunked body, its trailers included

_BEGUN: Final = -1.0  # a phase began in the read being fed; its time is taken after it
_COPY_AT_MOST: Final = 16_384
_END_OF_HEAD: Final = b"\r\n\r\n"  # llhttp accepts no other line end than CRLF
_NOTED_HEADERS: Final = frozenset((b"expect", b"content-length", b"transfer-encoding"))


def _plain_answer(status: int, text: bytes, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A closing text/plain answer, for what the server says itself (400, 408, 414, 431, 500)."""
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
        self._content_length = b""
        self._transfer_encoding = False
        # What is being received (counted before httptools sees it), for the bounds and deadlines.
        self._phase = _HEAD
        # When it began: 0 while no byte of a request line has come, _BEGUN until the end of the
        # read it began in (a request whole in one read never asks the clock).
        self._phase_at = 0.0
        self._fast_head = min(self.max_request_line, self.max_header_line, self.max_head)
        self._line = 0  # bytes of the head's unfinished line
        self._lines = 0  # lines of the head finished (the request line first)
        self._head_size = 0
        self._heads_scanned = (
            0  # heads seen to end here, and by httptools: equal, both framing alike
        )
        self._heads_parsed = 0
        self._body_left = 0
        self._chunked_tail = b""  # the last bytes of a chunked body fed, for an end across reads
        self._chunked_size = 0  # bytes of a chunked body fed, framing included

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
        if self._phase_at == _BEGUN:
            self._phase_begun()

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
        self._content_length = b""
        self._transfer_encoding = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in _NOTED_HEADERS:
            if name == b"content-length":
                self._content_length = value
            elif name == b"transfer-encoding":
                self._transfer_encoding = True
            elif value.lower() == b"100-continue":
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
            self._phase = _CHUNKED
            self._chunked_tail = b""
            self._chunked_size = 0
            self._phase_at = _BEGUN
        elif self._content_length and (length := int(self._content_length)):
            self._phase = _BODY
            self._body_left = length
            self._phase_at = _BEGUN
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
        self._phase = _HEAD
        self._phase_at = 0.0
        if self._handed_over:
            return
        self._complete(keep_alive=self._parser.should_keep_alive())

    # --- reading within bounds

    def _receive(self, data: bytes) -> None:
        """Feed httptools piece by piece, each piece ending where a head or body may end, so that
        every byte of a head is counted against the bounds before httptools keeps it."""
        n = len(data)
        pos = 0
        feed = self._parser.feed_data
        while pos < n and not self._read_paused & _NO_MORE_REQUESTS:
            phase = self._phase
            may_end = False
            if phase == _HEAD:
                end = self._head_end(data, pos, n)
                if end < 0:
                    return
            elif phase == _BODY:
                end = min(n, pos + self._body_left)
                self._body_left -= end - pos
                may_end = not self._body_left
            else:
                end, may_end = self._chunked_end(data, pos, n)
            if pos == 0 and end == n:
                feed(data)
            elif end - pos < _COPY_AT_MOST:  # cheaper than a memoryview for a small piece
                feed(data[pos:end])
            else:
                feed(memoryview(data)[pos:end])
            if phase == _HEAD:
                in_step = self._heads_scanned == self._heads_parsed
            elif phase == _BODY:
                in_step = may_end == (self._phase == _HEAD)
            else:
                in_step = may_end or self._phase != _HEAD
                if self._phase == _CHUNKED:
                    self._chunked_fed(data, pos, end)
            if not in_step:
                # Not seen on any request llhttp accepts; were it to happen, the bounds would be
                # counted on the wrong bytes, so the connection ends here.
                log.warning("HTTP framing seen differently by the bounds and by httptools")
                self._stop_reading(error=b"Invalid HTTP request received.")
                return
            pos = end

    def _head_end(self, data: bytes, pos: int, n: int) -> int:
        """Where the head being received ends in ``data[pos:n]`` (``n`` if not there), its lines
        counted against the bounds; -1 once it is refused."""
        start = pos
        if not self._phase_at:
            # Empty lines before a request line are skipped (as llhttp does) and start no
            # deadline: some clients send a CRLF after a body.
            while pos < n and data[pos] in b"\r\n":
                pos += 1
            if pos < n:
                self._phase_at = _BEGUN
                # The usual head: whole in this read and shorter than the smallest bound.
                cap = self._fast_head - self._head_size - (pos - start)
                end = data.find(_END_OF_HEAD, pos, pos + cap)
                if end >= 0:
                    self._heads_scanned += 1
                    self._head_size = 0  # no line begun: _line and _lines are 0
                    return end + 4
        while pos < n:
            newline = data.find(b"\n", pos, n)
            stop = n if newline < 0 else newline + 1
            line = self._line + stop - pos
            lines = self._lines
            if line > (self.max_header_line if lines else self.max_request_line):
                return self._refuse(431 if lines else 414)
            if self._head_size + stop - start > self.max_head:
                return self._refuse(431)
            if newline < 0:
                self._line = line
                break
            if line <= 2 and lines:  # the empty line after the headers
                self._head_ended()
                return stop
            self._lines = lines + 1
            self._line = 0
            pos = stop
        self._head_size += n - start
        if self._head_size > self.max_head:  # empty lines alone
            return self._refuse(431)
        return n

    def _head_ended(self) -> None:
        self._heads_scanned += 1
        self._line = self._lines = self._head_size = 0

    def _refuse(self, status: int) -> int:
        text = _REFUSALS[status]
        log.info("request refused: %s", text.decode())
        self._stop_reading(status=status, error=text)
        return -1

    def _chunked_end(self, data: bytes, pos: int, n: int) -> tuple[int, bool]:
        """How far to feed of a chunked body: up to the next place it may end (an empty line), and
        whether that is such a place. At most ``max_head`` bytes, so that trailers stay bounded."""
        tail = self._chunked_tail
        if tail:
            found = (tail + data[pos : pos + 3]).find(_END_OF_HEAD)
            if found >= 0:
                return pos + found + 4 - len(tail), True
        stop = min(n, pos + self.max_head)
        found = data.find(_END_OF_HEAD, pos, stop)
        if found >= 0:
            return found + 4, True
        return stop, False

    def _chunked_fed(self, data: bytes, pos: int, end: int) -> None:
        """A piece of a chunked body that did not end it went to httptools."""
        self._chunked_tail = (
            data[end - 3 : end] if end - pos >= 3 else (self._chunked_tail + data[pos:end])[-3:]
        )
        self._chunked_size += end - pos
        if self._chunked_size - self._size > self.max_head and not self._handed_over:
            self._refuse(431)

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
                self._resume_reading(_PIPELINED)
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
        self._pause_reading(_NO_MORE_REQUESTS)
        if self._idle():
            if error is not None:
                self._write(_plain_answer(status, error, self._server_state.default_headers))
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

    def _phase_begun(self) -> None:
        """A head or a body began to arrive in the last read and is not complete: its deadline
        counts from now, and the timer comes nearer if it is set later than that."""
        self._phase_at = now = self._loop.time()
        deadline = now + (self.head_timeout if self._phase == _HEAD else self.body_timeout)
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
                limit = self.head_timeout if self._phase == _HEAD else self.body_timeout
                deadline = max(self._phase_at, self._answered_at) + limit
                if now >= deadline:
                    log.info("request refused: not received within %s seconds", limit)
                    self._stop_reading(status=408, error=_REFUSALS[408])
                    return
            else:
                deadline = self._answered_at + keep_alive
                if now >= deadline:
                    self._close()
                    return
            when = min(when, deadline)
        # A timer may fire a hair early; never spin on it.
        self._arm(max(when, now + 0.01))


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


def protocol_class(
    max_body: int,
    *,
    max_request_line: int = HttpConnection.max_request_line,
    max_header_line: int = HttpConnection.max_header_line,
    max_head: int = HttpConnection.max_head,
    head_timeout: float = HttpConnection.head_timeout,
    body_timeout: float = HttpConnection.body_timeout,
) -> type[HttpConnection]:
    """The connection class of one server, keeping at most ``max_body + 1`` bytes of a body, with
    the bounds (bytes, line ends counted) and deadlines (seconds) the module describes."""
    if min(max_request_line, max_header_line, max_head) < 16:
        raise ValueError("HTTP head bounds under 16 bytes would refuse every request")

    class Bound(HttpConnection):
        pass

    Bound.max_body = max_body
    Bound.max_request_line = max_request_line
    Bound.max_header_line = max_header_line
    Bound.max_head = max_head
    Bound.head_timeout = head_timeout
    Bound.body_timeout = body_timeout
    Bound.outbox = Outbox()
    return Bound
