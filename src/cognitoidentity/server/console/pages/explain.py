"""Why this role? A ``Logins`` map (or an identity) in, the steps GetCredentialsForIdentity would
take out: each login verified or refused and why, the claims, the role mapping and each rule
with the claim values it compared, the role, the trust decision, or the exact error.

The page calls ExplainRoleChoice, the operation behind ``POST /_cognitoidentity/v1/explain``
(:func:`...explain.explain_role_choice`), through the same validation and authorization, so the
console, the endpoint and ``cognitoidentity explain`` never disagree. Tokens are sent in the
form's body (a POST), never in a URL."""

from __future__ import annotations

from typing import Any

from cognitoidentity.server.console.forms import FormProblems, parse_logins
from cognitoidentity.server.console.http import Response
from cognitoidentity.server.console.pages.base import Page, worded
from cognitoidentity.server.errors import ServiceError


async def explain(page: Page) -> Response:
    pool_id = page.param("pool_id")
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    source = page.request.form if page.request.method == "POST" else page.request.query
    fields = {
        "logins": source.get("logins"),
        "identity_id": source.get("identity_id").strip(),
        "custom_role_arn": source.get("custom_role_arn").strip(),
    }
    result: dict[str, Any] | None = None
    errors: list[str] = []
    if page.request.method == "POST":
        try:
            params: dict[str, Any] = {"IdentityPoolId": pool_id}
            logins = parse_logins(fields["logins"])
            if logins:
                params["Logins"] = logins
            if fields["identity_id"]:
                params["IdentityId"] = fields["identity_id"]
            if fields["custom_role_arn"]:
                params["CustomRoleArn"] = fields["custom_role_arn"]
            result = await page.api.native("ExplainRoleChoice", **params)
        except FormProblems as problems:
            errors = problems.problems
        except ServiceError as error:
            errors = [worded(error)]
    return page.render(
        "explain.html",
        400 if errors else 200,
        pool=pool,
        fields=fields,
        result=result,
        errors=errors,
        section="pools",
    )
