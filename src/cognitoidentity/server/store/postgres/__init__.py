"""The shared store: PostgreSQL through a psycopg 3 async connection pool, for any number of server
processes.

Table names are unqualified: the connection's ``search_path`` (e.g. ``options=-csearch_path=x`` in
the URL) decides which schema holds the store, migrations included. Statements are constant
strings (a list is passed as one array parameter), so psycopg prepares the frequent ones on each
connection after a few uses.

- :mod:`.store`: :class:`PostgresStore`, the :class:`~cognitoidentity.server.store.base.Store`.
- :mod:`.transactions`: the writes of several statements, and the row locks that settle races
  between processes.
- :mod:`.statements`: the SQL more than one of those modules runs, and the longer selects.
- :mod:`.connection`: the connection pool, how long a call waits for a connection or a lock (then
  :class:`~cognitoidentity.server.store.base.StoreBusy`), and the schema's migration.
"""

from cognitoidentity.server.store.postgres.connection import LOCK_TIMEOUT_MS, POOL_TIMEOUT
from cognitoidentity.server.store.postgres.store import PostgresStore

__all__ = ["LOCK_TIMEOUT_MS", "POOL_TIMEOUT", "PostgresStore"]
