"""``serve --workers N``: N server processes answering on one port.

This process is the supervisor and serves nothing itself. Before any worker exists it does, once,
what would race if N processes did it at the same moment: it reads or creates the master key file,
opens the store (which migrates it), makes sure the root credentials exist, makes the first OpenID
signing key, closes the store, and prints the banner. It then binds and listens on the socket, and
forks N workers that each run uvicorn on that inherited socket with its own event loop, store,
caches and ASGI lifespan; the kernel hands each new connection to one of them.

Forking rather than uvicorn's own ``workers=`` (which spawns fresh interpreters and so needs the
application as an import string and a picklable configuration): a forked worker keeps our
connection class and our application as built here, and the modules already imported, so it starts
in a few milliseconds. Forking is safe because the supervisor runs no event loop and no thread by
then (the bootstrap's ``asyncio.run`` has shut its loop and its executor down).

Stopping: SIGTERM or SIGINT to the supervisor is passed on as SIGTERM to every worker, which then
stops as a single server does (uvicorn stops accepting, lets requests in flight finish, closes idle
keep-alive connections, then the lifespan's shutdown closes the store, so writes waiting for their
group commit land). The supervisor exits once all have. A worker that exits by itself (a crash, a
failed start) makes the supervisor stop the others and exit 1: the service manager restarts the
whole (systemd's ``Restart=on-failure``), rather than this process restarting workers in a loop
against, say, an unreachable database.

Metrics: each worker's prometheus-client must be in multiprocess mode, which it picks from
``PROMETHEUS_MULTIPROC_DIR`` when first imported; the supervisor sets it before forking (and never
imports prometheus-client itself), to a directory it makes and removes, or to the operator's, whose
files of an earlier run it deletes (they would be counted again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, NoReturn

from cognitoidentity.server.metrics import MULTIPROCESS_ENV
from cognitoidentity.server.settings import Settings

if TYPE_CHECKING:
    import uvicorn

    from cognitoidentity.server.accounts import IssuedKey

log = logging.getLogger("cognitoidentity")

WORKER_HEADER_ENV: Final = "COGNITOIDENTITY_TEST_WORKER_HEADER"
"""Tests only: when set, every answer carries :data:`WORKER_HEADER`, the answering worker's pid, so
a test can tell which process answered."""
WORKER_HEADER: Final = b"x-cognitoidentity-worker"
STARTUP_FAILURE: Final = 3
"""A worker's exit status when its start failed (uvicorn's own)."""


def serve(settings: Settings, config_for: Callable[[], uvicorn.Config]) -> int:
    """Run ``settings.workers`` workers of the server ``config_for`` configures, until a signal
    stops them; the exit status is 0 when all stopped cleanly."""
    import uvicorn

    metrics_dir, made = _metrics_directory()
    try:
        issued = asyncio.run(_bootstrap(settings))
        from cognitoidentity.server.bootstrap import banner

        print(banner(settings, issued), flush=True)
        if threading.active_count() > 1:
            # A lock another thread holds at the fork stays held in every worker, for good.
            log.warning("forking workers with %d threads running", threading.active_count() - 1)
        config = config_for()
        sock = config.bind_socket()
        sock.listen(config.backlog)  # connections queue from now on, before a worker accepts
        log.info("starting %d workers (metrics in %s)", settings.workers, metrics_dir)
        return _supervise(settings.workers, lambda: _work(uvicorn.Server(config), sock), sock)
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _metrics_directory() -> tuple[str, bool]:
    """The multiprocess directory the workers will find in their environment, emptied, and whether
    this process made it (and so removes it at the end)."""
    if "prometheus_client" in sys.modules:  # would have chosen single-process values already
        raise RuntimeError("prometheus_client was imported before the workers were set up")
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        # Only prometheus-client's own files (``counter_123.db``...): the directory is the
        # operator's, and may hold anything else.
        for stale in path.glob("*.db"):
            stale.unlink()
        return given, False
    made = tempfile.mkdtemp(prefix="cognitoidentity-metrics-")
    os.environ[MULTIPROCESS_ENV] = made
    return made, True


async def _bootstrap(settings: Settings) -> IssuedKey | None:
    """What the workers would otherwise each do at once: see the module doc."""
    from cognitoidentity.server.bootstrap import start, stop

    started = await start(settings, bootstrap=False)
    try:
        issued = await started.admin.ensure_root(
            settings.root_account_id, settings.root_access_key_id, settings.root_secret_access_key
        )
        await started.runtime.tokens.keys.current()
        return issued
    finally:
        await stop(started.runtime)


def _supervise(count: int, work: Callable[[], NoReturn], sock: socket.socket) -> int:
    stopping = False
    failed = False
    workers: set[int] = set()

    def stop_all() -> None:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            log.info("%s: stopping the workers", signal.Signals(signum).name)
        stopping = True
        stop_all()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(count):
            if stopping:
                break
            pid = os.fork()
            if pid == 0:
                work()
            workers.add(pid)
        sock.close()  # the workers hold it; the port is free once they have all exited
        while workers:
            pid, status = os.wait()  # a signal's handler runs, and the wait goes on (PEP 475)
            workers.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            stopped_by_us = code in (0, -signal.SIGTERM, -signal.SIGINT)
            if stopping and stopped_by_us:
                continue
            failed = True
            if not stopping:
                log.error("worker %d exited with status %d: stopping the others", pid, code)
                stopping = True
                stop_all()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed else 0


def _work(server: uvicorn.Server, sock: socket.socket) -> NoReturn:
    """A worker's life: serve on the inherited socket until told to stop, then leave without
    running the supervisor's clean-up (``os._exit``)."""
    code = STARTUP_FAILURE
    try:
        # The default actions, not the supervisor's handler nor KeyboardInterrupt: uvicorn raises
        # the signal it caught once more after its graceful stop, and that must just end this
        # process (the supervisor counts a worker ended by SIGTERM or SIGINT as stopped cleanly).
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        server.run(sockets=[sock])
        if server.started:
            code = 0
    except BaseException:
        log.exception("worker %d failed", os.getpid())
    finally:
        logging.shutdown()
        sys.stdout.flush()
        os._exit(code)


def with_worker_header(app: Any) -> Any:
    """``app`` whose answers name the worker process that made them (:data:`WORKER_HEADER_ENV`)."""

    async def tagged(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        pid = str(os.getpid()).encode()

        async def send_tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (WORKER_HEADER, pid)]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_tagged)

    return tagged
