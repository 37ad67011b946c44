"""The ``cognitoidentity`` command (also ``python -m cognitoidentity``): the server's command line
(:mod:`cognitoidentity.server.cli`) when the server is installed, else one line saying how to
install it. ``pip install cognitoidentity`` installs the client alone (botocore);
``pip install 'cognitoidentity[server]'`` adds what the server needs."""

from __future__ import annotations

import sys
from importlib.util import find_spec

#: The modules of the ``server`` extra the server imports (uvloop is optional: uvicorn uses it when
#: it is there). ``tests/unit/test_packaging.py`` keeps this in step with the server's imports.
SERVER_MODULES = (
    "cryptography",
    "httpcore",
    "httptools",
    "httpx",
    "jinja2",
    "joserfc",
    "lxml",
    "orjson",
    "prometheus_client",
    "psycopg",
    "psycopg_pool",
    "regex",
    "signxml",
    "uvicorn",
)

INSTALL_HINT = "pip install 'cognitoidentity[server]'"


def missing_server_modules() -> list[str]:
    """The server's modules that cannot be found (none are imported to find out)."""
    return [name for name in SERVER_MODULES if find_spec(name) is None]


def main(argv: list[str] | None = None) -> int:
    missing = missing_server_modules()
    if missing:
        print(
            f"cognitoidentity: the server is not installed (no module named {missing[0]!r});"
            f" install it with: {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 1
    from cognitoidentity.server.cli import main as server_main

    return server_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
