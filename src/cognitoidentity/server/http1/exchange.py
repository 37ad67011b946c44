"""One request and its answer: the ASGI ``receive`` and ``send`` of one call of the application.

The body comes whole in the first ``receive()``. Each answer goes out in one write (status line,
headers, body) when the application sends the body, at the end of the event loop's turn with the
other connections' answers (:class:`~cognitoidentity.server.http1.outbox.Outbox`);
``content-length`` is added when the application gave none, and the answer goes chunked only for a
streamed body (``more_body``). A header that holds a CR or LF, which would split the answer, is
refused (500). An application that raises before it answers gets 500 and the connection closes;
one that fails halfway through its answer has the connection closed under it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from cognitoidentity.server.http1.answers import STATUS_LINES, plain_answer
from cognitoidentity.server.http1.reading import WRITE_BUFFER_FULL

if TYPE_CHECKING:
    from cognitoidentity.server.http1.connection import HttpConnection

log = logging.getLogger("cognitoidentity.http")

Message = dict[str, Any]

_FRAMING_NAME_LENGTHS: Final = frozenset(
    len(name) for name in (b"content-length", b"transfer-encoding", b"connection")
)
"""The lengths of the answer headers that change the framing: a name of another length is none."""


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
                plain_answer(
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
            if more and connection._read_paused & WRITE_BUFFER_FULL:
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
        # Closing (shutdown, end of input, an upgrade) and this is the last answer owed: say so.
        close = not self.keep_alive or (connection._closing and not connection._waiting)
        said_close = False
        defaults = connection._server_state.default_headers
        # Every header line at once (bytes.join in C rather than four pieces a header in Python).
        given = (*defaults, *headers)
        lines = b"\r\n".join(map(b": ".join, given))
        # One count instead of a regex per header: a CR or LF inside a name or value (say, from
        # text a client sent) would end the header early and let the rest forge an answer.
        breaks = max(len(given) - 1, 0)
        if lines.count(b"\n") != breaks or lines.count(b"\r") != breaks:
            raise RuntimeError("an answer header holds a CR or LF")
        length: int | None = None
        for name, value in given[len(defaults) :]:  # the application's (headers may be an iterator)
            if len(name) not in _FRAMING_NAME_LENGTHS:  # most names: no lower() to compare
                continue
            lower = name.lower()
            if lower == b"content-length":
                length = int(value)
            elif lower == b"transfer-encoding":
                self._chunked = b"chunked" in value.lower()
            elif lower == b"connection" and b"close" in value.lower():
                close = said_close = True
        no_content = status < 200 or status in (204, 304)
        # HEAD gets the headers a GET would get (its length included), and no body.
        self._silent = no_content or self.scope["method"] == "HEAD"
        added = b""
        if length is None and not self._chunked and not no_content:
            if more:
                self._chunked = True
                added = b"transfer-encoding: chunked\r\n"
            else:
                added = b"content-length: %d\r\n" % len(body)
        if close:
            self.keep_alive = False
            if not said_close:
                added += b"connection: close\r\n"
        if length is not None and not self._silent:
            self._remaining = length
        if lines:
            return b"%b%b\r\n%b\r\n" % (STATUS_LINES[status], lines, added)
        return b"%b%b\r\n" % (STATUS_LINES[status], added)

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
