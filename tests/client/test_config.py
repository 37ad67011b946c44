"""The seed's configuration: keys and types, shorthand merging, and the region, endpoint and
credential resolution orders, with a temporary HOME (see ``aws_home`` in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError

from cognitoidentity import (
    CognitoIdentity,
    CredentialsConfig,
    MissingAuthenticationTokenException,
    cognitoidentity,
)
from cognitoidentity.client._config import merge_config
from tests.client.conftest import Recorder
from tests.support.server import REGION, Credentials, ServerProcess, free_port

AWS_DEFAULT_ENDPOINT = "https://cognito-identity.{}.amazonaws.com"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def creds_of(account: Credentials) -> CredentialsConfig:
    return {
        "creds": {
            "access_key_id": account.access_key_id,
            "secret_access_key": account.secret_access_key,
        }
    }


# -- keys and types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "credentials", "fragment"),
    [
        ({"regoin": "us-east-1"}, None, "unknown key 'regoin' in config"),
        (
            {"credentials": {"anonymus": True}},
            None,
            "unknown key 'anonymus' in config['credentials']",
        ),
        (
            {"credentials": {"creds": {"access_key": "AKIA"}}},
            None,
            "unknown key 'access_key' in config['credentials']['creds']",
        ),
        ({"max_retries": 3}, None, "unknown key 'max_retries'"),
        ({"connect_timeout": 3}, None, "unknown key 'connect_timeout'"),
        (None, {"profiles": "x"}, "unknown key 'profiles' in credentials"),
        ({"timeout": "60"}, None, "config['timeout'] must be a number of seconds, not str"),
        ({"timeout": True}, None, "config['timeout'] must be a number of seconds, not bool"),
        ({"close_connection": "yes"}, None, "config['close_connection'] must be a bool, not str"),
        ({"s3_force_path_style": 1}, None, "config['s3_force_path_style'] must be a bool, not int"),
        ({"endpoint": 4566}, None, "config['endpoint'] must be a string, not int"),
        ({"credentials": {"anonymous": "true"}}, None, "['anonymous'] must be a bool, not str"),
        ({"credentials": "default"}, None, "config['credentials'] must be a dict, not str"),
        (["region"], None, "config must be a dict, not list"),
    ],
)
def test_unknown_keys_and_wrong_types_are_type_errors(
    config: Any, credentials: Any, fragment: str
) -> None:
    with pytest.raises(TypeError) as exc:
        cognitoidentity(config, credentials, region="us-east-1")
    assert fragment in str(exc.value)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"timeout": 0}, "config['timeout'] must be more than 0 seconds"),
        ({"timeout": -1.5}, "config['timeout'] must be more than 0 seconds"),
        ({"sts_regional_endpoint": "global"}, "'regional' or 'legacy', not 'global'"),
        (
            {"credentials": {"creds": {"access_key_id": "AKIA"}}},
            "needs both access_key_id and secret_access_key",
        ),
        (
            {"credentials": {"creds": {"secret_access_key": "s", "session_token": "t"}}},
            "needs both access_key_id and secret_access_key",
        ),
    ],
)
def test_values_that_cannot_work_are_value_errors(config: Any, fragment: str) -> None:
    with pytest.raises(ValueError, match=None) as exc:
        cognitoidentity(config, region="us-east-1")
    assert fragment in str(exc.value)


def test_every_seed_key_is_accepted() -> None:
    svc = cognitoidentity(
        {
            "credentials": {
                "creds": {"access_key_id": "AKIA1", "secret_access_key": "s", "session_token": "t"},
                "profile": None,
                "anonymous": False,
            },
            "endpoint": "http://127.0.0.1:9",
            "region": "eu-west-1",
            "close_connection": True,
            "timeout": 2.5,
            "s3_force_path_style": True,
            "sts_regional_endpoint": "legacy",
        }
    )
    assert svc.region == "eu-west-1"
    assert svc.endpoint_url == "http://127.0.0.1:9"
    assert svc.botocore_client.meta.config.connect_timeout == 2.5
    assert svc.botocore_session.get_config_variable("sts_regional_endpoints") == "legacy"
    frozen = svc.botocore_client._request_signer._credentials.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == ("AKIA1", "s", "t")


def test_timeout_is_the_connect_timeout_default_60() -> None:
    svc = cognitoidentity(region="us-east-1")
    assert svc.botocore_client.meta.config.connect_timeout == 60
    assert svc.settings.connect_timeout == 60


def test_none_and_empty_strings_mean_unset() -> None:
    svc = cognitoidentity({"endpoint": "", "region": None}, region="ap-south-1", endpoint=None)
    assert svc.region == "ap-south-1"
    assert svc.endpoint_url == AWS_DEFAULT_ENDPOINT.format("ap-south-1")


def test_shorthand_arguments_merge_over_config_recursively() -> None:
    merged = merge_config(
        {
            "region": "eu-west-1",
            "timeout": 5,
            "credentials": {
                "profile": "dev",
                "creds": {"access_key_id": "A", "secret_access_key": "1"},
            },
        },
        credentials={"creds": {"secret_access_key": "2"}, "anonymous": True},
        region="us-west-2",
    )
    assert merged == {
        "region": "us-west-2",
        "timeout": 5,
        "credentials": {
            "profile": "dev",
            "anonymous": True,
            "creds": {"access_key_id": "A", "secret_access_key": "2"},
        },
    }


# -- region ----------------------------------------------------------------------------------------


def test_region_order(aws_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(aws_home / ".aws" / "config", "[default]\nregion = eu-central-1\n")
    assert cognitoidentity().region == "eu-central-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    assert cognitoidentity().region == "eu-west-3"
    monkeypatch.setenv("AWS_REGION", "ca-central-1")
    assert cognitoidentity().region == "ca-central-1"
    assert cognitoidentity(region="sa-east-1").region == "sa-east-1"
    assert cognitoidentity({"region": "af-south-1"}).region == "af-south-1"
    assert cognitoidentity({"region": "af-south-1"}, region="me-south-1").region == "me-south-1"


def test_region_of_a_named_profile(aws_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        aws_home / ".aws" / "config",
        "[default]\nregion = eu-central-1\n[profile dev]\nregion = ap-northeast-1\n",
    )
    assert cognitoidentity(credentials={"profile": "dev"}).region == "ap-northeast-1"
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert cognitoidentity().region == "ap-northeast-1"


def test_no_region_is_an_error_even_with_an_endpoint() -> None:
    with pytest.raises(ValueError, match="No region provided"):
        cognitoidentity(endpoint="http://127.0.0.1:4566")


def test_unknown_profile_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="profile 'nope' is not in the AWS config"):
        cognitoidentity(credentials={"profile": "nope"}, region="us-east-1")
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(ValueError, match="profile 'nope'"):
        cognitoidentity(region="us-east-1")


# -- endpoint --------------------------------------------------------------------------------------


def test_endpoint_order(aws_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cognitoidentity(region="eu-west-1").endpoint_url == AWS_DEFAULT_ENDPOINT.format(
        "eu-west-1"
    )
    write(
        aws_home / ".aws" / "config",
        "[default]\nendpoint_url = http://profile-global:1\n",
    )
    assert cognitoidentity(region="eu-west-1").endpoint_url == "http://profile-global:1"
    write(
        aws_home / ".aws" / "config",
        "[default]\nendpoint_url = http://profile-global:1\nservices = local\n"
        "[services local]\ncognito_identity =\n  endpoint_url = http://profile-service:2\n"
        "sts =\n  endpoint_url = http://profile-sts:9\n",
    )
    assert cognitoidentity(region="eu-west-1").endpoint_url == "http://profile-service:2"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://env-global:3")
    assert cognitoidentity(region="eu-west-1").endpoint_url == "http://env-global:3"
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", "http://env-service:4")
    assert cognitoidentity(region="eu-west-1").endpoint_url == "http://env-service:4"
    assert (
        cognitoidentity(region="eu-west-1", endpoint="http://explicit:5").endpoint_url
        == "http://explicit:5"
    )


# -- credentials against the live server -----------------------------------------------------------


def test_environment_alone_configures_everything(
    server: ServerProcess, account: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", account.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", account.secret_access_key)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", server.url)
    svc = cognitoidentity()
    svc.create_identity_pool(IdentityPoolName="env", AllowUnauthenticatedIdentities=False)
    assert [
        p["IdentityPoolName"] for p in svc.list_identity_pools(MaxResults=5)["IdentityPools"]
    ] == ["env"]


def test_profile_in_the_home_directory(
    server: ServerProcess, account: Credentials, aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing but ~/.aws: the default file locations under HOME, a named profile with its region,
    its keys and a ``services`` section pointing Cognito Identity at the server."""
    monkeypatch.delenv("AWS_CONFIG_FILE")
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE")
    write(
        aws_home / ".aws" / "config",
        f"[profile team]\nregion = {REGION}\nservices = local\n"
        f"[services local]\ncognito_identity =\n  endpoint_url = {server.url}\n",
    )
    write(
        aws_home / ".aws" / "credentials",
        f"[team]\naws_access_key_id = {account.access_key_id}\n"
        f"aws_secret_access_key = {account.secret_access_key}\n",
    )
    svc = cognitoidentity(credentials={"profile": "team"})
    assert (svc.region, svc.endpoint_url) == (REGION, server.url)
    assert svc.list_identity_pools(MaxResults=1) == {"IdentityPools": []}
    monkeypatch.setenv("AWS_PROFILE", "team")
    assert cognitoidentity().list_identity_pools(MaxResults=1) == {"IdentityPools": []}


