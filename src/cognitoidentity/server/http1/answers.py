"""What the server writes on its own account, not the application's: the status lines of every
answer, the interim ``100 Continue``, and the plain answers with which it refuses a request (400,
408, 414, 431) or stands in for an application that failed (500)."""

from __future__ import annotations

import http
from typing import Final


def _status_line(code: int) -> bytes:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {code} {phrase}\r\n".encode("latin-1")


STATUS_LINES: Final = {code: _status_line(code) for code in range(100, 600)}
REFUSALS: Final = {
    408: b"Request not received in time.",
    414: b"Request line too long.",
    431: b"Request header fields too large.",
}
CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"


def plain_answer(status: int, text: bytes, default_headers: list[tuple[bytes, bytes]]) -> bytes:
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
