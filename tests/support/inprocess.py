"""The server's ASGI application run inside the test process, on a clock the test moves.

:class:`InProcessServer` is a :class:`ServerProcess` whose server is not a process: ``start`` builds
the same :class:`Application` as ``cognitoidentity serve`` (``bootstrap.start`` / ``mount``, ASGI
lifespan included) on an event loop of its own in a background thread, and every request reaches it
through :class:`httpx.ASGITransport` run on that loop:

- raw HTTP: ``server.http``, an :class:`httpx.Client` whose transport is the application;
- boto3: clients from ``server.client(...)`` carry a ``before-send`` handler that runs botocore's
  signed request through the application and hands back an ``AWSResponse``, so botocore still
  parses the real answer bytes (and never opens a socket).

Time: the runtime's clock (tokens, credentials, SigV4's skew, records) is :class:`MovableClock`,
real time plus an offset. Under :meth:`InProcessServer.moved_clock` the same clock also gives the
signing time of botocore (every SigV4 signature made in this process) and the key lookup cache's
monotonic time, so a test that advances it moves the whole world: nothing sleeps. (Not moved: the
login verifiers' clock of external providers' tokens, and the signing keys' refresh interval.)

What runs only in a real process: the HTTP/1 layer (uvicorn and ``http1/``), start-up from the
command line and environment, several processes on one store. Wire-level, end-to-end and SDK
conformance tests keep :class:`ServerProcess`.
"""

from __future__ import annotations

import asyncio
import threading
import time
import types
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from unittest import mock

import httpx
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.config import Config

from cognitoidentity.server import accounts, bootstrap
from cognitoidentity.server.accounts import AccountAdmin
from cognitoidentity.server.app import Application, Mounted
from cognitoidentity.server.cache import parse_caches
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.store.base import Store
from tests.support.server import REGION, Credentials, ServerProcess, caches_setting

T = TypeVar("T")

URL = "http://cognito-identity.test"
"""The in-process server's base URL (and issuer). ``.test`` never resolves: a request that escaped
to the network would fail at once rather than reach some other server."""
CALL_TIMEOUT = 60.0


class MovableClock:
    """Real time plus an offset that tests move with :meth:`advance`; ``now`` is the runtime's
    clock (aware UTC), ``monotonic`` moves by the same amount."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset.total_seconds()

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def reset(self) -> None:
        self.offset = timedelta(0)

    def botocore_now(self, remove_tzinfo: bool = True) -> datetime:
        """``botocore.compat.get_current_datetime`` on this clock."""
        now = self.now()
        return now.replace(tzinfo=None) if remove_tzinfo else now


class AppTransport(httpx.BaseTransport):
    """:class:`httpx.ASGITransport` for synchronous clients: each request runs on ``loop``, the
    application's own event loop, and comes back whole."""

    def __init__(self, app: Application, loop: asyncio.AbstractEventLoop) -> None:
        asgi_app: Any = app  # it types its messages as dict, httpx as MutableMapping
        self._asgi = httpx.ASGITransport(app=asgi_app)
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # any body as bytes, which the ASGI transport can stream
        future = asyncio.run_coroutine_threadsafe(self._handle(request), self._loop)
        return future.result(CALL_TIMEOUT)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body)


