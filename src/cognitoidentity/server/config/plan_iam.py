"""Planning an account's IAM managed policies and roles: create what is missing, update what
differs, report what only the store holds (never deleted, as every other resource of the file).

Policies come before the roles that attach them, in the plan and in the writes. A role or a
policy is known by its name, whatever its case (IAM's rule), and its ARN holds its path: a stored
one of the same name at another ARN is a problem, since IAM changes neither a name nor a path.

Documents are compared by their JSON values (:mod:`.documents`), so that a document the store
keeps as other text (written through the API, re-serialised) plans nothing. A managed policy
whose default version differs from the file gets a new version, made the default; at IAM's limit
of 5 versions the oldest version that is not the default is deleted first, as Terraform's
``aws_iam_policy`` does. **Choice**: a managed policy's description is updated in place when the
file changes it (IAM has no call for it; the file's resource is made to match it in full, and the
description does nothing but describe).

Writes go to the store as the operations write (the records built by :mod:`.declared_iam` with
the operations' own checks; the store's atomic mutations for updates), so every server process
sees them at its next request.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from cognitoidentity.server.config.declared import DeclaredAccount
from cognitoidentity.server.config.declared_iam import (
    ATTACHED_POLICIES,
    INLINE_POLICIES,
    DeclaredPolicy,
    DeclaredRole,
)
from cognitoidentity.server.config.documents import same_document
from cognitoidentity.server.config.locate import Path
from cognitoidentity.server.config.source import Problem
from cognitoidentity.server.operations import iam_common as common
from cognitoidentity.server.store.base import (
    IamManagedPolicy,
    IamRole,
    PolicyVersion,
    StoreError,
)

if TYPE_CHECKING:
    from cognitoidentity.server.config.plan import _Planner

ONLY = "only in the store"


def policy_name(arn: str) -> str:
    return common.policy_path_and_name(arn)[1]


def with_new_default(policy: IamManagedPolicy, document: str, now: datetime) -> IamManagedPolicy:
    """``policy`` with ``document`` as a new default version (``CreatePolicyVersion`` with
    ``SetAsDefault``), the oldest version that is not the default deleted first when the policy
    has IAM's 5 (``DeletePolicyVersion``)."""
    versions = policy.versions
    if len(versions) >= common.MAX_VERSIONS:
        oldest = next(v for v in versions if v.version_id != policy.default_version_id)
        versions = tuple(v for v in versions if v is not oldest)
    version = PolicyVersion(f"v{policy.next_version}", document, now)
    return replace(
        policy,
        versions=(*versions, version),
        default_version_id=version.version_id,
        next_version=policy.next_version + 1,
        updated_at=now,
    )


def desired_policy(
    current: IamManagedPolicy, want: IamManagedPolicy, now: datetime
) -> IamManagedPolicy:
    """``current`` as the file declares it: description, tags, and its default version's
    document (a new version only when the document means something else)."""
    out = replace(current, description=want.description, tags=dict(want.tags))
    document = want.default_version.document
    if same_document(current.default_version.document, document):
        return out
    return with_new_default(out, document, now)


def desired_role(current: IamRole, want: IamRole) -> IamRole:
    """``current`` as the file declares it, but for its attachments (written one by one) and the
    documents that mean what the file's do (their text kept)."""

    def document(have: str | None, mine: str) -> str:
        return have if have is not None and same_document(have, mine) else mine

    return replace(
        current,
        trust_policy=document(current.trust_policy, want.trust_policy),
        description=want.description,
        max_session_duration=want.max_session_duration,
        max_signin_session_duration=want.max_signin_session_duration,
        permissions_boundary=want.permissions_boundary,
        tags=dict(want.tags),
        inline_policies={
            name: document(current.inline_policies.get(name), text)
            for name, text in want.inline_policies.items()
        },
    )


