"""IAM identity providers: the account's OpenID Connect and SAML providers.

Operations: ListOpenIDConnectProviders, GetOpenIDConnectProvider, ListSAMLProviders. Providers are
created and changed with the IAM API; roles are :mod:`.iam_roles`, managed policies
:mod:`.iam_policies`."""

from __future__ import annotations

from cognitoidentity.server.console.http import Response
from cognitoidentity.server.console.pages.base import Page


async def providers(page: Page) -> Response:
    oidc = []
    listed = await page.api.iam("ListOpenIDConnectProviders")
    for entry in listed.get("OpenIDConnectProviderList") or []:
        arn = entry["Arn"]
        detail = await page.api.iam("GetOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
        oidc.append({"Arn": arn, **detail})
    saml = (await page.api.iam("ListSAMLProviders")).get("SAMLProviderList") or []
    return page.render("iam_providers.html", oidc=oidc, saml=saml, section="providers")
