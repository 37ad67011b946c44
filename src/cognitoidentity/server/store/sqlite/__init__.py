"""The embedded store: SQLite in WAL mode with ``synchronous=FULL``, so no committed identity is
lost even on power loss. Several server processes may open the same file.

- :mod:`.store`: :class:`SqliteStore`, the :class:`~cognitoidentity.server.store.base.Store`.
- :mod:`.writer`: the one writer thread, which commits writes in groups (one fsync, many requests).
- :mod:`.writes`: the writes of several statements, as jobs for the writer.
- :mod:`.reads`: reads on the caller's thread, and the point reads kept until any commit.
- :mod:`.statements`: the SQL more than one of those modules runs, and the longer selects.
- :mod:`.connection`: how connections are set up and how long they wait for a lock (then
  :class:`~cognitoidentity.server.store.base.StoreBusy`), and the schema's migration.
"""

from cognitoidentity.server.store.sqlite.connection import (
    READ_BUSY_TIMEOUT_MS,
    SETUP_BUSY_TIMEOUT_MS,
    WRITE_LOCK_WAIT,
)
from cognitoidentity.server.store.sqlite.store import SqliteStore

__all__ = ["READ_BUSY_TIMEOUT_MS", "SETUP_BUSY_TIMEOUT_MS", "WRITE_LOCK_WAIT", "SqliteStore"]