def role_differences(have: IamRole, want: IamRole) -> list[str]:
    """What differs, as the plan tells it: the members by name, the inline policies put and
    deleted, the managed policies attached and detached (by name)."""
    out = [
        member
        for member, differs in (
            (
                "AssumeRolePolicyDocument",
                not same_document(have.trust_policy, want.trust_policy),
            ),
            ("Description", have.description != want.description),
            ("MaxSessionDuration", have.max_session_duration != want.max_session_duration),
            (
                "MaxSigninSessionDuration",
                have.max_signin_session_duration != want.max_signin_session_duration,
            ),
            ("PermissionsBoundary", have.permissions_boundary != want.permissions_boundary),
            ("Tags", have.tags != want.tags),
        )
        if differs
    ]
    put = [
        name
        for name, text in want.inline_policies.items()
        if name not in have.inline_policies or not same_document(have.inline_policies[name], text)
    ]
    deleted = [name for name in have.inline_policies if name not in want.inline_policies]
    if put or deleted:
        out.append(f"{INLINE_POLICIES} ({_listed(put=put, delete=deleted)})")
    attach = [policy_name(a) for a in want.attached_policies if a not in have.attached_policies]
    detach = [policy_name(a) for a in have.attached_policies if a not in want.attached_policies]
    if attach or detach:
        out.append(f"{ATTACHED_POLICIES} ({_listed(attach=attach, detach=detach)})")
    return out


def _listed(**names: list[str]) -> str:
    return "; ".join(f"{verb} {', '.join(items)}" for verb, items in names.items() if items)


