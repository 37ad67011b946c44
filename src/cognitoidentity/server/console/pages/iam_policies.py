"""The account's customer managed policies: the list, create, one policy with its default
version's document and its versions, a new version (the default, or not), and choosing or
deleting a version.

Every form is one IAM operation with its fields as typed (ListPolicies, CreatePolicy, GetPolicy,
GetPolicyVersion, ListPolicyVersions, CreatePolicyVersion, SetDefaultPolicyVersion,
DeletePolicyVersion), so IAM's checks and words answer: ``MalformedPolicyDocument`` with the
reason, "Policy document must be version 2012-10-17 or greater.", the 6,144-character and
five-version quotas. A refused form is shown again with what was typed.

**Choice**: a policy's page is ``/console/iam/policies/view?arn=<its ARN>`` (the forms send the ARN
as a field): its ARN, which holds its path, is what names it to every IAM operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from cognitoidentity.server.console.http import Response, redirect
from cognitoidentity.server.console.pages.base import Page, error_status, worded
from cognitoidentity.server.console.render import policy_text
from cognitoidentity.server.errors import ServiceError

POLICIES_PER_PAGE: Final = 50
LIST: Final = "/console/iam/policies"


def policy_url(arn: str) -> str:
    return f"{LIST}/view?arn={quote(arn, safe='')}"


@dataclass(slots=True)
class PolicyFields:
    """The create-policy form's fields, as text."""

    name: str = ""
    path: str = "/"
    description: str = ""
    document: str = ""

    def params(self) -> dict[str, Any]:
        """CreatePolicy's parameters (an empty path or description left out)."""
        out: dict[str, Any] = {"PolicyName": self.name, "PolicyDocument": self.document}
        if self.path:
            out["Path"] = self.path
        if self.description:
            out["Description"] = self.description
        return out


async def list_policies(page: Page) -> Response:
    params: dict[str, Any] = {"Scope": "Local", "MaxItems": POLICIES_PER_PAGE}
    marker = page.request.query.get("marker")
    if marker:
        params["Marker"] = marker
    answer = await page.api.iam("ListPolicies", **params)
    return page.render(
        "iam_policies.html",
        policies=answer.get("Policies") or [],
        marker=answer.get("Marker") if answer.get("IsTruncated") else None,
        section="policies",
    )


async def create_policy(page: Page) -> Response:
    if page.request.method == "GET":
        return _create_form(page, PolicyFields(), [], 200)
    form = page.request.form
    fields = PolicyFields(
        name=form.get("name").strip(),
        path=form.get("path").strip(),
        description=form.get("description"),
        document=form.get("document"),
    )
    try:
        created = await page.api.iam("CreatePolicy", **fields.params())
    except ServiceError as error:
        return _create_form(page, fields, [worded(error)], 400)
    return redirect(policy_url(created["Policy"]["Arn"]))


def _create_form(page: Page, fields: PolicyFields, errors: list[str], status: int) -> Response:
    return page.render(
        "iam_policy_create.html", status, fields=fields, errors=errors, section="policies"
    )


async def show_policy(page: Page) -> Response:
    return await policy_view(page, page.request.query.get("arn"))


async def policy_view(
    page: Page,
    arn: str,
    status: int = 200,
    errors: list[str] | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    """The policy's page; ``errors`` and ``typed``: a refused new version and what was typed."""
    policy = (await page.api.iam("GetPolicy", PolicyArn=arn))["Policy"]
    default = await page.api.iam(
        "GetPolicyVersion", PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
    )
    document = policy_text(default["PolicyVersion"].get("Document"))
    versions = (await page.api.iam("ListPolicyVersions", PolicyArn=policy["Arn"]))["Versions"]
    new_version = {"document": document, "set_default": True, **(typed or {})}
    return page.render(
        "iam_policy.html",
        status,
        policy=policy,
        document=document,
        versions=versions,
        new_version=new_version,
        errors=errors or [],
        section="policies",
    )


async def create_version(page: Page) -> Response:
    form = page.request.form
    arn = form.get("policy_arn")
    typed = {"document": form.get("document"), "set_default": form.checked("set_default")}
    try:
        await page.api.iam(
            "CreatePolicyVersion",
            PolicyArn=arn,
            PolicyDocument=typed["document"],
            SetAsDefault=typed["set_default"],
        )
    except ServiceError as error:
        return await policy_view(page, arn, 400, [worded(error)], typed)
    return redirect(policy_url(arn))


async def _version_change(page: Page, operation: str) -> Response:
    form = page.request.form
    arn = form.get("policy_arn")
    try:
        await page.api.iam(operation, PolicyArn=arn, VersionId=form.get("version_id"))
    except ServiceError as error:
        return await policy_view(page, arn, error_status(error), [worded(error)])
    return redirect(policy_url(arn))


async def set_default_version(page: Page) -> Response:
    return await _version_change(page, "SetDefaultPolicyVersion")


async def delete_version(page: Page) -> Response:
    return await _version_change(page, "DeletePolicyVersion")
