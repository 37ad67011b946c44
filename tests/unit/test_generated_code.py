"""The generated modules are what the generator makes of the vendored models, byte for byte; the
vendored models are what ``SOURCE.json`` says; the server and the client read them, not the
installed botocore's."""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path

import botocore
import pytest
from botocore.loaders import Loader

from cognitoidentity import _models, cognitoidentity
from cognitoidentity.server.api import iam as iam_api
from cognitoidentity.server.operations import COGNITO_IDENTITY
from cognitoidentity.server.operations.iam import IAM
from cognitoidentity.server.operations.sts import STS
from cognitoidentity.server.protocol.json_rpc import load_service_model
from scripts.codegen import vendor
from scripts.codegen.__main__ import main as generate
from scripts.codegen.common import PACKAGE, ROOT, STUB_KEYS, served_operations

GENERATED = [
    PACKAGE / "server" / "api" / "cognito_identity.py",
    PACKAGE / "server" / "api" / "sts.py",
    PACKAGE / "server" / "api" / "iam.py",
    PACKAGE / "client" / "_model.py",
    PACKAGE / "client" / "types.py",
]


def test_the_committed_modules_are_what_the_generator_makes(tmp_path: Path) -> None:
    assert generate(["--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.py"))
    assert written == sorted(p.relative_to(ROOT) for p in GENERATED)
    for path in GENERATED:
        fresh = (tmp_path / path.relative_to(ROOT)).read_text()
        committed = path.read_text()
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                f"{path.relative_to(ROOT)} (committed)",
                "(generated)",
                n=1,
            )
        )
        assert fresh == committed, (
            f"{path.relative_to(ROOT)} is stale; run `python -m scripts.codegen`:\n{diff[:3000]}"
        )


def test_check_mode_names_a_stale_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(["--out", str(tmp_path)]) == 0
    assert generate(["--check", "--out", str(tmp_path)]) == 0
    edited = tmp_path / "src" / "cognitoidentity" / "server" / "api" / "sts.py"
    edited.write_text(edited.read_text() + "# edited by hand\n")
    capsys.readouterr()
    assert generate(["--check", "--out", str(tmp_path)]) == 1
    assert "stale: src/cognitoidentity/server/api/sts.py" in capsys.readouterr().err


def test_the_server_modules_hold_only_the_served_operations() -> None:
    assert served_operations("cognito-identity") == list(COGNITO_IDENTITY)
    assert served_operations("sts") == list(STS)
    assert served_operations("iam") == list(IAM)
    # IAM's module: the provider, role and policy operations' shapes, none of the ~130 others'.
    assert hasattr(iam_api, "CreateOpenIDConnectProviderRequest")
    assert hasattr(iam_api, "ListRolesRequest")
    assert hasattr(iam_api, "NoSuchEntityException")
    assert not hasattr(iam_api, "CreateUserResponse")
    assert not hasattr(iam_api, "ListGroupsRequest")
    assert len(iam_api.__all__) < 200


def test_the_vendored_files_are_what_source_json_records() -> None:
    source = json.loads(_models.SOURCE.read_text())
    assert source["botocore"].count(".") == 2
    assert set(source["models"]) == {"cognito-identity", "sts", "iam"}
    for service, entry in source["models"].items():
        data = _models.path(service).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], (
            f"{entry['file']} was edited; vendor again with `python -m scripts.codegen vendor`"
        )
        model = json.loads(data)
        # botocore's layout: <service>/<api version>/service-2.json
        assert _models.path(service).parent.name == model["metadata"]["apiVersion"]
        assert _models.path(service).parent.parent.name == service


def test_the_iam_model_is_trimmed_to_the_served_operations() -> None:
    model = _models.load("iam")
    assert vendor.trim(model, list(IAM)) == model  # nothing beyond what they reach
    full = {name for name, op in model["operations"].items() if "input" in op}
    assert full == set(IAM), "vendor again: python -m scripts.codegen vendor"
    others = [op for name, op in model["operations"].items() if name not in IAM]
    assert len(others) > 100  # they still route, and answer UnsupportedOperation
    assert all(set(op) <= set(STUB_KEYS) for op in others)


def test_the_server_and_the_client_load_the_vendored_models() -> None:
    for service in ("cognito-identity", "sts", "iam"):
        vendored = _models.load(service)
        model = load_service_model(service)
        assert model.metadata == vendored["metadata"]
        assert sorted(model.shape_names) == sorted(vendored["shapes"])
    # The trimmed IAM model: an operation not served has no input shape (botocore's has one).
    assert load_service_model("iam").operation_model("ListUsers").input_shape is None
    svc = cognitoidentity(
        region="us-east-1", endpoint="http://127.0.0.1:1", credentials={"anonymous": True}
    )
    client_model = svc.botocore_client.meta.service_model
    assert client_model._service_description == _models.load("cognito-identity")
    # The client's session finds only Cognito Identity there: its STS and IAM stay botocore's.
    shared = Loader([str(_models.SHARED)], include_default_search_paths=False)
    assert shared.list_available_services("service-2") == ["cognito-identity"]
    assert svc.botocore_session.get_service_model("iam").operation_model("ListUsers").input_shape


@pytest.mark.skipif(
    botocore.__version__ != _models.botocore_version(),
    reason=f"the models come from botocore {_models.botocore_version()}; "
    f"botocore {botocore.__version__} is installed",
)
def test_vendoring_again_from_the_same_botocore_changes_nothing(tmp_path: Path) -> None:
    written = vendor.vendor(tmp_path)
    for path in written:
        committed = _models.DIRECTORY / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), committed
