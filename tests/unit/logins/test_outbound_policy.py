"""The outbound policy on its own: which provider URLs and resolved addresses the server may fetch
from, depending on where it listens, ``COGNITOIDENTITY_OUTBOUND_ALLOW`` and the configured provider
endpoints. Names are resolved by a fake resolver: nothing here touches the network."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence

import pytest

from cognitoidentity.server.cli import _settings, build_parser
from cognitoidentity.server.outbound import (
    OutboundPolicy,
    OutboundRefused,
    address_kind,
    is_loopback_host,
    parse_allow_list,
)
from cognitoidentity.server.settings import Settings, settings_from_env

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


class FakeResolver:
    """Answers from a table, and counts the questions."""

    def __init__(self, table: dict[str, Sequence[str]]) -> None:
        self.table = table
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append((host, port))
        if host not in self.table:
            raise OSError(f"no such host: {host}")
        return self.table[host]


def public_server(resolver: FakeResolver | None = None, **settings: object) -> OutboundPolicy:
    """The policy of a server listening on every interface (not on loopback)."""
    return OutboundPolicy.from_settings(
        Settings(host="0.0.0.0", **settings),  # type: ignore[arg-type]
        resolver=resolver or FakeResolver({}),
    )


def refusal(policy: OutboundPolicy, url: str) -> str:
    with pytest.raises(OutboundRefused) as info:
        policy.check_url(url)
    return info.value.reason


def resolve(policy: OutboundPolicy, host: str, port: int = 443) -> list[str]:
    return asyncio.run(policy.addresses(host, port))


# --- URLs, as CreateOpenIDConnectProvider and every fetch check them -----------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://127.0.0.1:8443", "loopback"),
        ("https://127.9.9.9/realms/x", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://localhost:9000/issuer", "loopback"),
        ("https://idp.localhost/", "loopback"),
        ("https://10.0.0.1/", "private"),
        ("https://172.16.5.4/", "private"),
        ("https://192.168.1.1/", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/", "link-local"),
        ("https://[fd00::1]/", "unique-local"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("https://[::ffff:169.254.169.254]/", "link-local"),
        ("https://[64:ff9b::a9fe:a9fe]/", "link-local"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://[::]/", "unspecified"),
        ("https://224.0.0.1/", "multicast"),
        ("https://[ff02::1]/", "multicast"),
        ("https://240.0.0.1/", "reserved"),
        ("https://100.64.0.1/", "shared (carrier-grade NAT)"),
    ],
)
def test_non_public_hosts_are_refused_when_listening_on_all_interfaces(url: str, kind: str) -> None:
    reason = refusal(public_server(), url)
    assert f"is not a public address ({kind})" in reason


@pytest.mark.parametrize(
    "url",
    [
        "https://login.example.com/tenant",
        f"https://{PUBLIC_V4}/",
        f"https://[{PUBLIC_V6}]:8443/",
        f"https://[::ffff:{PUBLIC_V4}]/",
    ],
)
def test_https_to_public_hosts_is_always_allowed(url: str) -> None:
    public_server().check_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://login.example.com", f"http://{PUBLIC_V4}/", "http://127.0.0.1:8080", "ftp://x.org"],
)
def test_plain_http_needs_the_operator(url: str) -> None:
    with pytest.raises(OutboundRefused) as info:
        public_server().check_url(url)
    assert info.value.plain_http
    assert "https://" in info.value.reason


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "LocalHost."])
def test_a_server_on_loopback_may_call_loopback(host: str) -> None:
    policy = OutboundPolicy.from_settings(Settings(host=host))
    for url in (
        "http://127.0.0.1:8080",
        "http://127.1.2.3/realms/dev",
        "http://localhost:9000/issuer",
        "http://[::1]:7000",
        "https://127.0.0.1:8443",
    ):
        policy.check_url(url)
    # Only loopback: the rest of the private network stays out of reach.
    assert "(private)" in refusal(policy, "https://10.0.0.1/")
    assert "(link-local)" in refusal(policy, "https://169.254.169.254/")
    assert refusal(policy, "http://login.example.com").startswith("the URL must begin with https")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.5", "server.example.com"])
def test_any_other_listening_host_gets_no_loopback(host: str) -> None:
    policy = OutboundPolicy.from_settings(Settings(host=host))
    assert not policy.allows_url("http://127.0.0.1:8080")
    assert not policy.allows_url("https://localhost/")


def test_the_setting_allows_hosts_and_networks_and_replaces_the_default() -> None:
    policy = OutboundPolicy.from_settings(
        Settings(host="127.0.0.1", outbound_allow=("10.0.0.0/8", "fd00::/8", "idp.corp.test"))
    )
    for url in (
        "https://10.1.2.3/",
        "http://10.1.2.3:8080/realms/x",
        "https://[fd00::5]/",
        "http://[::ffff:10.9.9.9]/",
        "http://idp.corp.test:8080/",
        "http://IDP.corp.test./",
        "https://login.example.com/",
    ):
        policy.check_url(url)
    # Listed, loopback is not allowed by default any more.
    assert "(loopback)" in refusal(policy, "https://127.0.0.1/")
    assert refusal(policy, "http://localhost:9000").startswith("the URL must begin with https")
    assert "(private)" in refusal(policy, "https://192.168.0.1/")
    assert refusal(policy, "http://other.corp.test/").startswith("the URL must begin with https")


def test_loopback_can_be_listed_with_other_entries() -> None:
    policy = public_server(outbound_allow=("loopback", "192.168.0.0/16"))
    policy.check_url("http://localhost:9000")
    policy.check_url("http://[::1]:9000")
    policy.check_url("http://192.168.4.4/")
    assert not policy.allows_url("https://10.0.0.1/")


def test_configured_provider_endpoints_are_allowed_as_they_are() -> None:
    policy = public_server(
        provider_endpoints={
            "accounts.google.com": "http://10.1.2.3:9000/google",
            "graph.facebook.com": "http://fb.corp.test",
        }
    )
    policy.check_url("http://10.1.2.3:9000/google/.well-known/openid-configuration")
    policy.check_url("http://fb.corp.test:80/me")
    # The operator chose that origin, not the host's other ports or schemes.
    assert "(private)" in refusal(policy, "https://10.1.2.3:9001/")
    assert refusal(policy, "http://10.1.2.3:22/").startswith("the URL must begin with https")
    assert refusal(policy, "http://fb.corp.test:8080/").startswith("the URL must begin")


# --- resolved addresses, as every connection checks them -----------------------------------------


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (["127.0.0.1"], "loopback"),
        (["10.0.0.7"], "private"),
        (["169.254.169.254"], "link-local"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["fd12::1"], "unique-local"),
        ([PUBLIC_V4, "192.168.0.10"], "private"),
    ],
)
def test_a_public_looking_name_resolving_to_a_refused_address_is_refused(
    answer: list[str], kind: str
) -> None:
    resolver = FakeResolver({"login.example.com": answer})
    policy = public_server(resolver)
    policy.check_url("https://login.example.com/")  # the name alone tells nothing
    with pytest.raises(OutboundRefused) as info:
        resolve(policy, "login.example.com")
    assert f"login.example.com resolves to {answer[-1]}" in info.value.reason
    assert f"({kind})" in info.value.reason
    assert resolver.asked == [("login.example.com", 443)]


def test_a_name_resolving_to_loopback_is_allowed_only_where_loopback_is() -> None:
    resolver = FakeResolver({"dev.example.com": ["127.0.0.1", "::1"]})
    with pytest.raises(OutboundRefused):
        resolve(public_server(resolver), "dev.example.com")
    on_loopback = OutboundPolicy.from_settings(Settings(host="127.0.0.1"), resolver=resolver)
    assert resolve(on_loopback, "dev.example.com") == ["127.0.0.1", "::1"]


def test_public_addresses_and_allowed_networks_are_answered() -> None:
    resolver = FakeResolver(
        {"login.example.com": [PUBLIC_V4, PUBLIC_V6], "idp.corp.test": ["10.2.3.4"]}
    )
    assert resolve(public_server(resolver), "login.example.com") == [PUBLIC_V4, PUBLIC_V6]
    allowed = public_server(resolver, outbound_allow=("10.0.0.0/8",))
    assert resolve(allowed, "idp.corp.test", 8443) == ["10.2.3.4"]
    assert resolver.asked[-1] == ("idp.corp.test", 8443)


def test_listed_names_and_endpoint_hosts_may_resolve_anywhere() -> None:
    resolver = FakeResolver({"idp.corp.test": ["10.2.3.4"], "fb.corp.test": ["192.168.3.3"]})
    policy = public_server(
        resolver,
        outbound_allow=("idp.corp.test",),
        provider_endpoints={"graph.facebook.com": "http://fb.corp.test:8080"},
    )
    assert resolve(policy, "idp.corp.test") == ["10.2.3.4"]
    assert resolve(policy, "fb.corp.test", 8080) == ["192.168.3.3"]
    with pytest.raises(OutboundRefused):
        resolve(policy, "fb.corp.test", 9090)


def test_address_literals_are_checked_without_resolving() -> None:
    resolver = FakeResolver({})
    policy = public_server(resolver)
    assert resolve(policy, PUBLIC_V4) == [PUBLIC_V4]
    with pytest.raises(OutboundRefused, match="loopback"):
        resolve(policy, "[::1]")
    assert resolver.asked == []


def test_a_name_that_does_not_resolve_is_a_connection_failure() -> None:
    with pytest.raises(OSError, match="no such host"):
        resolve(public_server(), "nowhere.example.com")


# --- the setting ---------------------------------------------------------------------------------


def test_allow_list_values() -> None:
    assert parse_allow_list(" 10.0.0.0/8, idp.corp.test ,loopback,,") == (
        "10.0.0.0/8",
        "idp.corp.test",
        "loopback",
    )
    assert parse_allow_list("none") == ()
    assert parse_allow_list("NONE") == ()
    for bad in ("http://idp.corp.test", "idp corp", "*.corp.test", "10.0.0.0/33", "a/b"):
        with pytest.raises(ValueError, match="outbound allow-list entry"):
            parse_allow_list(bad)


def test_the_setting_from_the_environment_and_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_from_env().outbound_allow is None
    monkeypatch.setenv("COGNITOIDENTITY_OUTBOUND_ALLOW", "10.0.0.0/8,idp.corp.test")
    assert settings_from_env().outbound_allow == ("10.0.0.0/8", "idp.corp.test")
    monkeypatch.setenv("COGNITOIDENTITY_OUTBOUND_ALLOW", "none")
    assert settings_from_env().outbound_allow == ()
    monkeypatch.setenv("COGNITOIDENTITY_OUTBOUND_ALLOW", "not a host")
    with pytest.raises(ValueError, match="COGNITOIDENTITY_OUTBOUND_ALLOW"):
        settings_from_env()
    monkeypatch.delenv("COGNITOIDENTITY_OUTBOUND_ALLOW")
    args = build_parser().parse_args(["serve", "--outbound-allow", "loopback,192.168.0.0/16"])
    assert _settings(args).outbound_allow == ("loopback", "192.168.0.0/16")


# --- the pieces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("app.localhost", True),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("example.com", False),
        ("127.0.0.1.nip.io", False),
        ("localhost.example.com", False),
    ],
)
def test_one_notion_of_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        (PUBLIC_V4, None),
        (PUBLIC_V6, None),
        (f"::ffff:{PUBLIC_V4}", None),
        ("8.8.8.8", None),
        ("10.255.255.255", "private"),
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("2002:5db8:d822::", None),  # 6to4 of a public address
        ("255.255.255.255", "reserved"),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind
