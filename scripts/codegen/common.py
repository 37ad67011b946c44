"""What the parts of the generator share: where things are, which operations the server serves,
the shapes an operation reaches, Python types for shapes, and formatting the output."""

from __future__ import annotations

import ast
import keyword
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "cognitoidentity"

#: Where each service registers its operations: module file and the name of its handler dict.
REGISTRIES = {
    "cognito-identity": (PACKAGE / "server" / "operations" / "__init__.py", "COGNITO_IDENTITY"),
    "sts": (PACKAGE / "server" / "operations" / "sts.py", "STS"),
    "iam": (PACKAGE / "server" / "operations" / "iam.py", "IAM"),
}

SCALARS = {
    "string": "str",
    "integer": "int",
    "long": "int",
    "boolean": "bool",
    "timestamp": "datetime",
    "blob": "bytes",
    "double": "float",
    "float": "float",
}

Shapes = dict[str, Any]

#: What an operation a trimmed model does not serve keeps: enough to route and to sign.
STUB_KEYS = ("name", "http", "auth", "authtype")


def served_operations(service: str) -> list[str]:
    """The operation names the server registers for ``service``, read from the source of its
    registry (``NAME: dict[str, Handler] = {"Operation": handler, ...}``) without importing it."""
    file, name = REGISTRIES[service]
    for node in ast.parse(file.read_text()).body:
        targets: list[ast.expr]
        if isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == name for t in targets):
            continue
        if isinstance(value, ast.Dict):
            keys = [k.value for k in value.keys if isinstance(k, ast.Constant)]
            if len(keys) == len(value.keys) and all(isinstance(k, str) for k in keys):
                return [str(k) for k in keys]
        break
    raise SystemExit(f"{file}: no literal dict {name} of operation names")


def operation_roots(model: dict[str, Any], names: Iterable[str]) -> list[str]:
    """The input, output and error shapes of the operations ``names``."""
    roots: list[str] = []
    for name in names:
        op = model["operations"].get(name)
        if op is None or set(op) <= set(STUB_KEYS):
            raise SystemExit(
                f"{name} is served but the vendored {model['metadata']['serviceId']} model does"
                " not define it: run `python -m scripts.codegen vendor`"
            )
        roots += [op[key]["shape"] for key in ("input", "output") if key in op]
        roots += [error["shape"] for error in op.get("errors", [])]
    return roots


def reachable(shapes: Shapes, roots: Iterable[str]) -> set[str]:
    """Every shape name reachable from ``roots`` (themselves included) through structure members,
    list members and map keys and values."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        if shape["type"] == "structure":
            todo += [member["shape"] for member in shape["members"].values()]
        elif shape["type"] == "list":
            todo.append(shape["member"]["shape"])
        elif shape["type"] == "map":
            todo += [shape["key"]["shape"], shape["value"]["shape"]]
    return seen


def is_enum(shape: dict[str, Any]) -> bool:
    return shape["type"] == "string" and "enum" in shape


def python_type(shapes: Shapes, name: str, *, top_input: bool = False) -> str:
    """The Python type of shape ``name``: an enum or a structure by its name (a ``Literal`` alias,
    a ``TypedDict``), a scalar as its builtin, lists and maps spelled out. ``top_input`` for a
    method's own parameters, which accept any sequence or mapping."""
    shape = shapes[name]
    kind = shape["type"]
    if is_enum(shape) or kind == "structure":
        return name
    if kind in SCALARS:
        return SCALARS[kind]
    if kind == "list":
        member = python_type(shapes, shape["member"]["shape"])
        return f"Sequence[{member}]" if top_input else f"list[{member}]"
    if kind == "map":
        key = python_type(shapes, shape["key"]["shape"])
        value = python_type(shapes, shape["value"]["shape"])
        return f"Mapping[{key}, {value}]" if top_input else f"dict[{key}, {value}]"
    raise ValueError(f"unsupported shape type {kind} for {name}")


def enum_alias(shapes: Shapes, name: str) -> str:
    values = ", ".join(f'"{value}"' for value in shapes[name]["enum"])
    return f"{name} = Literal[{values}]"


def typed_dict_fields(shapes: Shapes, name: str) -> list[str]:
    """The annotated keys of structure ``name`` as ``TypedDict(total=False)`` lines; the required
    ones wrapped in ``Required``."""
    shape = shapes[name]
    required = set(shape.get("required", []))
    lines = []
    for member, ref in shape["members"].items():
        if keyword.iskeyword(member):
            raise ValueError(f"{name}.{member} cannot be a TypedDict key in class syntax")
        kind = python_type(shapes, ref["shape"])
        lines.append(f"    {member}: {f'Required[{kind}]' if member in required else kind}")
    return lines


def module_head(summary: str, model: dict[str, Any], botocore_version: str) -> list[str]:
    """The first lines of a generated module: its docstring (``summary``, then where it comes
    from) and the ``__future__`` import."""
    metadata = model["metadata"]
    provenance = (
        f"Generated by ``python -m scripts.codegen`` from the vendored model of"
        f" {metadata['serviceFullName']} ({metadata['apiVersion']}, botocore {botocore_version});"
        " never edit by hand."
    )
    return [
        *textwrap.wrap(f'"""{summary}', 100),
        "",
        *textwrap.wrap(provenance, 100),
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]


def ruff_format(text: str, path: Path) -> str:
    """``text`` as ``ruff format`` writes the file ``path`` under the repository's settings."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"ruff format failed on {path}:\n{result.stderr}")
    return result.stdout
