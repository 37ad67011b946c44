"""The public face: what ``cognitoidentity`` exports, that importing it leaves the server alone,
and that every method matches botocore's model (names, keyword-only parameters, required ones,
documentation)."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from botocore import xform_name
from botocore.model import ServiceModel

import cognitoidentity
from cognitoidentity import CognitoIdentity, _models
from scripts.codegen import client as _codegen

CLIENT_DIR = Path(cognitoidentity.__file__).parent / "client"


def test_all_is_pinned() -> None:
    assert cognitoidentity.__all__ == [
        "AccessDeniedException",
        "ClientConfig",
        "CognitoIdentity",
        "CognitoIdentityError",
        "ConcurrentModificationException",
        "CredentialsConfig",
        "CredsConfig",
        "Decision",
        "DecisionMiddleware",
        "DeveloperUserAlreadyRegisteredException",
        "ExpiredTokenException",
        "ExternalServiceException",
        "FileIdentityIdCache",
        "IdentityIdCache",
        "IdentityPoolCredentials",
        "IncompleteSignatureException",
        "InternalErrorException",
        "InternalFailure",
        "InvalidIdentityPoolConfigurationException",
        "InvalidParameterException",
        "InvalidSignatureException",
        "LimitExceededException",
        "MemoryIdentityIdCache",
        "MissingAuthenticationTokenException",
        "NotAuthorizedException",
        "Pages",
        "ResourceConflictException",
        "ResourceNotFoundException",
        "SerializationException",
        "TemporaryCredentials",
        "ThrottlingException",
        "TooManyRequestsException",
        "UnknownOperationException",
        "UnrecognizedClientException",
        "ValidationException",
        "cognitoidentity",
        "decide",
        "decide_async",
    ]
    for name in cognitoidentity.__all__:
        assert getattr(cognitoidentity, name).__module__ == "cognitoidentity"
    public = {
        name
        for name, value in vars(cognitoidentity).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)  # subpackages
    }
    assert public == set(cognitoidentity.__all__)


def test_importing_the_client_leaves_the_server_alone() -> None:
    code = (
        "import sys\n"
        "import cognitoidentity\n"
        "from cognitoidentity import cognitoidentity as make\n"
        "import cognitoidentity.client.types\n"
        "make(region='us-east-1')\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('cognitoidentity.server', 'uvicorn')))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_no_client_module_imports_the_server() -> None:
    for path in CLIENT_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith(("cognitoidentity.server", "uvicorn")), path


def test_methods_match_the_model() -> None:
    model = ServiceModel(_models.load("cognito-identity"), "cognito-identity")
    assert len(model.operation_names) == 23
    for name in model.operation_names:
        operation = model.operation_model(name)
        method = getattr(CognitoIdentity, xform_name(name))
        signature = inspect.signature(method)
        params = dict(signature.parameters)
        assert params.pop("self").kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert operation.input_shape is not None
        members = operation.input_shape.members
        assert set(params) == set(members), name
        required = set(operation.input_shape.required_members)
        for param in params.values():
            assert param.kind is inspect.Parameter.KEYWORD_ONLY
            assert (param.default is inspect.Parameter.empty) == (param.name in required), (
                name,
                param.name,
            )
        doc = inspect.getdoc(method)
        assert doc
        assert not re.search(r"</?(p|code|a|ul|li)\b", doc), name
        first_sentence = " ".join(_codegen.plain(operation.documentation)[0].split()[:6])
        assert " ".join(doc.split()).startswith(first_sentence), name
        assert f"AWS API: ``{name}``" in doc
        for member in members:
            assert f"{member}: " in doc, (name, member)


def test_client_methods_are_exactly_the_operations() -> None:
    model = ServiceModel(_models.load("cognito-identity"), "cognito-identity")
    own = {
        n
        for n, v in vars(CognitoIdentity.__mro__[1]).items()
        if callable(v) and not n.startswith("_")
    }
    assert own == {xform_name(n) for n in model.operation_names} | {"paginate"}


def test_html_becomes_plain_text() -> None:
    html = (
        "<p>Use <code>Logins</code>operation, see <a href='https://example.com/x'>the guide</a>."
        "</p> <ul> <li> <p>Facebook: <code>graph.facebook.com</code> </p> </li>"
        "<li><p>Google</p></li> </ul><note><p>Careful &amp; slow.</p></note>"
    )
    assert _codegen.plain(html) == [
        "Use ``Logins`` operation, see the guide (https://example.com/x).",
        "- Facebook: ``graph.facebook.com``",
        "- Google",
        "Note: Careful & slow.",
    ]
