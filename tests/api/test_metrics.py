"""Operating the server: ``/metrics`` scraped over HTTP from a real server process after real calls
(requests by operation and status with their latency buckets, logins by provider kind and
outcome, provider fetches, identities, tokens, credentials, store commits, cache lookups), the
same in prometheus-client's multiprocess mode, ``/health`` and ``/ready``, and the JSON log.

Counts are compared before and after the calls of each test, so the tests may share a server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from cognitoidentity.server.app import Application, Mounted
from cognitoidentity.server.bootstrap import mount, start, stop
from cognitoidentity.server.metrics import MULTIPROCESS_ENV, Metrics
from cognitoidentity.server.settings import Settings
from tests.api.test_flows import pool_with_roles
from tests.support.idp import OidcProvider, free_port
from tests.support.server import ServerProcess

GOOGLE = "accounts.google.com"
GOOGLE_CLIENT = "metrics-client.apps.googleusercontent.com"
REQUESTS = "cognitoidentity_request_duration_seconds"


@dataclass(frozen=True)
class Scrape:
    """One ``/metrics`` answer: sample (name, labels) → value."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]
    content_type: str

    def value(self, name: str, **labels: str) -> float:
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str) -> float:
        """The sum over every label set of ``name``."""
        return sum(v for (sample, _), v in self.samples.items() if sample == name)

    def buckets(self, operation: str, status: str) -> list[tuple[float, float]]:
        """The request histogram's cumulative buckets (upper bound, count) for one series."""
        found = [
            (float(dict(labels)["le"]), value)
            for (name, labels), value in self.samples.items()
            if name == REQUESTS + "_bucket"
            and dict(labels).get("operation") == operation
            and dict(labels).get("status") == status
        ]
        return sorted(found)


def scrape(url: str) -> Scrape:
    answer = httpx.get(url + "/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(samples, answer.headers["content-type"])


@pytest.fixture(scope="module")
def google() -> Iterator[OidcProvider]:
    provider = OidcProvider("https://accounts.google.com").start()
    assert isinstance(provider, OidcProvider)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="module")
def metered(
    tmp_path_factory: pytest.TempPathFactory, google: OidcProvider
) -> Iterator[ServerProcess]:
    """A server of this module's own, with a local Google and its log as JSON at info level."""
    data_dir = tmp_path_factory.mktemp("metrics")
    env = {
        "COGNITOIDENTITY_PROVIDER_ENDPOINTS": orjson.dumps({GOOGLE: google.url}).decode(),
        "COGNITOIDENTITY_LOG_LEVEL": "info",
        "COGNITOIDENTITY_LOG_FORMAT": "json",
    }
    server = ServerProcess(data_dir, str(data_dir / "store.db"), extra_env=env).start()
    try:
        yield server
    finally:
        server.stop()


