"""The dashboard: the account's counts (pools, IAM roles, OpenID Connect and SAML providers,
through the operations that list them) and, for the server's root account, the server's metrics.

**Choice**: the metrics (requests and errors, logins by provider kind, identities created) are
counted per process for the whole server, every account together (the ``/metrics`` page); showing
them to every account would tell each about the others' traffic, so only the root account
(``COGNITOIDENTITY_ROOT_ACCOUNT_ID``), the operator's, sees them here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

from cognitoidentity.server.console.http import Response
from cognitoidentity.server.console.pages.base import Page, is_root

MAX_PAGES = 100


class _Sample(Protocol):
    name: str
    labels: dict[str, str]
    value: float


async def dashboard(page: Page) -> Response:
    pools = 0
    token = None
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"MaxResults": 60}
        if token:
            params["NextToken"] = token
        answer = await page.api.cognito("ListIdentityPools", **params)
        pools += len(answer["IdentityPools"])
        token = answer.get("NextToken")
        if not token:
            break
    roles = 0
    marker = None
    for _ in range(MAX_PAGES):
        params = {"MaxItems": 1000}
        if marker:
            params["Marker"] = marker
        listed = await page.api.iam("ListRoles", **params)
        roles += len(listed.get("Roles") or [])
        marker = listed.get("Marker")
        if not listed.get("IsTruncated") or not marker:
            break
    oidc = len((await page.api.iam("ListOpenIDConnectProviders"))["OpenIDConnectProviderList"])
    saml = len((await page.api.iam("ListSAMLProviders"))["SAMLProviderList"])
    runtime = page.api.api.runtime
    metrics = None
    if is_root(page.api) and runtime.metrics is not None:
        metrics = summarize(_samples(runtime.metrics.scraped.collect()))
    return page.render(
        "dashboard.html",
        counts={"pools": pools, "roles": roles, "oidc": oidc, "saml": saml},
        metrics=metrics,
        section="dashboard",
    )


def _samples(families: Iterable[Any]) -> list[_Sample]:
    return [sample for family in families for sample in family.samples]


def summarize(samples: Iterable[_Sample]) -> dict[str, Any]:
    """Requests by status class, logins by provider kind and outcome, identities created by
    kind, from prometheus-client's samples."""
    requests: Counter[str] = Counter()
    logins: Counter[tuple[str, str]] = Counter()
    identities: Counter[str] = Counter()
    for sample in samples:
        if sample.name == "cognitoidentity_request_duration_seconds_count":
            status = sample.labels.get("status", "")
            requests["errors" if status[:1] in ("4", "5") else "ok"] += int(sample.value)
        elif sample.name == "cognitoidentity_login_verifications_total":
            key = (sample.labels.get("kind", ""), sample.labels.get("outcome", ""))
            logins[key] += int(sample.value)
        elif sample.name == "cognitoidentity_identities_created_total":
            identities[sample.labels.get("kind", "")] += int(sample.value)
    return {
        "requests": sum(requests.values()),
        "errors": requests["errors"],
        "logins": sorted(logins.items()),
        "identities": dict(identities),
    }
