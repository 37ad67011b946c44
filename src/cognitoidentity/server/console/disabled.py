"""The console when the ``console`` setting is off: every ``/console`` path answers 404, as if
there were no console at all (this module imports nothing of the console's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

NOT_FOUND_BODY = b"Not Found\n"


async def console_disabled(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
    request_id: str,
) -> int:
    """Answer 404, plain text."""
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"x-amzn-requestid", request_id.encode()),
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"%d" % len(NOT_FOUND_BODY)),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": NOT_FOUND_BODY})
    return 404
