"""The caches are an optimisation only: a server with ``caches=off`` answers a flow that goes
through every cache exactly as one with them does (what differs between two servers, such as ids
and keys, is replaced by what it stands for), and only the provider's request count tells them
apart."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.test_flows import claims_of, sts_client
from tests.support.idp import OidcProvider
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import ServerProcess

KEY_CACHE_SECONDS = 1.0


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    started = OidcProvider().start()
    assert isinstance(started, OidcProvider)
    try:
        yield started
    finally:
        started.stop()


def outcome(call: Callable[[], Any]) -> Any:
    """The call's answer, or its error's code and message."""
    try:
        return call()
    except ClientError as exc:
        error = exc.response["Error"]
        return error["Code"], error["Message"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def flow(server: ServerProcess, provider: OidcProvider) -> dict[str, Any]:
    """Every cache is met, most of them twice: kept reads and decoded pools (each call), the
    JWKS, discovery, verified tokens and chosen verifiers (the same login again and again: GetId,
    then GetCredentialsForIdentity and a refresh of its credentials, GetOpenIdToken), the signing
    key set and opened keys (tokens signed, then verified by STS), the access-key lookup (every
    signed call); then each one's invalidation: a pool renamed, a client id removed from the IAM
    provider (the remembered token is refused) and added back, an access key deleted (and used
    once the time a server may trust it has passed)."""
    account = server.new_account()
    seen = {server.url: "<server>", account.account_id: "<account>"}

    def same(value: Any) -> Any:
        """``value`` with this server's own ids in place of what they stand for."""
        if isinstance(value, dict):
            return {k: same(v) for k, v in value.items() if k != "ResponseMetadata"}
        if isinstance(value, list | tuple):
            return [same(v) for v in value]
        if isinstance(value, str):
            for raw, name in seen.items():
                value = value.replace(raw, name)
        return value

    admin = server.client(account, service="iam")
    client = server.client(account)
    public = server.client(unsigned=True)
    arn = admin.create_open_id_connect_provider(Url=provider.url, ClientIDList=["client-1"])[
        "OpenIDConnectProviderArn"
    ]
    role = f"arn:aws:iam::{account.account_id}:role/Cognito_cachesAuth_Role"
    pool_id = client.create_identity_pool(
        IdentityPoolName="caches",
        AllowUnauthenticatedIdentities=False,
        OpenIdConnectProviderARNs=[arn],
    )["IdentityPoolId"]
    seen[pool_id] = "<pool>"
    client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role})
    logins = {provider.url.removeprefix("http://"): provider.mint(sub="user-1")}
    answers: dict[str, Any] = {}

    identity_id = public.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    seen[identity_id] = "<identity>"
    answers["GetId again"] = same(public.get_id(IdentityPoolId=pool_id, Logins=logins))
    for step in ("credentials", "refreshed credentials"):
        credentials = public.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
        caller = sts_client(server, credentials["Credentials"]).get_caller_identity()
        role_id, _, session = caller.pop("UserId").partition(":")
        seen[role_id] = "<role id>"
        answers[step] = same(
            {**caller, "IdentityId": credentials["IdentityId"], "Session": session}
        )
    headers = set()
    for step in ("token", "another token"):
        token = public.get_open_id_token(IdentityId=identity_id, Logins=logins)["Token"]
        headers.add(token.split(".")[0])
        claims = claims_of(token)
        assumed = sts_client(server).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="caches", WebIdentityToken=token
        )
        answers[step] = same(
            {
                "claims": {k: claims[k] for k in ("sub", "aud", "amr", "iss")},
                "assumed": assumed["AssumedRoleUser"]["Arn"],
                "subject": assumed["SubjectFromWebIdentityToken"],
            }
        )
    answers["signing keys"] = len(headers)
    for step in ("described", "described again"):
        described = client.describe_identity_pool(IdentityPoolId=pool_id)
        answers[step] = same(described)

    described.pop("ResponseMetadata")
    client.update_identity_pool(**{**described, "IdentityPoolName": "renamed"})
    answers["renamed"] = same(client.describe_identity_pool(IdentityPoolId=pool_id))
    admin.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="client-1"
    )
    get_id = partial(public.get_id, IdentityPoolId=pool_id, Logins=logins)
    answers["client id removed"] = same(outcome(get_id))
    admin.add_client_id_to_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="client-1"
    )
    answers["client id back"] = same(outcome(get_id))

    server.admin("keys", "delete", account.access_key_id)
    time.sleep(KEY_CACHE_SECONDS + 0.2)
    answers["key deleted"] = same(
        outcome(partial(client.describe_identity_pool, IdentityPoolId=pool_id))
    )
    return answers


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_server_without_caches_answers_the_same(
    tmp_path: Path, provider: OidcProvider, kind: str
) -> None:
    transcripts = {}
    fetches = {}
    with ExitStack() as stack:  # the PostgreSQL schemas, dropped at the end
        for caches in ("on", "off"):
            data_dir = tmp_path / caches
            data_dir.mkdir()
            url = str(data_dir / "store.db")
            if kind == "postgresql":
                require_postgres()
                url = stack.enter_context(temporary_schema())
            server = ServerProcess(
                data_dir,
                url,
                extra_env={
                    "COGNITOIDENTITY_CACHES": caches,
                    "COGNITOIDENTITY_KEY_CACHE_SECONDS": str(KEY_CACHE_SECONDS),
                },
            ).start()
            try:
                before = sum(provider.hits.values())
                transcripts[caches] = flow(server, provider)
                fetches[caches] = sum(provider.hits.values()) - before
            finally:
                server.stop()

    assert transcripts["off"] == transcripts["on"]
    answers = transcripts["on"]
    assert answers["GetId again"] == {"IdentityId": "<identity>"}
    assert answers["refreshed credentials"]["Arn"] == (
        "arn:aws:sts::<account>:assumed-role/Cognito_cachesAuth_Role/CognitoIdentityCredentials"
    )
    assert answers["another token"]["subject"] == "<identity>"
    assert answers["signing keys"] == 1
    assert answers["renamed"]["IdentityPoolName"] == "renamed"
    assert answers["client id removed"] == [
        "NotAuthorizedException",
        "Token is not from a supported provider of this identity pool.",
        400,
    ]
    assert answers["client id back"] == {"IdentityId": "<identity>"}
    assert answers["key deleted"][0] == "UnrecognizedClientException"
    # Discovery and JWKS once with the caches; without, for every one of the 8 logins.
    assert fetches == {"on": 2, "off": 16}
