"""The server's wire types: ``src/cognitoidentity/server/api/<service>.py`` per service, holding the
shapes of the operations the server serves and nothing else: a ``Literal`` alias per enum, a
``TypedDict`` per structure, an exception class per modelled error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts.codegen.common import (
    PACKAGE,
    enum_alias,
    is_enum,
    module_head,
    operation_roots,
    reachable,
    served_operations,
    typed_dict_fields,
)

SERVICES = ("cognito-identity", "sts", "iam")


def target(service: str) -> Path:
    return PACKAGE / "server" / "api" / f"{service.replace('-', '_')}.py"


def error_status(protocol: str, shape: dict[str, Any]) -> tuple[int, bool]:
    """HTTP status and sender fault of a modelled error.

    JSON services (Cognito Identity) answer every client error with 400 whatever the model says,
    and 500 for faults. Query services (STS, IAM) answer with the model's ``httpStatusCode``
    (``IDPRejectedClaim`` and ``RegionDisabledException`` are 403)."""
    fault = bool(shape.get("fault"))
    if protocol == "query":
        error = shape.get("error", {})
        status = int(error.get("httpStatusCode", 500 if fault else 400))
        return status, bool(error.get("senderFault", not fault))
    return (500, False) if fault else (400, True)


def render_error(shapes: dict[str, Any], name: str, protocol: str) -> list[str]:
    shape = shapes[name]
    status, sender_fault = error_status(protocol, shape)
    code = shape.get("error", {}).get("code", name)
    lines = [f"class {name}(ServiceError):", f'    code = "{code}"']
    if status != 400:
        lines.append(f"    status_code = {status}")
    if not sender_fault:
        lines.append("    sender_fault = False")
    return lines


def render(service: str, model: dict[str, Any], botocore_version: str) -> str:
    shapes: dict[str, Any] = model["shapes"]
    served = sorted(served_operations(service))
    names = sorted(reachable(shapes, operation_roots(model, served)))
    enums = [n for n in names if is_enum(shapes[n])]
    structures = [n for n in names if shapes[n]["type"] == "structure"]
    errors = [n for n in structures if shapes[n].get("exception")]
    structures = [n for n in structures if n not in errors]
    metadata = model["metadata"]
    typing = ["Literal"] if enums else []
    body = "\n".join(line for n in structures for line in typed_dict_fields(shapes, n))
    typing += ["Required"] if "Required[" in body else []
    typing += ["TypedDict"] if structures else []
    which = "all the model's" if len(served) == len(model["operations"]) else ", ".join(served)
    summary = (
        f"Wire types of {metadata['serviceFullName']} ({metadata['apiVersion']}): the shapes of"
        f" the {len(served)} operations this server serves ({which})."
    )
    out = module_head(summary, model, botocore_version)
    annotations = [line.split(": ", 1)[1] for line in body.splitlines()]
    out += ["from datetime import datetime"] if any("datetime" in a for a in annotations) else []
    out += [f"from typing import {', '.join(typing)}"] if typing else []
    out += ["", "from cognitoidentity.server.errors import ServiceError"] if errors else []
    public = sorted([*enums, *structures, *errors])
    out += ["", "__all__ = [", *(f'    "{n}",' for n in public), "]", ""]
    out += [enum_alias(shapes, n) for n in enums]
    for name in structures:
        fields = typed_dict_fields(shapes, name) or ["    pass"]
        out += ["", "", f"class {name}(TypedDict, total=False):", *fields]
    for name in errors:
        out += ["", "", *render_error(shapes, name, metadata["protocol"])]
    return "\n".join(out) + "\n"
