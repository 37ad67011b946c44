"""The server's ASGI application for granian (``bench/run --http granian``, ``bench.http_layer``):
:func:`app` builds it from the ``COGNITOIDENTITY_*`` variables exactly as ``cognitoidentity serve``
does (``cognitoidentity.server.cli.serve``: the same settings, logging, banner, lifespan mount and
unmount), for granian's ``--factory``. Only the HTTP server differs: granian instead of uvicorn with
``server/http1/``. Not part of the project; granian is installed into the virtualenv by hand."""

from __future__ import annotations

import logging
import sys

from cognitoidentity.server.app import Application, Mounted
from cognitoidentity.server.bootstrap import banner, mount, start, stop
from cognitoidentity.server.settings import settings_from_env


def app() -> Application:
    """``granian --interface asgi --factory bench.granian_app:app``."""
    settings = settings_from_env()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )

    async def mount_app() -> Mounted:
        started = await start(settings)
        print(banner(settings, started.new_root_key), flush=True)
        return mount(started)

    async def unmount(mounted: Mounted) -> None:
        await stop(mounted.runtime)

    return Application(mount_app, unmount)
