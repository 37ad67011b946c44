"""Packaging: ``pip install cognitoidentity`` is the client on botocore alone, the ``server`` extra
adds what the server imports, and the ``cognitoidentity`` command says which to install.

The client-only runs use a Python started with ``-I -S`` whose path holds the package and the
modules of botocore's own dependencies and nothing else, as a client-only install would."""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pytest

import cognitoidentity
from cognitoidentity.__main__ import SERVER_MODULES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(cognitoidentity.__file__).resolve().parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SERVER_EXTRA: list[str] = PROJECT["optional-dependencies"]["server"]

CLIENT_CHECK = """
import sys
from cognitoidentity import IdentityPoolCredentials, cognitoidentity
from cognitoidentity.client.types import IdentityPool

svc = cognitoidentity(region="us-east-1", endpoint="http://127.0.0.1:1", credentials={"anonymous": True})
assert len(svc.botocore_client.meta.service_model.operation_names) == 23
try:
    svc.get_id()  # checked against the model before any request
except TypeError as e:
    assert "IdentityPoolId" in str(e), e
else:
    raise AssertionError("get_id() without IdentityPoolId was not refused")
try:
    import uvicorn
except ModuleNotFoundError:
    pass
else:
    raise AssertionError("uvicorn is importable")
assert not [m for m in sys.modules if m.startswith("cognitoidentity.server")]
print("client ok")
"""


def _name(requirement: str) -> tuple[str, set[str]]:
    """A requirement's normalized distribution name and its extras."""
    match = re.match(r"\s*([A-Za-z0-9._-]+)\s*(?:\[([^\]]*)\])?", requirement)
    assert match, requirement
    extras = {e.strip() for e in (match.group(2) or "").split(",") if e.strip()}
    return re.sub(r"[-_.]+", "-", match.group(1)).lower(), extras


def _closure(requirements: list[str]) -> set[str]:
    """The distributions ``requirements`` bring, with their own dependencies (and the ones their
    requested extras add), whatever the environment markers; followed only where installed."""
    seen: set[str] = set()
    todo = [_name(r) for r in requirements]
    while todo:
        name, extras = todo.pop()
        if name in seen and not extras:
            continue
        seen.add(name)
        try:
            requirements = md.requires(name) or []
        except md.PackageNotFoundError:  # for another platform (tzdata on Windows, say)
            continue
        for requirement in requirements:
            extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", requirement)
            if extra is None or extra.group(1) in extras:
                todo.append(_name(requirement))
    return seen


def _modules(distributions: set[str]) -> set[str]:
    """The top-level modules the installed ``distributions`` provide."""
    return {
        module
        for module, owners in md.packages_distributions().items()
        if any(_name(owner)[0] in distributions for owner in owners)
    }


def _third_party_imports(folder: Path) -> set[str]:
    """The top-level modules, neither the standard library's nor this package's, that the sources
    under ``folder`` import (at module level or inside functions)."""
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {n.partition(".")[0] for n in names}
    return found - set(sys.stdlib_module_names) - {"cognitoidentity", "__future__"}


def _client_only_path(folder: Path) -> Path:
    """``folder`` holding links to the modules of botocore and its dependencies only."""
    folder.mkdir()
    for module in _modules(_closure(PROJECT["dependencies"])):
        spec = find_spec(module)
        assert spec is not None and spec.origin is not None, module
        source = Path(spec.origin)
        if spec.submodule_search_locations:
            source = source.parent
        (folder / source.name).symlink_to(source)
    return folder


def _run_isolated(code: str, path: list[Path], home: Path) -> subprocess.CompletedProcess[str]:
    """``code`` in a Python that sees the standard library and ``path``, nothing else."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
    }
    prelude = f"import sys\nsys.path[:0] = {[str(p) for p in path]!r}\n"
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", prelude + code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _check_client_only(package_root: Path, tmp_path: Path) -> None:
    deps = _client_only_path(tmp_path / "deps")
    client = _run_isolated(CLIENT_CHECK, [package_root, deps], tmp_path)
    assert client.returncode == 0, client.stderr
    assert client.stdout == "client ok\n"
    command = _run_isolated(
        "from cognitoidentity.__main__ import main\nraise SystemExit(main(['serve']))",
        [package_root, deps],
        tmp_path,
    )
    assert command.returncode == 1
    assert command.stdout == ""
    assert command.stderr == (
        "cognitoidentity: the server is not installed (no module named 'cryptography');"
        " install it with: pip install 'cognitoidentity[server]'\n"
    )


def test_the_client_depends_on_botocore_and_dev_on_the_server() -> None:
    assert PROJECT["dependencies"] == ["botocore>=1.34"]
    assert "cognitoidentity[server]" in PROJECT["optional-dependencies"]["dev"]
    assert PROJECT["scripts"] == {"cognitoidentity": "cognitoidentity.__main__:main"}
    client_modules = _modules(_closure(PROJECT["dependencies"]))
    assert client_modules >= {"botocore", "jmespath", "dateutil", "urllib3"}
    assert not client_modules & set(SERVER_MODULES)


def test_the_server_extra_installs_what_the_server_imports() -> None:
    imported = _third_party_imports(PACKAGE / "server")
    installed = _modules(_closure(PROJECT["dependencies"] + SERVER_EXTRA))
    assert imported <= installed, f"not in the server extra: {sorted(imported - installed)}"
    # The command checks for exactly the server's own imports before running it.
    assert set(SERVER_MODULES) == imported - _modules(_closure(PROJECT["dependencies"]))


def test_the_client_imports_only_what_botocore_brings() -> None:
    client_sources = _third_party_imports(PACKAGE / "client") | _third_party_imports(
        PACKAGE / "_models"
    )
    # boto3 only for IdentityPoolCredentials.boto3_session(), imported when that is called.
    assert client_sources - {"boto3"} <= _modules(_closure(PROJECT["dependencies"]))


def test_the_client_runs_without_the_server_dependencies(tmp_path: Path) -> None:
    _check_client_only(PACKAGE.parent, tmp_path)


def test_the_command_runs_the_server_cli_when_it_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cognitoidentity", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout and "accounts" in result.stdout


@pytest.mark.slow
def test_the_wheel_ships_the_models_and_runs_as_a_client_alone(tmp_path: Path) -> None:
    # Built from a copy, so that setuptools leaves no build/ in the working tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), source],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("cognitoidentity-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        entry_points = archive.read(
            next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        )
    vendored = {
        f"cognitoidentity/_models/{p.relative_to(PACKAGE / '_models').as_posix()}"
        for p in (PACKAGE / "_models").rglob("*.json")
    }
    migrations = {
        f"cognitoidentity/{p.relative_to(PACKAGE).as_posix()}"
        for p in (PACKAGE / "server" / "store").rglob("*.sql")
    }
    assert len(vendored) == 4 and len(migrations) >= 8
    assert vendored | migrations | {"cognitoidentity/py.typed"} <= names
    assert not [n for n in names if "codegen" in n or n.startswith("scripts/")]
    requires = re.findall(r"^Requires-Dist: (.*)$", metadata.decode(), re.MULTILINE)
    assert [r for r in requires if "extra ==" not in r] == ["botocore>=1.34"]
    assert "cognitoidentity = cognitoidentity.__main__:main" in entry_points.decode()
    installed = tmp_path / "site"
    install = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"),
            *("--target", str(installed), str(wheel)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    _check_client_only(installed, tmp_path)
