"""The one generator: the vendored botocore models, and every module generated from them.

Run from the repository root::

    .venv/bin/python -m scripts.codegen             # regenerate the modules from the vendored models
    .venv/bin/python -m scripts.codegen --check     # fail, naming them, if any module differs
    .venv/bin/python -m scripts.codegen --out DIR   # write (or --check) them under DIR instead
    .venv/bin/python -m scripts.codegen vendor      # copy the models from the installed botocore
                                                    # (IAM's trimmed), then regenerate

What it writes:

- ``src/cognitoidentity/_models/``: the models and ``SOURCE.json`` (``vendor`` only; see the
  package's docstring), by :mod:`scripts.codegen.vendor`;
- ``src/cognitoidentity/server/api/{cognito_identity,sts,iam}.py``: the server's wire types, only
  the shapes of the operations it serves, by :mod:`scripts.codegen.server`;
- ``src/cognitoidentity/client/_model.py`` and ``types.py``: the client's types and typed
  operations, by :mod:`scripts.codegen.client`.

Every module is passed through ``ruff format``. Nothing here ships in the wheel; the package reads
the vendored models, never botocore's own.
"""

from __future__ import annotations

from pathlib import Path

from cognitoidentity import _models
from scripts.codegen import client, server
from scripts.codegen.common import ROOT, ruff_format


def outputs() -> dict[Path, str]:
    """Every generated module: its path in the repository, and its formatted text."""
    version = _models.botocore_version()
    texts: dict[Path, str] = {}
    for service in server.SERVICES:
        texts[server.target(service)] = server.render(service, _models.load(service), version)
    generator = client.Generator(_models.load(client.SERVICE), version)
    texts[client.MODEL_TARGET] = generator.render()
    texts[client.TYPES_TARGET] = generator.render_types()
    return {path: ruff_format(text, path) for path, text in texts.items()}


def write(root: Path = ROOT) -> list[Path]:
    """Write every generated module under ``root`` (the repository by default); the paths."""
    written = []
    for path, text in outputs().items():
        out = root / path.relative_to(ROOT)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        written.append(out)
    return written


def stale(root: Path = ROOT) -> list[Path]:
    """The generated modules under ``root`` whose text differs from what the generator makes."""
    paths = {root / path.relative_to(ROOT): text for path, text in outputs().items()}
    return [path for path, text in paths.items() if not path.exists() or path.read_text() != text]
