"""Reading configuration files: what is wrong is named by file, line and key, in the API's words
where the API would refuse the same input; every problem at once."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from cognitoidentity.server.config.locate import KeyLines
from cognitoidentity.server.config.source import ConfigError
from cognitoidentity.server.config.toml_text import toml_document
from tests.config.conftest import ACCOUNT, POOL_ID, load_text

POOL = f"""
version = 1

[[accounts]]
id = "{ACCOUNT}"
name = "ci"

[[accounts.pools]]
IdentityPoolId = "{POOL_ID}"
IdentityPoolName = "ci"
AllowUnauthenticatedIdentities = true
"""


def problems(tmp_path: Path, text: str, **environ: str) -> list[str]:
    with pytest.raises(ValueError) as caught:
        load_text(tmp_path, text, environ)
    return str(caught.value).splitlines()


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_valid_file_declares_its_resources(tmp_path: Path) -> None:
    text = POOL + 'Roles = { unauthenticated = "arn:aws:iam::111122223333:role/guest" }\n'
    declared = load_text(tmp_path, text)
    (account,) = declared.accounts
    assert account.account_id == ACCOUNT and account.name == "ci"
    (pool,) = account.pools
    assert pool.pool_id == POOL_ID
    assert pool.params == {"IdentityPoolName": "ci", "AllowUnauthenticatedIdentities": True}
    assert pool.roles == {"unauthenticated": "arn:aws:iam::111122223333:role/guest"}


def test_a_syntax_error_names_the_file_the_line_and_the_key(tmp_path: Path) -> None:
    text = POOL + "IdentityPoolTags = { env = }\n"
    (message,) = problems(tmp_path, text)
    line = line_of(text, "IdentityPoolTags")
    assert message.startswith(
        f"{tmp_path / 'c.toml'}:{line}: accounts[0].pools[0].IdentityPoolTags"
    )
    assert "Invalid" in message


def test_an_unknown_key_is_named_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    text = POOL + "AllowUnauthenticatedIdentity = false\n"
    (message,) = problems(tmp_path, text)
    line = line_of(text, "AllowUnauthenticatedIdentity =")
    assert message == (
        f"{tmp_path / 'c.toml'}:{line}: accounts[0].pools[0].AllowUnauthenticatedIdentity:"
        " unknown key 'AllowUnauthenticatedIdentity' (did you mean"
        " 'AllowUnauthenticatedIdentities'?)"
    )


def test_values_are_checked_by_the_model_with_the_apis_words(tmp_path: Path) -> None:
    text = POOL.replace('IdentityPoolName = "ci"', 'IdentityPoolName = "no/slashes"')
    (message,) = problems(tmp_path, text)
    line = line_of(text, "IdentityPoolName")
    assert message == (
        f"{tmp_path / 'c.toml'}:{line}: accounts[0].pools[0].IdentityPoolName: ValidationException:"
        " 1 validation error detected: Value 'no/slashes' at 'identityPoolName' failed to satisfy"
        r" constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+"
    )


def test_a_wrong_type_is_the_apis_serialization_error(tmp_path: Path) -> None:
    text = POOL.replace(
        "AllowUnauthenticatedIdentities = true", 'AllowUnauthenticatedIdentities = "yes"'
    )
    (message,) = problems(tmp_path, text)
    assert message.endswith(
        "accounts[0].pools[0].AllowUnauthenticatedIdentities: SerializationException:"
        " STRING_VALUE can not be converted to Boolean"
    )


def test_a_nested_problem_names_the_deepest_key(tmp_path: Path) -> None:
    text = (
        POOL
        + """
[accounts.pools.RoleMappings."accounts.google.com"]
Type = "Token"
AmbiguousRoleResolution = "Sometimes"
"""
    )
    (message,) = problems(tmp_path, text)
    line = line_of(text, "AmbiguousRoleResolution")
    assert message.startswith(
        f"{tmp_path / 'c.toml'}:{line}: accounts[0].pools[0].RoleMappings."
        '"accounts.google.com".AmbiguousRoleResolution: ValidationException: 1 validation error'
        " detected: Value 'Sometimes' at"
        " 'roleMappings.accounts.google.com.member.ambiguousRoleResolution'"
    )


def test_the_operations_checks_apply_roles_of_the_pools_account(tmp_path: Path) -> None:
    text = POOL + 'Roles = { authenticated = "arn:aws:iam::999999999999:role/auth" }\n'
    (message,) = problems(tmp_path, text)
    line = line_of(text, "Roles =")
    assert message == (
        f"{tmp_path / 'c.toml'}:{line}: accounts[0].pools[0].Roles: InvalidParameterException:"
        " Invalid RoleArn: arn:aws:iam::999999999999:role/auth is a role of another account. An"
        " identity pool may use only roles of its own account."
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        POOL
        + 'IdentityPoolTags = { "aws:reserved" = "x" }\n'
        + 'CognitoIdentityProviders = [{ ProviderName = "not-a-user-pool", ClientId = "c" }]\n'
        + """
