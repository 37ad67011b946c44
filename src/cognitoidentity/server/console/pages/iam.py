"""IAM: the account's OpenID Connect and SAML providers, its roles, and one role with its trust
policy, inline and attached policies, and a simulation of an action on a resource.

Operations: ListOpenIDConnectProviders, GetOpenIDConnectProvider, ListSAMLProviders, ListRoles,
GetRole, ListRolePolicies, GetRolePolicy, ListAttachedRolePolicies, GetPolicy, GetPolicyVersion,
SimulatePrincipalPolicy (IAM's own evaluation, the policy engine every decision uses). Reading
only: roles and policies are changed with the IAM API."""

from __future__ import annotations

from typing import Any

from cognitoidentity.server.console.http import Response
from cognitoidentity.server.console.pages.base import Page, worded
from cognitoidentity.server.errors import ServiceError

ROLES_PER_PAGE = 50


async def providers(page: Page) -> Response:
    oidc = []
    listed = await page.api.iam("ListOpenIDConnectProviders")
    for entry in listed.get("OpenIDConnectProviderList") or []:
        arn = entry["Arn"]
        detail = await page.api.iam("GetOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
        oidc.append({"Arn": arn, **detail})
    saml = (await page.api.iam("ListSAMLProviders")).get("SAMLProviderList") or []
    return page.render("iam_providers.html", oidc=oidc, saml=saml, section="providers")


async def list_roles(page: Page) -> Response:
    params: dict[str, Any] = {"MaxItems": ROLES_PER_PAGE}
    marker = page.request.query.get("marker")
    if marker:
        params["Marker"] = marker
    answer = await page.api.iam("ListRoles", **params)
    return page.render(
        "iam_roles.html",
        roles=answer.get("Roles") or [],
        marker=answer.get("Marker") if answer.get("IsTruncated") else None,
        section="roles",
    )


async def show_role(page: Page) -> Response:
    name = page.param("role_name")
    role = (await page.api.iam("GetRole", RoleName=name))["Role"]
    inline = []
    for policy_name in (await page.api.iam("ListRolePolicies", RoleName=name))["PolicyNames"]:
        found = await page.api.iam("GetRolePolicy", RoleName=name, PolicyName=policy_name)
        inline.append({"PolicyName": policy_name, "PolicyDocument": found["PolicyDocument"]})
    attached = []
    listed = await page.api.iam("ListAttachedRolePolicies", RoleName=name)
    for entry in listed.get("AttachedPolicies") or []:
        policy = (await page.api.iam("GetPolicy", PolicyArn=entry["PolicyArn"]))["Policy"]
        version = await page.api.iam(
            "GetPolicyVersion", PolicyArn=entry["PolicyArn"], VersionId=policy["DefaultVersionId"]
        )
        attached.append({**entry, "Document": version["PolicyVersion"].get("Document", "")})
    query = page.request.query
    simulation = {"action": query.get("action").strip(), "resource": query.get("resource").strip()}
    results: list[dict[str, Any]] = []
    error = ""
    if simulation["action"]:
        try:
            answer = await page.api.iam(
                "SimulatePrincipalPolicy",
                PolicySourceArn=role["Arn"],
                ActionNames=[simulation["action"]],
                ResourceArns=[simulation["resource"] or "*"],
            )
            results = answer.get("EvaluationResults") or []
        except ServiceError as exc:
            error = worded(exc)
    return page.render(
        "iam_role.html",
        400 if error else 200,
        role=role,
        inline=inline,
        attached=attached,
        simulation=simulation,
        results=results,
        error=error,
        section="roles",
    )
