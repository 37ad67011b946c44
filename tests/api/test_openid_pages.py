"""The OpenID discovery document and the JWKS, fetched over HTTP from real server processes, and key
rotation with ``cognitoidentity signing-keys`` seen by every process sharing a store."""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import ServerProcess

JWKS_PATHS = ["/.well-known/jwks_uri", "/.well-known/jwks.json"]


def get_json(url: str) -> Any:
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def kids(server: ServerProcess) -> list[str]:
    return [k["kid"] for k in get_json(server.url + "/.well-known/jwks_uri")["keys"]]


def rfc7638_thumbprint(jwk: dict[str, Any]) -> str:
    canonical = f'{{"e":"{jwk["e"]}","kty":"RSA","n":"{jwk["n"]}"}}'
    return (
        base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    )


def wait_for_kids(servers: list[ServerProcess], expected: list[str], seconds: float = 5) -> None:
    """Until every server publishes exactly ``expected`` (the JWKS follows the store within ~1 s)."""
    deadline = time.monotonic() + seconds
    while True:
        seen = [kids(s) for s in servers]
        if all(k == expected for k in seen) or time.monotonic() > deadline:
            assert seen == [expected] * len(servers)
            return
        time.sleep(0.1)


def test_discovery_document(server: ServerProcess) -> None:
    document = get_json(server.url + "/.well-known/openid-configuration")
    assert document == {
        "issuer": server.url,
        "jwks_uri": server.url + "/.well-known/jwks_uri",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS512"],
        "claims_supported": ["sub", "aud", "amr", "iss", "exp", "iat"],
    }
    assert get_json(document["jwks_uri"])["keys"]  # the advertised URL works


@pytest.mark.parametrize("path", JWKS_PATHS)
def test_jwks_publishes_rs512_signing_keys(server: ServerProcess, path: str) -> None:
    response = httpx.get(server.url + path, timeout=5)
    assert response.headers["access-control-allow-origin"] == "*"  # browsers may fetch it
    keys = get_json(server.url + path)["keys"]
    assert keys
    for jwk in keys:
        assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}  # public members only
        assert (jwk["kty"], jwk["use"], jwk["alg"], jwk["e"]) == ("RSA", "sig", "RS512", "AQAB")
        assert jwk["kid"] == rfc7638_thumbprint(jwk)
        n = base64.urlsafe_b64decode(jwk["n"] + "=" * (-len(jwk["n"]) % 4))
        assert len(n) == 256  # RSA-2048, base64url without a leading zero byte
    assert kids(server) == [k["kid"] for k in keys]


def test_configured_issuer_and_cli_rotation(tmp_path: Path) -> None:
    issuer = "https://identity.example.com"
    server = ServerProcess(
        tmp_path,
        str(tmp_path / "store.db"),
        extra_env={"COGNITOIDENTITY_ISSUER_URL": issuer + "/"},
    ).start()
    try:
        document = get_json(server.url + "/.well-known/openid-configuration")
        assert document["issuer"] == issuer
        assert document["jwks_uri"] == issuer + "/.well-known/jwks_uri"

        (old,) = kids(server)
        new = server.admin("signing-keys", "rotate").strip()
        assert new not in ("", old)
        wait_for_kids([server], [new, old])
        listed = [line.split("\t") for line in server.admin("signing-keys", "list").splitlines()]
        assert [row[0] for row in listed] == [new, old]
        assert listed[0][2:] == ["-", "-"]  # current: neither retired nor due for deletion
        assert listed[1][2] != "-"
        assert listed[1][3] != "-"
    finally:
        server.stop()


def test_processes_sharing_postgresql_publish_the_same_keys(tmp_path: Path) -> None:
    require_postgres()
    with temporary_schema() as url:
        first = ServerProcess(tmp_path, url).start()
        second = ServerProcess(tmp_path, url, root=first.root, master_key=first.master_key).start()
        try:
            (old,) = kids(first)
            assert kids(second) == [old]
            assert get_json(first.url + "/.well-known/jwks_uri") == get_json(
                second.url + "/.well-known/jwks_uri"
            )

            new = first.admin("signing-keys", "rotate").strip()
            assert new != old
            wait_for_kids([first, second], [new, old])
            assert get_json(first.url + "/.well-known/jwks.json") == get_json(
                second.url + "/.well-known/jwks.json"
            )
        finally:
            first.stop()
            second.stop()
