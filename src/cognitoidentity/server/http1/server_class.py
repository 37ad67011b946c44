"""The connection class of one server: its bounds, its deadlines and its outbox."""

from __future__ import annotations

from cognitoidentity.server.http1.connection import HttpConnection
from cognitoidentity.server.http1.outbox import Outbox


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
    the bounds (bytes, line ends counted: :mod:`.reading`) and deadlines (seconds:
    :mod:`.connection`) described where they are kept."""
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
