"""Server-side request forgery through IAM OpenID Connect providers, against a real server: any
account may create a provider, so its URL (and the URLs its discovery document names) must not
lead the server into its own network.

No test here ever lets the server near a non-loopback address: private ones are refused before any
connection, and the connection tests use loopback names on a server told not to call loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.test_pools import error_of
from tests.support.idp import OidcProvider, Reply
from tests.support.server import Credentials, ServerProcess

CLIENT = "client-1"
POLICY_TAIL = "this server calls such addresses only when its operator allows them."


def iam(server: ServerProcess, credentials: Credentials) -> Any:
    return server.client(credentials, service="iam")


@pytest.mark.parametrize(
    ("url", "host", "kind"),
    [
        ("https://10.0.0.1", "10.0.0.1", "private"),
        ("https://192.168.1.1:8443/realms/x", "192.168.1.1", "private"),
        ("https://172.16.0.1", "172.16.0.1", "private"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254", "link-local"),
        ("https://[fe80::1]", "fe80::1", "link-local"),
        ("https://[fd00::1]/idp", "fd00::1", "unique-local"),
        ("https://[::ffff:10.0.0.1]", "::ffff:10.0.0.1", "private"),
        ("https://[::ffff:169.254.169.254]", "::ffff:169.254.169.254", "link-local"),
        ("https://0.0.0.0:8443", "0.0.0.0", "unspecified"),  # reaches loopback
        ("https://224.0.0.1", "224.0.0.1", "multicast"),
        ("https://100.64.0.1", "100.64.0.1", "shared (carrier-grade NAT)"),
    ],
)
def test_providers_on_non_public_addresses_are_refused(
    server: ServerProcess, account: Credentials, url: str, host: str, kind: str
) -> None:
    client = iam(server, account)
    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(Url=url, ClientIDList=[CLIENT])
    assert error_of(exc) == (
        "InvalidInput",
        f"Invalid URL {url}: {host} is not a public address ({kind}); {POLICY_TAIL}",
        400,
    )
    assert client.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


# --- a server whose operator allows a private network and one name, but not loopback -------------


class Trap:
    """A loopback port that only counts the connections it is offered."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1


class NamedIdp(OidcProvider):
    """An OpenID provider whose discovery document names its JWKS under its issuer URL (a name),
    not under its 127.0.0.1 address."""

    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        reply = super().handle(path, query, headers, raw_path)
        if path == "/.well-known/openid-configuration" and isinstance(reply.body, dict):
            return Reply(200, {**reply.body, "jwks_uri": self.issuer + "/jwks"})
        return reply


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("ssrf")
    env = {"COGNITOIDENTITY_OUTBOUND_ALLOW": "10.0.0.0/8,localhost"}
    server = ServerProcess(data_dir, str(data_dir / "store.db"), extra_env=env).start()
    try:
        yield server
    finally:
        server.stop()


def login_through(server: ServerProcess, url: str, token: str) -> str:
    """Create an IAM provider on ``url`` and a pool trusting it; GetId with ``token``."""
    account = server.new_account()
    arn = iam(server, account).create_open_id_connect_provider(Url=url, ClientIDList=[CLIENT])[
        "OpenIDConnectProviderArn"
    ]
    pool_id = server.client(account).create_identity_pool(
        IdentityPoolName="ssrf",
        AllowUnauthenticatedIdentities=False,
        OpenIdConnectProviderARNs=[arn],
    )["IdentityPoolId"]
    key = url.split("://", 1)[1]
    identity: str = server.client(unsigned=True).get_id(
        IdentityPoolId=pool_id, Logins={key: token}
    )["IdentityId"]
    return identity


def test_the_setting_replaces_the_loopback_default(guarded: ServerProcess) -> None:
    client = iam(guarded, guarded.new_account())
    for url in ("https://10.1.2.3/realms/x", "http://10.1.2.3:8080", "http://localhost:9000"):
        client.create_open_id_connect_provider(Url=url, ClientIDList=[CLIENT])
    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(Url="http://127.0.0.1:8080")
    code, message, _ = error_of(exc)
    assert code == "InvalidInput"
    assert "the URL must begin with https://" in message
    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(Url="https://127.0.0.1:8443")
    assert "127.0.0.1 is not a public address (loopback)" in error_of(exc)[1]


def test_a_name_resolving_to_loopback_is_refused_before_connecting(
    guarded: ServerProcess,
) -> None:
    """``127.1`` is a name to the URL checks and 127.0.0.1 to the resolver (as a DNS name pointing
    at an internal address would be): created, then refused at login without a connection."""
    trap = Trap()
    try:
        issuer = f"https://127.1:{trap.port}"
        signer = OidcProvider(issuer)
        signer.stop()
        with pytest.raises(ClientError) as exc:
            login_through(guarded, issuer, signer.mint(aud=CLIENT))
        assert error_of(exc) == (
            "ExternalServiceException",
            f"Error calling 127.1:{trap.port}: connection failed",
            400,
        )
        assert trap.connections() == 0
        assert "127.1 resolves to 127.0.0.1" in guarded.log_text()
    finally:
        trap.sock.close()


def test_an_allowed_name_works_and_its_discovery_cannot_point_elsewhere(
    guarded: ServerProcess,
) -> None:
    named = NamedIdp()
    named.issuer = f"http://localhost:{named.port}"
    plain = OidcProvider()  # its discovery names http://127.0.0.1:<port>/jwks
    plain.issuer = f"http://localhost:{plain.port}"
    named.start()
    plain.start()
    try:
        assert login_through(guarded, named.issuer, named.mint(aud=CLIENT))
        with pytest.raises(ClientError) as exc:
            login_through(guarded, plain.issuer, plain.mint(aud=CLIENT))
        code, message, _ = error_of(exc)
        assert code == "ExternalServiceException"
        assert message.startswith(f"Error calling localhost:{plain.port}: not an HTTPS URL")
        assert plain.hits["/.well-known/openid-configuration"] == 1
        assert plain.hits["/jwks"] == 0
    finally:
        named.stop()
        plain.stop()
