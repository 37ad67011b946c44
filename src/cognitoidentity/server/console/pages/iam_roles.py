"""IAM roles: the list; one role with its trust policy, inline and attached policies and a
simulation of an action on a resource; and their changes.

Every form is one IAM operation, its fields sent as typed: CreateRole, UpdateAssumeRolePolicy (the
trust policy), UpdateRole (description, maximum session), PutRolePolicy and DeleteRolePolicy
(inline policies), AttachRolePolicy and DetachRolePolicy (managed policies, chosen from
ListPolicies), DeleteRole. So IAM's own checks answer, with its words: a document that is no
policy is ``MalformedPolicyDocument`` with the reason, the size quotas are ``LimitExceeded``, a
role that still has policies is ``DeleteConflict``. A refused form is shown again with what was
typed and the error as the API words it.

Reading: GetRole, ListRoles, ListRolePolicies, GetRolePolicy, ListAttachedRolePolicies, GetPolicy,
GetPolicyVersion, ListPolicies, and SimulatePrincipalPolicy (IAM's own evaluation, the policy
engine every decision uses).

**Choice**: the page that creates a role is ``/console/iam/create-role``, not
``/console/iam/roles/new``: ``new`` is a valid role name, whose page that would hide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from cognitoidentity.server.console.forms import FormProblems
from cognitoidentity.server.console.http import Response, redirect, url_path
from cognitoidentity.server.console.pages.base import Page, error_status, worded
from cognitoidentity.server.console.render import policy_text
from cognitoidentity.server.errors import ServiceError

ROLES_PER_PAGE: Final = 50
MAX_POLICY_PAGES: Final = 10
"""ListPolicies calls (1,000 policies each) for the attach menu; an account holds at most 1,500."""
DEFAULT_MAX_SESSION: Final = "3600"
COGNITO_PRINCIPAL: Final = "cognito-identity.amazonaws.com"


def cognito_trust_policy(pool_id: str) -> str:
    """The trust policy a role for an identity pool's signed-in users has (the Cognito Developer
    Guide's "Role trust and permissions"), for the create form to start from: with ``pool_id``,
    the ``aud`` condition that keeps other pools' identities out."""
    condition: dict[str, Any] = {
        "ForAnyValue:StringLike": {f"{COGNITO_PRINCIPAL}:amr": "authenticated"}
    }
    if pool_id:
        condition = {"StringEquals": {f"{COGNITO_PRINCIPAL}:aud": pool_id}, **condition}
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": COGNITO_PRINCIPAL},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


def seconds(text: str, label: str, problems: list[str]) -> int | None:
    """A whole number of seconds typed in a form; None (and a problem) when it is none. Whether
    it is in range is the operation's to say."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return int(stripped)
    except ValueError:
        problems.append(f"{label}: a whole number of seconds")
        return None


@dataclass(slots=True)
class RoleFields:
    """The create-role form's fields, as text."""

    name: str = ""
    path: str = "/"
    description: str = ""
    max_session: str = DEFAULT_MAX_SESSION
    trust: str = ""

    def params(self) -> dict[str, Any]:
        """CreateRole's parameters (an empty path or description left out). Raises
        :class:`FormProblems`."""
        problems: list[str] = []
        out: dict[str, Any] = {"RoleName": self.name, "AssumeRolePolicyDocument": self.trust}
        duration = seconds(self.max_session, "Maximum session duration", problems)
        if problems:
            raise FormProblems(problems)
        if duration is not None:
            out["MaxSessionDuration"] = duration
        if self.path:
            out["Path"] = self.path
        if self.description:
            out["Description"] = self.description
        return out


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


async def create_role(page: Page) -> Response:
    if page.request.method == "GET":
        pool_id = page.request.query.get("pool_id").strip()
        fields = RoleFields(trust=cognito_trust_policy(pool_id))
        return _create_form(page, fields, [], 200)
    form = page.request.form
    fields = RoleFields(
        name=form.get("name").strip(),
        path=form.get("path").strip(),
        description=form.get("description"),
        max_session=form.get("max_session"),
        trust=form.get("trust"),
    )
    try:
        created = await page.api.iam("CreateRole", **fields.params())
    except FormProblems as problems:
        return _create_form(page, fields, problems.problems, 400)
    except ServiceError as error:
        return _create_form(page, fields, [worded(error)], 400)
    return redirect(url_path("iam", "roles", created["Role"]["RoleName"]))


def _create_form(page: Page, fields: RoleFields, errors: list[str], status: int) -> Response:
    return page.render(
        "iam_role_create.html", status, fields=fields, errors=errors, section="roles"
    )


async def show_role(page: Page) -> Response:
    return await role_view(page, page.param("role_name"))


async def role_view(
    page: Page, name: str, status: int = 200, errors: list[str] | None = None
) -> Response:
    """The role page; ``errors``: a refused change made from it (detach, delete a policy...)."""
    role = (await page.api.iam("GetRole", RoleName=name))["Role"]
    name = role["RoleName"]
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
    attached_arns = {entry["PolicyArn"] for entry in attached}
    attachable = [p for p in await account_policies(page) if p["Arn"] not in attached_arns]
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
        400 if error and status == 200 else status,
        role=role,
        inline=inline,
        attached=attached,
        attachable=attachable,
        simulation=simulation,
        results=results,
        error=error,
        errors=errors or [],
        section="roles",
    )