class _Body:
    """The ``raw`` of an :class:`AWSResponse`: botocore reads it with ``stream()``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@dataclass(frozen=True, slots=True)
class _Lifespan:
    """The ASGI lifespan call in progress, and its two message queues."""

    to_app: asyncio.Queue[dict[str, Any]]
    from_app: asyncio.Queue[dict[str, Any]]
    call: asyncio.Task[None]

    @staticmethod
    def begin(application: Application) -> _Lifespan:
        to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        call = asyncio.get_running_loop().create_task(application(scope, to_app.get, from_app.put))
        return _Lifespan(to_app, from_app, call)


@dataclass
class InProcessServer(ServerProcess):
    """A :class:`ServerProcess` whose server runs in this process: ``start``, ``stop``,
    ``client``, ``new_account`` as for a process (``admin`` still runs the command line, on the
    same store); :attr:`http`, :attr:`store`, :meth:`run` and :attr:`clock` besides."""

    clock: MovableClock = field(default_factory=MovableClock)
    http: httpx.Client | None = None
    """Raw HTTP to the application (base URL :data:`URL`); set while started."""
    started: bootstrap.Started | None = None
    """What ``bootstrap.start`` opened: the runtime (store, clock...) and the account admin."""
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _lifespan: _Lifespan | None = None

    @property
    def url(self) -> str:
        return URL

    @property
    def settings(self) -> Settings:
        return Settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            master_key=self.master_key,
            root_access_key_id=self.root.access_key_id,
            root_secret_access_key=self.root.secret_access_key,
            root_account_id=self.root.account_id,
            log_level="warning",
            issuer_url=self.url,
            caches=parse_caches(caches_setting()),
        )

    def start(self) -> InProcessServer:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="in-process-server", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        application = Application(self._mount, self._unmount)
        try:
            self.run(self._lifespan_event(application, "startup"))
        except BaseException:
            self._stop_loop()
            raise
        self.http = httpx.Client(transport=AppTransport(application, loop), base_url=self.url)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        if self.http is not None:
            self.http.close()
            self.http = None
        try:
            if self._lifespan is not None:
                self.run(self._lifespan_event(None, "shutdown"))
        finally:
            self._stop_loop()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the application's event loop (where its store lives); its result."""
        if self._loop is None:
            work.close()
            raise RuntimeError("the in-process server is not started")
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(CALL_TIMEOUT)

    @contextmanager
    def moved_clock(self) -> Iterator[MovableClock]:
        """While inside, :attr:`clock` is also botocore's signing time and the access-key cache's
        monotonic time; on leaving, the clock is back to real time."""
        cache_time = types.SimpleNamespace(monotonic=self.clock.monotonic)
        self.clock.reset()
        try:
            with (
                mock.patch("botocore.auth.get_current_datetime", self.clock.botocore_now),
                mock.patch.object(accounts, "time", cache_time),
            ):
                yield self.clock
        finally:
            self.clock.reset()

    def new_account(self) -> Credentials:
        admin = self.account_admin

        async def make() -> Credentials:
            account = await admin.create_account("test")
            key = await admin.create_key(account.account_id)
            return Credentials(account.account_id, key.access_key_id, key.secret_access_key)

        return self.run(make())

    def client_with(
        self,
        credentials: Credentials | None,
        config: Config | None,
        *,
        region: str = REGION,
        service: str = "cognito-identity",
    ) -> Any:
        client = super().client_with(credentials, config, region=region, service=service)
        return self.attach(client)

    def attach(self, client: Any) -> Any:
        """Make boto3 ``client`` send its requests to this server; returns it."""
        client.meta.events.register("before-send", self._send)
        return client

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        if self.http is None:
            raise RuntimeError("the in-process server is not started")
        body = request.body
        if body is not None and not isinstance(body, str | bytes | bytearray):
            body = body.read()  # a file-like body
        content = body.encode() if isinstance(body, str) else bytes(body or b"")
        response = self.http.request(
            request.method, request.url, headers=list(request.headers.items()), content=content
        )
        headers = HTTPHeaders()
        for name, value in response.headers.items():
            headers[name] = value
        return AWSResponse(request.url, response.status_code, headers, _Body(response.content))

    @property
    def store(self) -> Store:
        """The running server's store; its coroutines go through :meth:`run`."""
        return self._started().runtime.store

    @property
    def account_admin(self) -> AccountAdmin:
        """What ``cognitoidentity accounts`` / ``keys`` do, on the running server's store."""
        return self._started().admin

    def _started(self) -> bootstrap.Started:
        if self.started is None:
            raise RuntimeError("the in-process server is not started")
        return self.started

    async def _mount(self) -> Mounted:
        """``cognitoidentity serve``'s start-up, with :attr:`clock` as the runtime's clock."""
        started = await bootstrap.start(self.settings, clock=self.clock.now)
        self.started = started
        return bootstrap.mount(started)

    async def _unmount(self, mounted: Mounted) -> None:
        self.started = None
        await bootstrap.stop(mounted.runtime)

    async def _lifespan_event(self, application: Application | None, event: str) -> None:
        """Send ``lifespan.<event>`` and wait for the answer, as an ASGI server does; ``startup``
        (given the ``application``) begins the lifespan call, ``shutdown`` waits for its end."""
        if application is not None:
            self._lifespan = _Lifespan.begin(application)
        lifespan = self._lifespan
        assert lifespan is not None
        await lifespan.to_app.put({"type": f"lifespan.{event}"})
        answer = await lifespan.from_app.get()
        if answer["type"] != f"lifespan.{event}.complete":
            raise RuntimeError(f"lifespan {event} failed: {answer.get('message')}")
        if event == "shutdown":
            self._lifespan = None
            await lifespan.call

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def finish() -> None:
            current = asyncio.current_task()
            leftover = [t for t in asyncio.all_tasks() if t is not current]
            for task in leftover:
                task.cancel()
            await asyncio.gather(*leftover, return_exceptions=True)
            await loop.shutdown_asyncgens()
            await loop.shutdown_default_executor()

        try:
            asyncio.run_coroutine_threadsafe(finish(), loop).result(CALL_TIMEOUT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(CALL_TIMEOUT)
            loop.close()
            self._loop = self._thread = None
