"""The server's log: one access line per request, and the two formats of every line.

``text`` (the default): ``<time> <LEVEL> <logger>: <message>``, the access line's message being
``<request id> <operation> <status> <duration>ms``. ``json``: one JSON object per line with
``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; an access line adds the same
fields as its text, ``request_id``, ``operation``, ``status`` and ``duration_ms``; a line with a
traceback adds ``exception``.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Final

import orjson

__all__ = [
    "ACCESS_FIELDS",
    "LOG_FORMATS",
    "JsonFormatter",
    "configure",
    "log_request",
    "parse_log_format",
]

LOG_FORMATS: Final = ("text", "json")
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ACCESS_FIELDS: Final = ("request_id", "operation", "status", "duration_ms")
"""The access line's arguments, in order: what :class:`JsonFormatter` names them."""

access_log = logging.getLogger("cognitoidentity.access")


def log_request(request_id: str, operation: str, status: int, seconds: float) -> None:
    """The access line of one answered request."""
    if access_log.isEnabledFor(logging.INFO):
        access_log.info("%s %s %d %.1fms", request_id, operation, status, seconds * 1000)


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module doc)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        args = record.args
        if record.name == access_log.name and isinstance(args, tuple) and len(args) == 4:
            # The fields are the access line's arguments, not a parse of its text.
            out.update(zip(ACCESS_FIELDS, args, strict=True))
            if isinstance(args[3], float):
                out["duration_ms"] = round(args[3], 3)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(out, default=str).decode()


def parse_log_format(text: str) -> str:
    """The ``log_format`` setting: ``text`` or ``json``."""
    value = text.strip().lower()
    if value not in LOG_FORMATS:
        raise ValueError(f"expected {' or '.join(LOG_FORMATS)}, not {text!r}")
    return value


def configure(level: str, log_format: str) -> None:
    """Log at ``level`` and above to standard error, in ``log_format`` (``text`` or ``json``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level.upper(), handlers=[handler])