async def account_policies(page: Page) -> list[dict[str, Any]]:
    """The account's customer managed policies, every page of ListPolicies."""
    policies: list[dict[str, Any]] = []
    marker = None
    for _ in range(MAX_POLICY_PAGES):
        params: dict[str, Any] = {"Scope": "Local", "MaxItems": 1000}
        if marker:
            params["Marker"] = marker
        answer = await page.api.iam("ListPolicies", **params)
        policies += answer.get("Policies") or []
        marker = answer.get("Marker")
        if not answer.get("IsTruncated") or not marker:
            break
    return policies


async def edit_role(page: Page) -> Response:
    """The trust policy and the settings, each its own form (one operation each)."""
    role = (await page.api.iam("GetRole", RoleName=page.param("role_name")))["Role"]
    return _edit_form(page, role, {})


def _edit_form(
    page: Page,
    role: dict[str, Any],
    typed: dict[str, str],
    trust_errors: list[str] | None = None,
    settings_errors: list[str] | None = None,
) -> Response:
    values = {
        "trust": policy_text(role.get("AssumeRolePolicyDocument")),
        "description": role.get("Description", ""),
        "max_session": str(role.get("MaxSessionDuration", DEFAULT_MAX_SESSION)),
        **typed,
    }
    return page.render(
        "iam_role_edit.html",
        400 if trust_errors or settings_errors else 200,
        role=role,
        values=values,
        trust_errors=trust_errors or [],
        settings_errors=settings_errors or [],
        section="roles",
    )


async def update_trust(page: Page) -> Response:
    role = (await page.api.iam("GetRole", RoleName=page.param("role_name")))["Role"]
    document = page.request.form.get("trust")
    try:
        await page.api.iam(
            "UpdateAssumeRolePolicy", RoleName=role["RoleName"], PolicyDocument=document
        )
    except ServiceError as error:
        return _edit_form(page, role, {"trust": document}, trust_errors=[worded(error)])
    return redirect(url_path("iam", "roles", role["RoleName"]))


async def update_settings(page: Page) -> Response:
    role = (await page.api.iam("GetRole", RoleName=page.param("role_name")))["Role"]
    form = page.request.form
    typed = {"description": form.get("description"), "max_session": form.get("max_session")}
    problems: list[str] = []
    duration = seconds(typed["max_session"], "Maximum session duration", problems)
    if problems:
        return _edit_form(page, role, typed, settings_errors=problems)
    params: dict[str, Any] = {"RoleName": role["RoleName"], "Description": typed["description"]}
    if duration is not None:
        params["MaxSessionDuration"] = duration
    try:
        await page.api.iam("UpdateRole", **params)
    except ServiceError as error:
        return _edit_form(page, role, typed, settings_errors=[worded(error)])
    return redirect(url_path("iam", "roles", role["RoleName"]))


async def put_policy(page: Page) -> Response:
    """An inline policy: a new one, or (``?name=``) one of the role's, to change."""
    role = (await page.api.iam("GetRole", RoleName=page.param("role_name")))["Role"]
    name = role["RoleName"]
    if page.request.method == "GET":
        policy_name = page.request.query.get("name").strip()
        document = ""
        if policy_name:
            found = await page.api.iam("GetRolePolicy", RoleName=name, PolicyName=policy_name)
            document = policy_text(found["PolicyDocument"])
        return _policy_form(page, role, policy_name, document, bool(policy_name), [], 200)
    form = page.request.form
    policy_name = form.get("policy_name").strip()
    document = form.get("document")
    try:
        await page.api.iam(
            "PutRolePolicy", RoleName=name, PolicyName=policy_name, PolicyDocument=document
        )
    except ServiceError as error:
        existing = form.checked("existing")
        return _policy_form(page, role, policy_name, document, existing, [worded(error)], 400)
    return redirect(url_path("iam", "roles", name))


def _policy_form(
    page: Page,
    role: dict[str, Any],
    policy_name: str,
    document: str,
    existing: bool,
    errors: list[str],
    status: int,
) -> Response:
    return page.render(
        "iam_role_policy.html",
        status,
        role=role,
        policy_name=policy_name,
        document=document,
        existing=existing,
        errors=errors,
        section="roles",
    )


async def _change(page: Page, operation: str, **params: Any) -> Response:
    """A change made from the role page: back to it, or the page again with the refusal."""
    name = page.param("role_name")
    try:
        await page.api.iam(operation, RoleName=name, **params)
    except ServiceError as error:
        return await role_view(page, name, error_status(error), [worded(error)])
    return redirect(url_path("iam", "roles", name))


async def delete_policy(page: Page) -> Response:
    return await _change(page, "DeleteRolePolicy", PolicyName=page.request.form.get("policy_name"))


async def attach_policy(page: Page) -> Response:
    return await _change(page, "AttachRolePolicy", PolicyArn=page.request.form.get("policy_arn"))


async def detach_policy(page: Page) -> Response:
    return await _change(page, "DetachRolePolicy", PolicyArn=page.request.form.get("policy_arn"))


async def delete_role(page: Page) -> Response:
    """After the role's name is typed; while it has policies, IAM's ``DeleteConflict``."""
    role = (await page.api.iam("GetRole", RoleName=page.param("role_name")))["Role"]
    name = role["RoleName"]
    if page.request.method == "GET":
        return _delete_form(page, role, [], 200)
    if page.request.form.get("confirm_name") != name:
        return _delete_form(page, role, ["Type the role's name exactly to confirm."], 400)
    try:
        await page.api.iam("DeleteRole", RoleName=name)
    except ServiceError as error:
        return _delete_form(page, role, [worded(error)], 400)
    return redirect(url_path("iam", "roles"))


def _delete_form(page: Page, role: dict[str, Any], errors: list[str], status: int) -> Response:
    return page.render("iam_role_delete.html", status, role=role, errors=errors, section="roles")