[[accounts]]
id = "12345"
"""
    )
    found = problems(tmp_path, text)
    assert [re.sub(r"^[^:]*:(\d+): ([^:]*):.*$", r"\1 \2", m) for m in found] == [
        f"{line_of(text, 'IdentityPoolTags')} accounts[0].pools[0].IdentityPoolTags",
        f"{line_of(text, 'CognitoIdentityProviders')} accounts[0].pools[0].CognitoIdentityProviders",
        f"{line_of(text, 'id = ' + chr(34) + '12345')} accounts[1].id",
    ]
    assert "InvalidParameterException: Tag key 'aws:reserved' is invalid" in found[0]
    assert "InvalidParameterException: Invalid Cognito Identity Provider" in found[1]


def test_an_access_keys_secret_comes_from_the_environment(tmp_path: Path) -> None:
    text = f"""
[[accounts]]
id = "{ACCOUNT}"

[[accounts.access_keys]]
id = "AKIAEXAMPLECI0000001"
secret_env = "CI_SECRET"
"""
    (message,) = problems(tmp_path, text)
    assert message.endswith(
        "accounts[0].access_keys[0].secret_env: the environment variable CI_SECRET (the key's"
        " secret) is not set"
    )
    key = load_text(tmp_path, text, {"CI_SECRET": "s3cret"}).accounts[0].access_keys[0]
    assert (key.access_key_id, key.secret) == ("AKIAEXAMPLECI0000001", "s3cret")


def test_iam_providers_are_checked_as_iam_checks_them(tmp_path: Path) -> None:
    text = f"""
[[accounts]]
id = "{ACCOUNT}"

[[accounts.oidc_providers]]
Url = "https://idp.example.com"
ThumbprintList = ["nothex"]

[[accounts.saml_providers]]
Name = "corp"
SAMLMetadataDocument = "<not-metadata>{"x" * 1000}</not-metadata>"
"""
    found = problems(tmp_path, text)
    assert found[0].endswith(
        "accounts[0].oidc_providers[0].ThumbprintList: ValidationError: 1 validation error"
        " detected: Value '[nothex]' at 'thumbprintList' failed to satisfy constraint: Member"
        " must satisfy constraint: [Member must have length greater than or equal to 40]"
    )
    assert found[1].endswith(
        "accounts[0].saml_providers[0].SAMLMetadataDocument: InvalidInput: Could not parse metadata"
    )


def test_key_lines_follow_tables_arrays_and_multiline_strings() -> None:
    text = '''a = """
[not.a.table]
b = 1
"""
[[t]]
x = ['x]', "y#"]  # [comment]
[t.sub."dotted.key"]
y = { z = 1, w = [1,
  2] }
[[t]]
'''
    lines = KeyLines.scan(text)
    assert lines.line_of(("a",)) == 1
    assert lines.line_of(("not",)) is None
    assert lines.line_of(("t", 0, "x", 1)) == 6
    assert lines.line_of(("t", 0, "sub", "dotted.key", "y", "w", 0)) == 8
    assert lines.line_of(("t", 0, "sub", "dotted.key", "y", "w", 1)) == 9
    assert lines.line_of(("t", 1)) == 10
    assert lines.line_of(("t", 1, "missing", "deeper")) == 10


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "multi\nline\n",
        "ends with '\nquote'",
        "'''\nno",
        'quo"te\\',
        "tab\tdel\x7f",
        "é\r\n",
    ],
)
def test_toml_text_reads_back_as_written(value: str) -> None:
    data = {"k": value, "t": {"a b": [value], "n": {"x": value * 20}}, "arr": [{"v": value}]}
    text = toml_document(data, arrays_of_tables=("arr",), header="a header")
    assert tomllib.loads(text) == data
    assert text.startswith("# a header\n")


def test_a_config_error_is_a_value_error_listing_its_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, "other = 1\nversion = 2\n")
    assert [p.path for p in caught.value.problems] == [("other",), ("version",)]
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, "version = 2\n")
    assert (
        str(caught.value)
        == f"{tmp_path / 'c.toml'}:1: version: must be 1 (the version of this format)"
    )
