"""HTTP/1.1 connections for uvicorn, lean enough for this server's small JSON exchanges.

uvicorn still runs the server (sockets, workers, signals, lifespan, graceful shutdown) and httptools
still parses HTTP; this package is the piece between them, handed to uvicorn as its ``http`` class:
one object per connection that runs the ASGI application once per request. Why not uvicorn's own:
on the bench machine its httptools protocol took ~70 µs per request of a minimal application against
~15 µs for parsing and answering alone. Half of the difference is that it writes the status line and
headers, then the body, as two writes: two packets and two wake-ups of the client for every answer;
the rest is per-request events, timers and header regexes. An identity pool answers small requests
with small bodies, so that overhead was a third of a whole GetCredentialsForIdentity.

The pieces:

- :mod:`.connection`: the connection (:class:`HttpConnection`): httptools callbacks, pipelining,
  keep-alive, the head and body deadlines, what it refuses and when it closes;
- :mod:`.reading`: the bytes received, bounded (request line, header lines, whole head, chunk
  framing) before httptools keeps them, and when reading pauses;
- :mod:`.exchange`: one request and its answer (:class:`Exchange`), the ASGI ``receive`` and
  ``send``, each answer encoded for one write;
- :mod:`.outbox`: the answers of a turn of the event loop, written together (:class:`Outbox`);
- :mod:`.answers`: what the server says itself (status lines, ``100 Continue``, refusals);
- :mod:`.server_class`: :func:`protocol_class`, the connection class of one server.

The bounds and deadlines are set per server by :func:`protocol_class` (its defaults are the values
the modules give); the keep-alive time is uvicorn's ``timeout_keep_alive``.
"""

from cognitoidentity.server.http1.answers import CONTINUE, STATUS_LINES
from cognitoidentity.server.http1.connection import ASGI_INFO, HttpConnection
from cognitoidentity.server.http1.exchange import Exchange, Message
from cognitoidentity.server.http1.outbox import Outbox
from cognitoidentity.server.http1.server_class import protocol_class

__all__ = [
    "ASGI_INFO",
    "CONTINUE",
    "STATUS_LINES",
    "Exchange",
    "HttpConnection",
    "Message",
    "Outbox",
    "protocol_class",
]