def test_calls_are_counted_by_operation_and_status(metered: ServerProcess) -> None:
    account = metered.new_account()
    before = scrape(metered.url)
    pool_id = pool_with_roles(metered.client(account), account)
    public = metered.client(unsigned=True)
    identity_id = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
    public.get_credentials_for_identity(IdentityId=identity_id)
    public.get_open_id_token(IdentityId=identity_id)
    missing = "us-east-1:00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError):
        metered.client(account).describe_identity_pool(IdentityPoolId=missing)
    after = scrape(metered.url)

    assert after.content_type.startswith("text/plain; version=0.0.4")
    for operation, status in [
        ("CreateIdentityPool", "200"),
        ("SetIdentityPoolRoles", "200"),
        ("GetId", "200"),
        ("GetCredentialsForIdentity", "200"),
        ("GetOpenIdToken", "200"),
        ("DescribeIdentityPool", "400"),
    ]:
        labels = {"operation": operation, "status": status}
        count = after.value(REQUESTS + "_count", **labels) - before.value(
            REQUESTS + "_count", **labels
        )
        assert count == 1, (operation, status)
        assert after.value(REQUESTS + "_sum", **labels) > before.value(REQUESTS + "_sum", **labels)
        # The call landed in the buckets at and above its duration, and in no other.
        now, then = after.buckets(operation, status), before.buckets(operation, status)
        moved = [b - dict(then).get(le, 0.0) for le, b in now]
        assert moved[-1] == 1 and now[-1][0] == float("inf")
        assert moved == sorted(moved) and set(moved) <= {0.0, 1.0}
        assert moved[-2] == 1  # under 10 s, the largest finite bucket
    assert after.value(REQUESTS + "_count", operation="DescribeIdentityPool", status="200") == 0

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert delta("cognitoidentity_identities_created_total", kind="unauthenticated") == 1
    assert delta("cognitoidentity_identities_created_total", kind="authenticated") == 0
    assert delta("cognitoidentity_credentials_issued_total") == 1
    assert delta("cognitoidentity_openid_tokens_issued_total") == 1
    # Pool, roles and identity went through the SQLite writer's group commits.
    commits = delta("cognitoidentity_store_commit_duration_seconds_count")
    assert commits >= 1
    assert delta("cognitoidentity_store_commit_writes_count") == commits
    assert delta("cognitoidentity_store_commit_writes_sum") >= 3
    assert delta("cognitoidentity_store_commit_duration_seconds_sum") > 0
    assert after.total("cognitoidentity_cache_lookups_total") > before.total(
        "cognitoidentity_cache_lookups_total"
    )


def test_logins_and_provider_fetches_are_counted(
    metered: ServerProcess, google: OidcProvider
) -> None:
    account = metered.new_account()
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    metered.client(account, service="iam").create_open_id_connect_provider(
        Url=dead, ClientIDList=["dead-client"]
    )
    dead_arn = f"arn:aws:iam::{account.account_id}:oidc-provider/{dead.removeprefix('http://')}"
    pool_id = pool_with_roles(
        metered.client(account),
        account,
        SupportedLoginProviders={GOOGLE: GOOGLE_CLIENT},
        OpenIdConnectProviderARNs=[dead_arn],
    )
    public = metered.client(unsigned=True)
    before = scrape(metered.url)
    token = google.mint(sub="metrics-user", aud=GOOGLE_CLIENT)
    public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: token})
    public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: token})  # the same user again
    with pytest.raises(ClientError) as wrong:
        public.get_id(
            IdentityPoolId=pool_id, Logins={GOOGLE: google.mint(sub="x", aud="another-client")}
        )
    assert wrong.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as unreachable:
        public.get_id(
            IdentityPoolId=pool_id,
            Logins={dead.removeprefix("http://"): google.mint(iss=dead, aud="dead-client")},
        )
    assert unreachable.value.response["Error"]["Code"] == "ExternalServiceException"
    after = scrape(metered.url)

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    logins = "cognitoidentity_login_verifications_total"
    assert delta(logins, kind="google", outcome="ok") == 2
    assert delta(logins, kind="google", outcome="rejected") == 1
    assert delta(logins, kind="oidc", outcome="unavailable") == 1
    assert after.total(logins) - before.total(logins) == 4
    fetches = "cognitoidentity_provider_fetches_total"
    # Google's discovery document and keys, once: the second login used the cached keys.
    assert delta(fetches, document="discovery", outcome="ok") == 1
    assert delta(fetches, document="jwks", outcome="ok") == 1
    assert delta(fetches, document="discovery", outcome="failed") == 1
    assert delta(fetches, document="jwks", outcome="failed") == 0
    assert delta("cognitoidentity_identities_created_total", kind="authenticated") == 1
    assert delta(REQUESTS + "_count", operation="GetId", status="200") == 2
    # NotAuthorizedException and ExternalServiceException are both 400s, as at AWS.
    assert delta(REQUESTS + "_count", operation="GetId", status="400") == 2
    assert delta(REQUESTS + "_count", operation="GetId", status="500") == 0


