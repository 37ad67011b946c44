"""The dispatcher: which verifier a ``Logins`` key gets, several logins at once, unreachable and
slow providers, endpoint overrides and their settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace

import httpx
import pytest

from cognitoidentity.server.api.cognito_identity import (
    ExternalServiceException,
    NotAuthorizedException,
)
from cognitoidentity.server.logins import LoginVerifier
from cognitoidentity.server.logins.base import OidcProviderConfig
from cognitoidentity.server.logins.http import ProviderHttp, check_endpoints, is_loopback_host
from cognitoidentity.server.logins.oidc import OidcVerifier
from cognitoidentity.server.settings import Settings, settings_from_env
from tests.support.idp import (
    DictDirectory,
    GraphApi,
    HangingServer,
    HttpFake,
    OidcProvider,
    Reply,
    free_port,
)
from tests.support.idp_harness import ACCOUNT, Harness, make_pool

UNSUPPORTED = "Token is not from a supported provider of this identity pool."
FB_APP = "42"
GOOGLE_CLIENT = "web.apps.googleusercontent.com"


class Failing(HttpFake):
    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        return Reply(503, {"error": "unavailable"})


@pytest.fixture
def failing() -> Iterator[Failing]:
    server = Failing()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- choosing a verifier -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "login.example.com",
        "cognito-idp.us-east-1.amazonaws.com/us-east-1_Nope",
        "arn:aws:iam::123456789012:saml-provider/Nope",
        "www.digits.com",
        "login.myapp",
        "",
    ],
)
def test_unknown_keys_are_not_supported(key: str, harness: Harness) -> None:
    pool = make_pool(
        supported={"graph.facebook.com": FB_APP, "www.digits.com": "x"},
        cognito=(("cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", "c"),),
        developer="login.myapp",
    )
    with pytest.raises(NotAuthorizedException) as info:
        harness.verify_one(pool, key, "token")
    assert info.value.message == UNSUPPORTED


def _client_ids(verifier: object) -> tuple[str, ...]:
    assert isinstance(verifier, OidcVerifier)
    return verifier.settings.client_ids


def _oidc_directory(key: str, version: int | None) -> tuple[DictDirectory, str]:
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}"
    directory = DictDirectory(current_version=version)
    directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(f"https://{key}", ("client-1",))
    return directory, arn


def test_a_chosen_verifier_is_reused_only_for_the_same_pool_and_version() -> None:
    key = "login.example.com"
    directory, arn = _oidc_directory(key, version=1)
    pool = make_pool(oidc_arns=(arn,))

    async def scenario() -> None:
        logins = LoginVerifier(directory=directory)
        try:
            first = await logins.verifier_for(pool, key)
            assert await logins.verifier_for(pool, key) is first
            assert directory.lookups == 1
            reread = replace(pool)  # equal, but read again: maybe before a commit, so it asks
            assert _client_ids(await logins.verifier_for(reread, key)) == ("client-1",)
            assert directory.lookups == 2
            directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(f"https://{key}", ("client-2",))
            directory.current_version = 2  # committed since: the provider's new client ids count
            assert _client_ids(await logins.verifier_for(reread, key)) == ("client-2",)
            assert directory.lookups == 3
            directory.current_version = None  # a directory that cannot tell is asked every time
            await logins.verifier_for(reread, key)
            await logins.verifier_for(reread, key)
            assert directory.lookups == 5
        finally:
            await logins.aclose()

    asyncio.run(scenario())


class ChangingDirectory(DictDirectory):
    """A directory whose provider changes (and its version with it) right after its first lookup,
    as if a commit were noticed while a verifier was being chosen."""

    async def oidc_provider(self, account_id: str, arn: str) -> OidcProviderConfig | None:
        found = await super().oidc_provider(account_id, arn)
        if self.lookups == 1:
            url = found.url if found is not None else ""
            self.oidc[(account_id, arn)] = OidcProviderConfig(url, ("client-2",))
            self.current_version = 2
        return found


def test_a_verifier_chosen_while_the_directory_changed_is_chosen_again() -> None:
    """It is kept under the version read before choosing, so the next login chooses again."""
    key = "login.example.com"
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}"
    directory = ChangingDirectory(current_version=1)
    directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(f"https://{key}", ("client-1",))
    pool = make_pool(oidc_arns=(arn,))

    async def scenario() -> None:
        logins = LoginVerifier(directory=directory)
        try:
            assert _client_ids(await logins.verifier_for(pool, key)) == ("client-1",)
            assert _client_ids(await logins.verifier_for(pool, key)) == ("client-2",)
            assert _client_ids(await logins.verifier_for(pool, key)) == ("client-2",)
            assert directory.lookups == 2
        finally:
            await logins.aclose()

    asyncio.run(scenario())


def test_with_caches_off_a_verifier_is_chosen_at_every_login() -> None:
    key = "login.example.com"
    directory, arn = _oidc_directory(key, version=1)
    pool = make_pool(oidc_arns=(arn,))

    async def scenario() -> None:
        logins = LoginVerifier(directory=directory, caches=False)
        try:
            for _ in range(3):
                assert _client_ids(await logins.verifier_for(pool, key)) == ("client-1",)
            assert directory.lookups == 3
        finally:
            await logins.aclose()

    asyncio.run(scenario())


def test_known_provider_not_configured_in_the_pool_is_not_supported(harness: Harness) -> None:
    pool = make_pool(supported={"www.amazon.com": "amzn1.application.x"})
    with pytest.raises(NotAuthorizedException, match="not from a supported provider"):
        harness.verify_one(pool, "graph.facebook.com", "EAA")


def test_no_logins_is_an_empty_list(harness: Harness) -> None:
    assert harness.verify(make_pool(), {}) == []


def test_unsupported_key_is_refused_before_any_provider_is_called(
    graph: GraphApi, harness: Harness
) -> None:
    harness.endpoints["graph.facebook.com"] = graph.url
    pool = make_pool(supported={"graph.facebook.com": FB_APP})
    token, _ = graph.issue(FB_APP)
    with pytest.raises(NotAuthorizedException, match="not from a supported provider"):
        harness.verify(pool, {"graph.facebook.com": token, "accounts.google.com": "x"})
    assert sum(graph.hits.values()) == 0


# --- several logins ------------------------------------------------------------------------------


def test_several_logins_are_verified_and_returned_in_order(
    graph: GraphApi, google_idp: OidcProvider, harness: Harness
) -> None:
    harness.endpoints.update(
        {"graph.facebook.com": graph.url, "accounts.google.com": google_idp.url}
    )
    pool = make_pool(supported={"graph.facebook.com": FB_APP, "accounts.google.com": GOOGLE_CLIENT})
    fb_token, fb_user = graph.issue(FB_APP)
    google_token = google_idp.mint(sub="g-1", aud=GOOGLE_CLIENT)
    identities = harness.verify(
        pool, {"accounts.google.com": google_token, "graph.facebook.com": fb_token}
    )
    assert [(i.provider, i.user_id) for i in identities] == [
        ("accounts.google.com", "g-1"),
        ("graph.facebook.com", fb_user),
    ]


def test_first_failure_wins_and_the_others_are_cancelled(
    graph: GraphApi, hanging: HangingServer
) -> None:
    """A bad Facebook token fails at once although Google hangs: the call does not wait for the
    Google timeout."""
    harness = Harness(
        endpoints={"graph.facebook.com": graph.url, "accounts.google.com": hanging.url},
        timeout=3.0,
    )
    pool = make_pool(supported={"graph.facebook.com": FB_APP, "accounts.google.com": GOOGLE_CLIENT})
    token, _ = graph.issue("other-app")
    google = OidcProvider("https://accounts.google.com")
    try:
        google_token = google.mint(aud=GOOGLE_CLIENT)
    finally:
        google.stop()
    started = time.monotonic()
    with pytest.raises(NotAuthorizedException) as info:
        harness.verify(pool, {"accounts.google.com": google_token, "graph.facebook.com": token})
    assert info.value.message == UNSUPPORTED
    assert time.monotonic() - started < 2.0


# --- unreachable and slow providers --------------------------------------------------------------


def test_hanging_provider_times_out_with_external_service_error(
    hanging: HangingServer,
) -> None:
    harness = Harness(endpoints={"graph.facebook.com": hanging.url}, timeout=0.5)
    pool = make_pool(supported={"graph.facebook.com": FB_APP})
    started = time.monotonic()
    with pytest.raises(ExternalServiceException) as info:
        harness.verify_one(pool, "graph.facebook.com", "EAAtoken")
    elapsed = time.monotonic() - started
    assert info.value.message == "Error calling graph.facebook.com: timed out"
    assert 0.4 < elapsed < 2.0


def test_hanging_oidc_discovery_times_out(hanging: HangingServer) -> None:
    harness = Harness(endpoints={"accounts.google.com": hanging.url}, timeout=0.5)
    pool = make_pool(supported={"accounts.google.com": GOOGLE_CLIENT})
    google = OidcProvider("https://accounts.google.com")
    try:
        token = google.mint(aud=GOOGLE_CLIENT)
    finally:
        google.stop()
    with pytest.raises(ExternalServiceException, match=r"accounts\.google\.com: timed out"):
        harness.verify_one(pool, "accounts.google.com", token)


def test_refused_connection_is_an_external_service_error() -> None:
    harness = Harness(endpoints={"api.amazon.com": f"http://127.0.0.1:{free_port()}"})
    pool = make_pool(supported={"www.amazon.com": "amzn1.application.x"})
    with pytest.raises(ExternalServiceException) as info:
        harness.verify_one(pool, "www.amazon.com", "Atza|token")
    assert info.value.message == "Error calling www.amazon.com: connection failed"


def test_provider_5xx_is_an_external_service_error(failing: Failing) -> None:
    harness = Harness(endpoints={"graph.facebook.com": failing.url})
    pool = make_pool(supported={"graph.facebook.com": FB_APP})
    with pytest.raises(ExternalServiceException) as info:
        harness.verify_one(pool, "graph.facebook.com", "EAAtoken")
    # The provider's status stays in the server's log: a caller learns nothing of what it said.
    assert info.value.message == "Error calling graph.facebook.com: unexpected answer"


def test_jwks_fetch_failure_is_not_cached() -> None:
    """A provider that failed is asked again on the next call (no negative caching)."""
    harness = Harness(endpoints={"accounts.google.com": f"http://127.0.0.1:{free_port()}"})
    pool = make_pool(supported={"accounts.google.com": GOOGLE_CLIENT})
    google = OidcProvider("https://accounts.google.com")
    google.start()
    try:
        token = google.mint(aud=GOOGLE_CLIENT)

        async def main() -> None:
            async with harness.session() as verifier:
                with pytest.raises(ExternalServiceException):
                    await verifier.verify(pool, {"accounts.google.com": token})
                verifier.http.endpoints["accounts.google.com"] = google.url
                [identity] = await verifier.verify(pool, {"accounts.google.com": token})
                assert identity.provider == "accounts.google.com"

        asyncio.run(main())
    finally:
        google.stop()


# --- endpoints, URL policy, settings -------------------------------------------------------------


def test_override_keeps_the_path_and_query() -> None:
    http = ProviderHttp(
        httpx.AsyncClient(),
        {
            "accounts.google.com": "http://127.0.0.1:9000/google/",
            "idp.example.com:8443": "https://x",
        },
    )
    assert (
        http.resolve("https://accounts.google.com/.well-known/openid-configuration?a=b")
        == "http://127.0.0.1:9000/google/.well-known/openid-configuration?a=b"
    )
    assert http.resolve("https://idp.example.com:8443/jwks") == "https://x/jwks"
    assert http.resolve("https://other.example.com/jwks") == "https://other.example.com/jwks"
    assert http.allowed("https://anything.example.com/")
    assert http.allowed("http://127.0.0.1:9000/")
    assert http.allowed("http://[::1]:9000/")
    assert http.allowed("http://localhost:9000/")
    assert not http.allowed("http://login.example.com/")
    assert not http.allowed("ftp://127.0.0.1/")
    asyncio.run(http.client.aclose())


def test_override_origin_may_use_plain_http() -> None:
    http = ProviderHttp(httpx.AsyncClient(), {"graph.facebook.com": "http://idp.internal:8080"})
    assert http.allowed("http://idp.internal:8080/me")
    assert not http.allowed("http://idp.internal:9090/me")
    asyncio.run(http.client.aclose())


@pytest.mark.parametrize(
    "value",
    [[], {"graph.facebook.com": 1}, {"graph.facebook.com": "not a url"}, {"": "http://x"}],
)
def test_bad_endpoint_maps_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="provider endpoint"):
        check_endpoints(value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("127.0.0.1.nip.io", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_provider_endpoints_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "COGNITOIDENTITY_PROVIDER_ENDPOINTS", '{"graph.facebook.com": "http://127.0.0.1:9001"}'
    )
    settings = settings_from_env()
    assert settings.provider_endpoints == {"graph.facebook.com": "http://127.0.0.1:9001"}
    assert Settings().provider_endpoints == {}


def test_from_settings_uses_the_endpoints(graph: GraphApi) -> None:
    settings = Settings(provider_endpoints={"graph.facebook.com": graph.url})
    pool = make_pool(supported={"graph.facebook.com": FB_APP})
    token, user = graph.issue(FB_APP)

    async def main() -> None:
        verifier = LoginVerifier.from_settings(settings, DictDirectory(), timeout=2.0)
        try:
            [identity] = await verifier.verify(pool, {"graph.facebook.com": token})
            assert identity.user_id == user
        finally:
            await verifier.aclose()
        assert verifier.http.client.is_closed

    asyncio.run(main())


def test_a_verification_is_counted_by_what_it_raised() -> None:
    from cognitoidentity.server.logins.dispatch import _outcome

    assert _outcome(NotAuthorizedException("no")) == "rejected"
    assert _outcome(ExternalServiceException("down")) == "unavailable"
    assert _outcome(RuntimeError("bug")) == "error"
