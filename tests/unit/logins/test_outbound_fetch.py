"""The outbound policy where logins fetch: IAM OpenID Connect providers whose name resolves to a
refused address, discovery documents naming a refused JWKS, redirects, DNS answers that change, and
what the caller is told.

Names resolve through a fake resolver, and connections go through a backend that records them and
opens only loopback ones: whatever the code under test does, nothing leaves this machine."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import typing
from collections.abc import Iterator, Mapping, Sequence

import httpcore
import pytest

from cognitoidentity.server.api.cognito_identity import ExternalServiceException
from cognitoidentity.server.logins import LoginVerifier
from cognitoidentity.server.logins.base import OidcProviderConfig
from cognitoidentity.server.logins.http import provider_client
from cognitoidentity.server.outbound import OutboundPolicy, OutboundRefused
from cognitoidentity.server.settings import Settings
from tests.support.idp import DictDirectory, HttpFake, OidcProvider, Reply
from tests.support.idp_harness import ACCOUNT, make_pool

CLIENT = "client-1"
PUBLIC = "93.184.216.34"


class FakeResolver:
    """Answers from a table (from ``then`` once a host was asked before: a DNS answer that
    changes), and records the questions."""

    def __init__(
        self, table: Mapping[str, Sequence[str]], *, then: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.table = dict(table)
        self.then = dict(then or {})
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        again = any(asked == host for asked, _ in self.asked)
        self.asked.append((host, port))
        if again and host in self.then:
            return self.then[host]
        if host not in self.table:
            raise OSError(f"no such host: {host}")
        return self.table[host]


class LoopbackOnly(httpcore.AsyncNetworkBackend):
    """Records every connection asked for; opens loopback ones, refuses any other."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connections: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connections.append((host, port))
        if not ipaddress.ip_address(host).is_loopback:
            raise httpcore.ConnectError(f"this test never connects to {host}")
        return await self.inner.connect_tcp(host, port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class Scripted(HttpFake):
    """Answers each path with a scripted reply (404 otherwise) and remembers the Host headers."""

    def __init__(self, replies: Mapping[str, Reply] | None = None) -> None:
        super().__init__()
        self.replies = dict(replies or {})
        self.hosts: list[str] = []

    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        self.hosts.append(headers.get("Host", ""))
        return self.replies.get(path, Reply(404, {"error": "not found"}))


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    server = Scripted()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def not_on_loopback(resolver: FakeResolver, **settings: object) -> OutboundPolicy:
    """The policy of a server listening on every interface."""
    return OutboundPolicy.from_settings(
        Settings(host="0.0.0.0", **settings),  # type: ignore[arg-type]
        resolver=resolver,
    )


def token_from(issuer: str) -> str:
    signer = OidcProvider(issuer)
    signer.stop()  # only its keys are needed: it mints, it never serves
    return signer.mint(aud=CLIENT)


def login(policy: OutboundPolicy, backend: LoopbackOnly, issuer: str, token: str) -> None:
    """A GetId-style login through the IAM OpenID Connect provider ``issuer``."""
    key = issuer.split("://", 1)[1]
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}"
    directory = DictDirectory()
    directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(issuer, (CLIENT,))
    pool = make_pool(oidc_arns=(arn,))

    async def main() -> None:
        client = provider_client(policy, 2.0, backend=backend)
        try:
            verifier = LoginVerifier(directory=directory, http=client, outbound=policy, timeout=2.0)
            await verifier.verify(pool, {key: token})
        finally:
            await client.aclose()

    asyncio.run(main())


# --- a provider's name resolving where it must not ---------------------------------------------


@pytest.mark.parametrize(
    "answer", [["127.0.0.1"], ["10.0.0.5"], ["169.254.169.254"], ["::ffff:10.0.0.5"], ["fd00::5"]]
)
def test_a_provider_whose_name_resolves_to_a_refused_address_is_never_connected_to(
    answer: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    issuer = "https://idp.example.test"
    resolver = FakeResolver({"idp.example.test": answer})
    backend = LoopbackOnly()
    with (
        caplog.at_level(logging.WARNING, "cognitoidentity.server.logins.http"),
        pytest.raises(ExternalServiceException) as info,
    ):
        login(not_on_loopback(resolver), backend, issuer, token_from(issuer))
    # What an unreachable provider answers: nothing about where the name led.
    assert info.value.message == "Error calling idp.example.test: connection failed"
    assert backend.connections == []
    assert resolver.asked == [("idp.example.test", 443)]
    # The operator's log says why.
    assert f"idp.example.test resolves to {answer[0]}" in caplog.text
    assert "refused by the outbound policy" in caplog.text


def test_a_listed_network_lets_the_same_provider_through(scripted: Scripted) -> None:
    """Allowed, the connection goes to the address that was checked (the name is not resolved a
    second time by the client), and the request still names the provider's host."""
    resolver = FakeResolver({"idp.example.test": ["127.0.0.1"]})
    policy = not_on_loopback(resolver, outbound_allow=("127.0.0.0/8",))
    backend = LoopbackOnly()
    scripted.replies["/ping"] = Reply(200, {"ok": True})

    async def main() -> int:
        async with provider_client(policy, 2.0, backend=backend) as client:
            return (await client.get(f"http://idp.example.test:{scripted.port}/ping")).status_code

    assert asyncio.run(main()) == 200
    assert backend.connections == [("127.0.0.1", scripted.port)]
    assert resolver.asked == [("idp.example.test", scripted.port)]
    assert scripted.hosts == [f"idp.example.test:{scripted.port}"]


def test_a_changed_dns_answer_is_checked_again_before_the_next_connection(
    scripted: Scripted,
) -> None:
    """DNS rebinding: the first answer passes, the next one (a new connection) points inside; the
    client never connects anywhere the policy did not see."""
    resolver = FakeResolver(
        {"idp.example.test": ["127.0.0.1"]}, then={"idp.example.test": ["10.0.0.9"]}
    )
    policy = not_on_loopback(resolver, outbound_allow=("127.0.0.0/8",))
    backend = LoopbackOnly()
    scripted.replies["/ping"] = Reply(200, {"ok": True})
    url = f"http://idp.example.test:{scripted.port}/ping"

    async def main() -> None:
        async with provider_client(policy, 2.0, backend=backend) as client:
            assert (await client.get(url, headers={"Connection": "close"})).status_code == 200
            with pytest.raises(OutboundRefused, match=r"resolves to 10\.0\.0\.9"):
                await client.get(url)

    asyncio.run(main())
    assert backend.connections == [("127.0.0.1", scripted.port)]
    assert len(resolver.asked) == 2


# --- URLs a provider's own answers name -----------------------------------------------------------


@pytest.mark.parametrize(
    ("jwks_uri", "reason"),
    [
        ("https://169.254.169.254/latest/meta-data/iam", "connection failed"),
        ("https://10.0.0.5/jwks", "connection failed"),
        ("https://[::ffff:192.168.0.1]/jwks", "connection failed"),
        ("https://metadata.example.test/jwks", "connection failed"),
        ("http://10.0.0.5/jwks", "not an HTTPS URL"),
    ],
)
def test_a_discovery_document_cannot_send_the_server_inside(
    scripted: Scripted, jwks_uri: str, reason: str
) -> None:
    """The JWKS URL comes from the provider's discovery document: the provider's owner chooses it,
    so it is checked like the provider's own URL (here on a server that may call loopback)."""
    issuer = scripted.url
    scripted.replies["/.well-known/openid-configuration"] = Reply(
        200, {"issuer": issuer, "jwks_uri": jwks_uri}
    )
    resolver = FakeResolver({"metadata.example.test": ["169.254.169.254"]})
    policy = OutboundPolicy.from_settings(Settings(host="127.0.0.1"), resolver=resolver)
    backend = LoopbackOnly()
    with pytest.raises(ExternalServiceException) as info:
        login(policy, backend, issuer, token_from(issuer))
    assert info.value.message.startswith(f"Error calling {issuer.split('://')[1]}: {reason}")
    assert backend.connections == [("127.0.0.1", scripted.port)]


def test_redirects_are_not_followed(scripted: Scripted) -> None:
    issuer = scripted.url
    scripted.replies["/.well-known/openid-configuration"] = Reply(
        302, {}, {"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    backend = LoopbackOnly()
    policy = OutboundPolicy.from_settings(Settings(host="127.0.0.1"), resolver=FakeResolver({}))
    with pytest.raises(ExternalServiceException) as info:
        login(policy, backend, issuer, token_from(issuer))
    assert info.value.message == f"Error calling {issuer.split('://')[1]}: unexpected answer"
    assert backend.connections == [("127.0.0.1", scripted.port)]


@pytest.mark.parametrize(
    ("replies", "message"),
    [
        (
            {"/.well-known/openid-configuration": Reply(503, {"error": "db password hunter2"})},
            "unexpected answer",
        ),
        (
            {"/.well-known/openid-configuration": Reply(404, {"error": "db password hunter2"})},
            "no jwks_uri in its OpenID configuration",
        ),
        ({"/jwks": Reply(401, {"error": "db password hunter2"})}, "no JWKS"),
    ],
)
def test_what_the_provider_answered_is_not_passed_on(
    scripted: Scripted, replies: dict[str, Reply], message: str
) -> None:
    issuer = scripted.url
    scripted.replies["/.well-known/openid-configuration"] = Reply(
        200, {"issuer": issuer, "jwks_uri": issuer + "/jwks"}
    )
    scripted.replies.update(replies)
    policy = OutboundPolicy.from_settings(Settings(host="127.0.0.1"), resolver=FakeResolver({}))
    with pytest.raises(ExternalServiceException) as info:
        login(policy, LoopbackOnly(), issuer, token_from(issuer))
    assert info.value.message == f"Error calling {issuer.split('://')[1]}: {message}"
