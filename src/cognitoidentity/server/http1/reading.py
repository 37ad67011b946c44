"""The reading half of a connection: httptools is fed within the head bounds, and reading pauses
while there is a reason not to read.

The head of a request is bounded by counting its bytes as they arrive and before httptools sees them
(httptools keeps a header's whole value until its line ends): the request line may be at most
``max_request_line`` bytes (32 KiB, its CRLF counted), each header line ``max_header_line``
(32 KiB), the whole head ``max_head`` (64 KiB, empty lines before the request line counted).
A presigned GetCallerIdentity URL, as Vault and EKS send it, carries a session token of up to
16,384 characters and a signature in its query, and ``X-Amz-Security-Token`` can be as long: about
half of a bound. Past a bound the request is refused at once, without parsing or keeping the rest:
414 (Request-URI Too Long) for the request line, 431 (Request Header Fields Too Large) for a header
line or the whole head, then the connection closes without reading on (a client still sending may
see the close as a reset). What a chunked body holds besides its data (chunk-size lines, trailers)
counts against ``max_head`` too (431): httptools keeps trailers as it keeps headers.

Reading pauses while pipelined requests wait their turn, while the transport's write buffer is over
its high-water mark, and for good once no more requests will be read from the connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

import httptools

from cognitoidentity.server.http1.answers import REFUSALS

log = logging.getLogger("cognitoidentity.http")

# Why reading is paused; reading resumes when no reason is left.
PIPELINED: Final = 1
WRITE_BUFFER_FULL: Final = 2
NO_MORE_REQUESTS: Final = 4

# What the bytes being received are, as far as the bounds are concerned.
HEAD: Final = 0  # a head, or the empty lines before it
BODY: Final = 1  # a body of a known length
CHUNKED: Final = 2  # a chunked body, its trailers included

BEGUN: Final = -1.0  # a phase began in the read being fed; its time is taken after it
_COPY_AT_MOST: Final = 16_384
_END_OF_HEAD: Final = b"\r\n\r\n"  # llhttp accepts no other line end than CRLF
_CRLF: Final = b"\r\n"


class BoundedReading:
    """The reading half of :class:`~cognitoidentity.server.http1.connection.HttpConnection`, its
    one subclass: what arrives is counted against the bounds and fed to httptools piece by piece,
    and reading is paused and resumed for its reasons."""

    # Given by the connection: its bounds, its parser and transport, the body being received.
    max_request_line: int
    max_header_line: int
    max_head: int
    _parser: httptools.HttpRequestParser
    _transport: asyncio.Transport | None
    _lost: bool
    _size: int
    _handed_over: bool

    if TYPE_CHECKING:

        def _stop_reading(self, *, status: int = 400, error: bytes | None = None) -> None: ...

    def __init__(self) -> None:
        self._read_paused = 0
        # What is being received (counted before httptools sees it), for the bounds and deadlines.
        self._phase = HEAD
        # When it began: 0 while no byte of a request line has come, BEGUN until the end of the
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

    def _receive(self, data: bytes) -> None:
        """Feed httptools piece by piece, each piece ending where a head or body may end, so that
        every byte of a head is counted against the bounds before httptools keeps it."""
        n = len(data)
        if (
            0 < n <= self._fast_head
            and not self._phase_at
            and self._phase == HEAD
            and not self._read_paused & NO_MORE_REQUESTS
            and data[0] not in _CRLF
        ):
            # The usual read: a whole head, then nothing or exactly its body, shorter than the
            # smallest bound (so within every bound), on a connection between requests. What
            # _head_end and the loop below would do with it, without the scan.
            head = data.find(_END_OF_HEAD) + 4
            # _rest_is_body's first comparison inline (wrk's and most SDKs' requests end their
            # head with Content-Length): a call less on the usual read.
            if head >= 4 and (
                head == n
                or data.endswith(_LENGTH_ENDS.get(n - head) or _length_end(n - head), 0, head)
                or _rest_is_body(data, head, n)
            ):
                self._phase_at = BEGUN
                self._heads_scanned += 1
                self._parser.feed_data(data)
                if self._heads_scanned != self._heads_parsed:
                    log.warning("HTTP framing seen differently by the bounds and by httptools")
                    self._stop_reading(error=b"Invalid HTTP request received.")
                return
        pos = 0
        feed = self._parser.feed_data
        while pos < n and not self._read_paused & NO_MORE_REQUESTS:
            phase = self._phase
            may_end = False
            if phase == HEAD:
                end = self._head_end(data, pos, n)
                if end < 0:
                    return
                if pos == 0 and end < n and _rest_is_body(data, end, n):
                    # The usual read of a POST: one head, then exactly its body. httptools takes
                    # it in one call (what follows the head is no head: nothing to count).
                    end = n
            elif phase == BODY:
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
            if phase == HEAD:
                in_step = self._heads_scanned == self._heads_parsed
            elif phase == BODY:
                in_step = may_end == (self._phase == HEAD)
            else:
                in_step = may_end or self._phase != HEAD
                if self._phase == CHUNKED:
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
                self._phase_at = BEGUN
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
        text = REFUSALS[status]
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

    def _pause_reading(self, reason: int) -> None:
        if not self._read_paused and self._transport is not None and not self._lost:
            self._transport.pause_reading()
        self._read_paused |= reason

    def _resume_reading(self, reason: int) -> None:
        was = self._read_paused
        self._read_paused &= ~reason
        if was and not self._read_paused and self._transport is not None and not self._lost:
            self._transport.resume_reading()


_CONTENT_LENGTHS = (b"\r\nContent-Length:", b"\r\ncontent-length:")
"""The two spellings clients send; another one just takes the piece-by-piece path."""


_LENGTH_ENDS: dict[int, bytes] = {}
"""``\\r\\nContent-Length: <n>\\r\\n\\r\\n`` by body length, made once: a dict look-up costs less
than formatting it on every read (clients send a few lengths again and again)."""
_LENGTH_ENDS_MAX: Final = 4096
"""Lengths kept at most (beyond, formatted at each use): a bound on the memory a client's varied
lengths can take."""


def _length_end(length: int) -> bytes:
    """The end of a head whose last header is ``Content-Length: <length>``, kept while there is
    room (see :data:`_LENGTH_ENDS`)."""
    end = b"\r\nContent-Length: %d\r\n\r\n" % length
    if len(_LENGTH_ENDS) < _LENGTH_ENDS_MAX:
        _LENGTH_ENDS[length] = end
    return end


def _rest_is_body(data: bytes, end: int, n: int) -> bool:
    """Whether ``data[end:n]`` is exactly the body of the head ending at ``end``, by its
    ``Content-Length``. Anything else (a head begun in an earlier read, a pipelined request after
    the body, a length spelled otherwise) goes piece by piece; and should httptools frame the read
    otherwise (two lengths, a Transfer-Encoding), the framing check after the feed ends the
    connection, as on the piecewise path."""
    # Content-Length is often the last header (wrk always puts it there): one comparison first.
    if data.endswith(_LENGTH_ENDS.get(n - end) or _length_end(n - end), 0, end):
        return True
    for name in _CONTENT_LENGTHS:
        at = data.find(name, 0, end)
        if at >= 0:
            start = at + len(name)
            value = data[start : data.find(b"\r\n", start, end)].strip()
            return value.isdigit() and end + int(value) == n
    return False
