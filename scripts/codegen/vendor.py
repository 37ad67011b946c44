"""Copy the service models from the installed botocore into ``src/cognitoidentity/_models``.

Cognito Identity's and STS's are copied byte for byte; IAM's is trimmed to the operations the
server serves (:func:`trim`). ``SOURCE.json`` records the botocore version, where each file came
from and the SHA-256 of what was written."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from scripts.codegen.common import (
    PACKAGE,
    STUB_KEYS,
    operation_roots,
    reachable,
    served_operations,
)

MODELS = PACKAGE / "_models"

#: Where each vendored model goes under ``_models`` (the root is a botocore data path), and
#: whether it is trimmed to the served operations.
LAYOUT = {
    "cognito-identity": ("shared", False),
    "sts": ("server", False),
    "iam": ("server", True),
}


def trim(model: dict[str, Any], served: list[str]) -> dict[str, Any]:
    """``model`` with the ``served`` operations whole, the others reduced to :data:`STUB_KEYS`,
    and only the shapes the served operations reach. Trimming a trimmed model changes nothing."""
    operations = {
        name: op if name in served else {k: op[k] for k in STUB_KEYS if k in op}
        for name, op in model["operations"].items()
    }
    kept = reachable(model["shapes"], operation_roots(model, served))
    shapes = {name: shape for name, shape in model["shapes"].items() if name in kept}
    return {**model, "operations": operations, "shapes": shapes}


def dump(model: dict[str, Any]) -> bytes:
    return (json.dumps(model, indent=2, ensure_ascii=False) + "\n").encode()


def botocore_file(service: str) -> tuple[Path, bytes]:
    """The installed botocore's ``service-2`` file of ``service`` (latest API version) and its
    JSON text."""
    import botocore.loaders

    root = Path(botocore.loaders.Loader.BUILTIN_DATA_PATH)
    loader = botocore.loaders.Loader([str(root)], include_default_search_paths=False)
    version = loader.determine_latest_version(service, "service-2")
    plain = root / service / version / "service-2.json"
    if plain.exists():
        return plain, plain.read_bytes()
    packed = plain.with_name("service-2.json.gz")
    return packed, gzip.decompress(packed.read_bytes())


def vendor(models: Path = MODELS) -> list[Path]:
    """Write every model and ``SOURCE.json`` under ``models`` (the package's ``_models`` by
    default); the paths written."""
    import botocore

    entries: dict[str, dict[str, Any]] = {}
    written = []
    for service, (root, trimmed) in LAYOUT.items():
        source, text = botocore_file(service)
        if trimmed:
            text = dump(trim(json.loads(text), served_operations(service)))
        api_version = source.parent.name
        target = models / root / service / api_version / "service-2.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text)
        written.append(target)
        entries[service] = {
            "file": target.relative_to(models).as_posix(),
            "from": f"botocore/data/{service}/{api_version}/{source.name}",
            "trimmed": trimmed,
            "sha256": hashlib.sha256(text).hexdigest(),
        }
    source_json = models / "SOURCE.json"
    source_json.write_text(
        json.dumps({"botocore": botocore.__version__, "models": entries}, indent=2) + "\n"
    )
    return [*written, source_json]