def test_health_and_ready(metered: ServerProcess) -> None:
    health = httpx.get(metered.url + "/health")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = httpx.get(metered.url + "/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert ready.headers["content-type"] == "application/json"
    counts = scrape(metered.url)
    assert counts.value(REQUESTS + "_count", operation="/ready", status="200") >= 1
    assert counts.value(REQUESTS + "_count", operation="/metrics", status="200") >= 1


def test_json_log_has_the_access_line_fields(metered: ServerProcess) -> None:
    answer = httpx.post(
        metered.url,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityService.GetId",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=b'{"IdentityPoolId": "not a pool id"}',
    )
    assert answer.status_code == 400
    request_id = answer.headers["x-amzn-requestid"]
    records = [
        json.loads(line)
        for line in metered.log_text().splitlines()
        if line.startswith("{")  # the banner is printed, not logged
    ]
    assert records and all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    (line,) = [r for r in records if r.get("request_id") == request_id]
    assert line["logger"] == "cognitoidentity.access" and line["level"] == "INFO"
    assert (line["operation"], line["status"]) == ("GetId", 400)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    # The same fields as the text line, which is the message.
    assert line["message"].startswith(f"{request_id} GetId 400 ")
    assert line["message"].endswith("ms")


def test_multiprocess_mode(tmp_path: Path) -> None:
    """With ``PROMETHEUS_MULTIPROC_DIR``, values go to files there and a scrape reads them."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = ServerProcess(
        data_dir, str(data_dir / "store.db"), extra_env={MULTIPROCESS_ENV: str(shared)}
    ).start()
    try:
        account = server.new_account()
        pool_id = pool_with_roles(server.client(account), account)
        server.client(unsigned=True).get_id(IdentityPoolId=pool_id)
        counts = scrape(server.url)
    finally:
        server.stop()
    assert counts.value(REQUESTS + "_count", operation="GetId", status="200") == 1
    assert counts.value("cognitoidentity_identities_created_total", kind="unauthenticated") == 1
    assert counts.value("cognitoidentity_store_commit_writes_count") >= 1
    assert counts.total("process_cpu_seconds_total") == 0  # per process: left out
    assert any(path.name.startswith("histogram_") for path in shared.iterdir())


def test_multiprocess_mode_needs_the_variable_before_the_import(tmp_path: Path) -> None:
    # This test process imported prometheus-client without the variable.
    with pytest.raises(RuntimeError, match="must be set before the process starts"):
        Metrics(multiprocess_dir=str(tmp_path))


def test_ready_waits_for_the_signing_key_and_the_store(tmp_path: Path) -> None:
    """In process: a runtime started without its background key generation is not ready until
    it holds a key, and is not ready again once its store is gone."""
    settings = Settings(
        data_dir=tmp_path, master_key="A" * 43 + "=", issuer_url="http://ready.test"
    )

    async def scenario() -> list[tuple[int, Any]]:
        started = await start(settings, bootstrap=False)
        app = Application(_never_mounted)
        app.mounted = mount(started)
        transport = httpx.ASGITransport(app=cast(Any, app))
        seen: list[tuple[int, Any]] = []
        async with httpx.AsyncClient(transport=transport, base_url="http://ready.test") as client:

            async def ready() -> None:
                answer = await client.get("/ready")
                seen.append((answer.status_code, answer.json()))

            await ready()
            await started.runtime.tokens.keys.current()  # what the server's warm-up does
            await ready()
            await started.runtime.store.close()
            await ready()
            assert (await client.get("/metrics")).status_code != 200  # no metrics, no page
        await stop(started.runtime)
        return seen

    seen = asyncio.run(scenario())
    assert seen[0] == (503, {"status": "not ready", "reason": "no signing key loaded yet"})
    assert seen[1] == (200, {"status": "ready"})
    status, answer = seen[2]
    assert status == 503 and answer["reason"].startswith("the store failed (")


async def _never_mounted() -> Mounted:
    raise AssertionError("mounted directly")