def test_explicit_creds_win_over_the_chain(
    server: ServerProcess, account: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTAKEYATALL0000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    svc = cognitoidentity(credentials=creds_of(account), endpoint=server.url, region=REGION)
    assert svc.list_identity_pools(MaxResults=1) == {"IdentityPools": []}


def test_anonymous_calls(
    server: ServerProcess,
    svc: CognitoIdentity,
    account: Credentials,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool_id = svc.create_identity_pool(
        IdentityPoolName="anon", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    # Keys in the environment are not used: anonymous skips the chain.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", account.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", account.secret_access_key)
    anonymous = cognitoidentity(
        {"credentials": {"anonymous": True}}, endpoint=server.url, region=REGION
    )
    assert anonymous.get_id(IdentityPoolId=pool_id)["IdentityId"].startswith(f"{REGION}:")
    with pytest.raises(MissingAuthenticationTokenException) as exc:
        anonymous.list_identity_pools(MaxResults=10)
    assert exc.value.code == "MissingAuthenticationTokenException"
    assert exc.value.status_code in (400, 403)


def test_no_credentials_at_all(server: ServerProcess) -> None:
    svc = cognitoidentity(endpoint=server.url, region=REGION)
    with pytest.raises(NoCredentialsError):
        svc.list_identity_pools(MaxResults=1)


# -- close_connection, and nothing sent for a bad call ------------------------------------------


def test_close_connection_asks_for_connection_close(recorder: Recorder) -> None:
    recorder.answer(200, {"IdentityId": "us-east-1:00000000-0000-4000-8000-000000000000"})
    keep = cognitoidentity(credentials={"anonymous": True}, endpoint=recorder.url, region=REGION)
    keep.get_id(IdentityPoolId="us-east-1:00000000-0000-4000-8000-000000000001")
    close = cognitoidentity(
        {"close_connection": True, "credentials": {"anonymous": True}},
        endpoint=recorder.url,
        region=REGION,
    )
    close.get_id(IdentityPoolId="us-east-1:00000000-0000-4000-8000-000000000001")
    assert [headers.get("connection") for headers, _ in recorder.requests] == [None, "close"]
    # Anonymous means no signature at all.
    assert all("authorization" not in headers for headers, _ in recorder.requests)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda s: s.get_id(), "missing 1 required keyword-only argument: 'IdentityPoolId'"),
        (lambda s: s.list_identity_pools(), "'MaxResults'"),
        (
            lambda s: s.list_identities(IdentityPoolId="us-east-1:x", MaxResults=1, Hide=True),
            "unexpected keyword argument 'Hide'",
        ),
        (lambda s: s.get_id("us-east-1:x"), "positional argument"),
        (
            lambda s: s.list_identity_pools(MaxResults="ten"),
            "Invalid type for parameter MaxResults",
        ),
        (
            lambda s: s.paginate("list_identities", MaxResults=5),
            "missing a required argument: 'IdentityPoolId'",
        ),
    ],
)
def test_bad_arguments_raise_type_error_before_any_request(
    call: Any, fragment: str, recorder: Recorder
) -> None:
    closed = cognitoidentity(
        credentials={"creds": {"access_key_id": "AKIA1", "secret_access_key": "s"}},
        endpoint=f"http://127.0.0.1:{free_port()}",
        region=REGION,
    )
    with pytest.raises(TypeError) as exc:
        call(closed)  # a request would have failed to connect instead
    assert fragment in str(exc.value)
    listening = cognitoidentity(
        credentials={"creds": {"access_key_id": "AKIA1", "secret_access_key": "s"}},
        endpoint=recorder.url,
        region=REGION,
    )
    with pytest.raises(TypeError):
        call(listening)
    assert recorder.requests == []