class IamPlanner:
    """The IAM part of a plan (:class:`.plan._Planner`): its changes and problems go to it."""

    def __init__(self, planner: _Planner) -> None:
        self.planner = planner
        self.stored = planner.stored
        self.store = planner.store
        self.now = planner.now.replace(microsecond=0)

    def problem(self, path: Path, message: str) -> None:
        self.planner.problems.append(Problem(path, message))

    def account(self, account: DeclaredAccount) -> None:
        self.policies(account)
        self.roles(account)

    # -- managed policies ------------------------------------------------------------------------
    def policies(self, account: DeclaredAccount) -> None:
        mine = [p for p in self.stored.policies.values() if p.account_id == account.account_id]
        by_name = {p.name.lower(): p for p in mine}
        count = len(mine)
        for declared in account.policies:
            want = declared.policy
            have = by_name.get(want.name.lower())
            if have is not None and have.arn != want.arn:
                self.problem(
                    (*declared.path, "PolicyName"),
                    f"the store has the policy {have.arn} (a policy's name is unique in its"
                    " account whatever its case, and its path cannot change)",
                )
                continue
            subject = f"policy {want.arn}"
            if have is None:
                if count >= common.MAX_POLICIES:
                    self.problem(
                        (*declared.path, "PolicyName"),
                        "LimitExceeded: Cannot exceed quota for PoliciesPerAccount:"
                        f" {common.MAX_POLICIES}",
                    )
                    continue
                count += 1
                run = functools.partial(self.create_policy, want)
                self.planner.change("create", subject, run=run)
                continue
            differs = self.policy_differences(have, declared)
            if differs:
                run = functools.partial(self.update_policy, want)
                self.planner.change("update", subject, ", ".join(differs), run)

    def policy_differences(self, have: IamManagedPolicy, declared: DeclaredPolicy) -> list[str]:
        want = declared.policy
        out = [
            member
            for member, differs in (
                ("Description", have.description != want.description),
                ("Tags", have.tags != want.tags),
            )
            if differs
        ]
        if not same_document(have.default_version.document, want.default_version.document):
            after = with_new_default(have, want.default_version.document, self.now)
            gone = [v.version_id for v in have.versions if v not in after.versions]
            detail = f"a new default version {after.default_version_id}"
            if gone:
                detail += f"; {', '.join(gone)} deleted ({common.MAX_VERSIONS} versions at most)"
            out.insert(0, f"PolicyDocument ({detail})")
        return out

    async def create_policy(self, policy: IamManagedPolicy) -> None:
        if not await self.store.create_policy(policy, max_policies=common.MAX_POLICIES):
            raise StoreError(f"{policy.arn} was created meanwhile")

    async def update_policy(self, want: IamManagedPolicy) -> None:
        def update(current: IamManagedPolicy) -> IamManagedPolicy:
            return desired_policy(current, want, self.now)

        if await self.store.update_policy(want.account_id, want.arn, update) is None:
            raise StoreError(f"{want.arn} was deleted meanwhile")

    # -- roles -----------------------------------------------------------------------------------
    def roles(self, account: DeclaredAccount) -> None:
        account_id = account.account_id
        mine = [r for r in self.stored.roles.values() if r.account_id == account_id]
        by_name = {r.name.lower(): r for r in mine}
        count = len(mine)
        known = {p.policy.arn for p in account.policies} | {
            arn for arn, p in self.stored.policies.items() if p.account_id == account_id
        }
        for declared in account.roles:
            want = declared.role
            if not self.policies_exist(declared, known):
                continue
            have = by_name.get(want.name.lower())
            if have is not None and have.arn != want.arn:
                self.problem(
                    (*declared.path, "RoleName"),
                    f"the store has the role {have.arn} (a role's name is unique in its account"
                    " whatever its case, and its path cannot change)",
                )
                continue
            subject = f"role {want.arn}"
            if have is None:
                if count >= common.MAX_ROLES:
                    self.problem(
                        (*declared.path, "RoleName"),
                        f"LimitExceeded: Cannot exceed quota for RolesPerAccount: {common.MAX_ROLES}",
                    )
                    continue
                count += 1
                self.planner.change(
                    "create", subject, run=functools.partial(self.create_role, want)
                )
                continue
            differs = role_differences(have, want)
            if differs:
                rewrite = desired_role(have, want) != have  # more than attachments
                run = functools.partial(self.update_role, want, rewrite=rewrite)
                self.planner.change("update", subject, ", ".join(differs), run)

    def policies_exist(self, declared: DeclaredRole, known: set[str]) -> bool:
        """The policies a role names are the account's, declared or stored (``NoSuchEntity``, in
        the words of ``AttachRolePolicy`` and ``PutRolePermissionsBoundary``)."""
        ok = True
        for arn, where in declared.named_at:
            if arn in known:
                continue
            ok = False
            if where[-1] == "PermissionsBoundary":
                message = f"Scope ARN: {arn} does not exist or is not attachable."
            else:
                message = f"Policy {arn} does not exist or is not attachable."
            self.problem(where, f"NoSuchEntity: {message}")
        return ok

    async def create_role(self, role: IamRole) -> None:
        created = await self.store.create_role(
            replace(role, attached_policies=()), max_roles=common.MAX_ROLES
        )
        if not created:
            raise StoreError(f"{role.arn} was created meanwhile")
        await self.attach(role, ())

    async def update_role(self, want: IamRole, *, rewrite: bool) -> None:
        current = await self.store.get_role(want.account_id, want.name)
        if rewrite:

            def update(role: IamRole) -> IamRole:
                return desired_role(role, want)

            current = await self.store.update_role(want.account_id, want.name, update)
        if current is None:
            raise StoreError(f"{want.arn} was deleted meanwhile")
        await self.attach(want, current.attached_policies)

    async def attach(self, want: IamRole, attached: tuple[str, ...]) -> None:
        """Detach what the file leaves out, then attach what it adds (in its order), so that the
        role stays within IAM's 10 at every step."""
        for arn in attached:
            if arn not in want.attached_policies:
                await self.store.detach_role_policy(want.account_id, want.name, arn)
        for arn in want.attached_policies:
            if arn not in attached:
                await self.store.attach_role_policy(
                    want.account_id, want.name, arn, max_attached=common.MAX_ATTACHED
                )

    # -- only in the store -------------------------------------------------------------------------
    def kept(self, account: DeclaredAccount) -> None:
        self._kept(
            "policy", self.stored.policies, {p.policy.arn for p in account.policies}, account
        )
        self._kept("role", self.stored.roles, {r.role.arn for r in account.roles}, account)

    def _kept(
        self,
        kind: str,
        stored: Mapping[str, IamManagedPolicy | IamRole],
        declared: set[str],
        account: DeclaredAccount,
    ) -> None:
        for arn, record in stored.items():
            if record.account_id == account.account_id and arn not in declared:
                self.planner.change("keep", f"{kind} {arn}", ONLY)
