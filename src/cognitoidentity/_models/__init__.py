"""The botocore service models this package is built from, vendored: the server validates, routes
and answers with them, the client hands Cognito Identity's to botocore, and the generated modules
(``server/api/*.py``, ``client/_model.py``, ``client/types.py``) are generated from them. Nothing
reads the models of the installed botocore, so validation and types cannot drift apart when
botocore is upgraded.

Layout (each root is a botocore data path: ``<service>/<api version>/service-2.json``)::

    SOURCE.json                                   the botocore version they came from, and how
    shared/cognito-identity/2014-06-30/...        client and server; botocore's file, byte for byte
    server/sts/2011-06-15/service-2.json          server only; botocore's file, byte for byte
    server/iam/2010-05-08/service-2.json          server only; trimmed (below)

``shared`` holds Cognito Identity alone, so that the client can put it on botocore's search path
(:func:`add_to_loader`) without changing which STS or IAM model a botocore session loads.

IAM's model is some 800 kB for the 18 operations the server serves, so its copy is trimmed: the
served operations (those of ``cognitoidentity.server.operations.iam.IAM``) keep their definition,
with every shape they reach (input, output, errors); every other operation keeps its name and HTTP
binding only, so that it still routes to the IAM endpoint and answers ``UnsupportedOperation``.
Metadata and documentation are botocore's.

The models, ``SOURCE.json`` and the generated modules are written by one generator, from the
repository root::

    .venv/bin/python -m scripts.codegen vendor    # copy (and trim) from the installed botocore
    .venv/bin/python -m scripts.codegen           # regenerate the modules from the vendored models

``tests/unit/test_generated_code.py`` fails when a generated module differs from what the
generator makes of these files.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).resolve().parent
SOURCE = DIRECTORY / "SOURCE.json"
SHARED = DIRECTORY / "shared"
"""The botocore data path holding Cognito Identity's model alone."""

__all__ = ["DIRECTORY", "SHARED", "SOURCE", "add_to_loader", "botocore_version", "load", "path"]


@functools.cache
def _source() -> dict[str, Any]:
    source: dict[str, Any] = json.loads(SOURCE.read_bytes())
    return source


def botocore_version() -> str:
    """The version of botocore the models were copied from."""
    version: str = _source()["botocore"]
    return version


def path(service: str) -> Path:
    """The vendored ``service-2.json`` of ``service`` (``cognito-identity``, ``sts``, ``iam``)."""
    try:
        file: str = _source()["models"][service]["file"]
    except KeyError:
        raise KeyError(f"no vendored model for {service!r}") from None
    return DIRECTORY / file


def load(service: str) -> dict[str, Any]:
    """The vendored model of ``service``, as botocore's loader returns it (the parsed JSON)."""
    model: dict[str, Any] = json.loads(path(service).read_bytes())
    return model


def add_to_loader(session: Any) -> None:
    """Make the botocore ``session`` load Cognito Identity's vendored model rather than its own,
    by putting :data:`SHARED` first on its loader's search path (what boto3 does to add its
    resource models). Only ``cognito-identity`` lives there; botocore still supplies the endpoint
    rules and paginators, and every other service's model."""
    search_paths: list[str] = session.get_component("data_loader").search_paths
    if str(SHARED) not in search_paths:
        search_paths.insert(0, str(SHARED))
