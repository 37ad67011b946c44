"""IAM roles and managed policies in configuration files, applied to a real store of each kind:
created with the account's other resources (policies before the roles that attach them), then
nothing to do; what differs is updated (trust policy, description, session length, tags, inline
policies put and deleted, attachments); a managed policy's new document is a new default version,
the oldest other one deleted at IAM's 5; documents compare by meaning, not text; what only the
store holds is kept; a dump applied to an empty store dumps as the same file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cognitoidentity.server.config import ConfigError, Plan
from cognitoidentity.server.store import Store
from cognitoidentity.server.store.base import IamManagedPolicy, IamRole, PolicyVersion
from tests.config.conftest import ACCOUNT, POOL_ID
from tests.config.test_apply import apply, dump
from tests.store.conftest import StoreTarget
from tests.support.postgres import temporary_schema

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app/ci-authenticated"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/read-photos"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
COGNITO = "cognito-identity.amazonaws.com"


def trust(pool_id: str = POOL_ID, amr: str = "authenticated") -> dict[str, object]:
    """The standard Cognito trust policy (Developer Guide, role trust and permissions)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": COGNITO},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{COGNITO}:aud": pool_id},
                    "ForAnyValue:StringLike": {f"{COGNITO}:amr": amr},
                },
            }
        ],
    }


def allow(action: str, resource: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


INLINE_JSON = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::uploads/*",
                # JSON's numbers and booleans, which a dump writes as TOML's
                "Condition": {
                    "NumericLessThanEquals": {"s3:max-keys": 10, "aws:MultiFactorAuthAge": 3.5},
                    "Bool": {"aws:SecureTransport": True},
                },
            }
        ],
    }
)


def config(
    *,
    pool_id: str = POOL_ID,
    description: str = "Signed-in users",
    extra_role: str = 'MaxSessionDuration = 7200\nTags = [{ Key = "team", Value = "ci" }]',
    attached: str = '["read-photos"]',
    photos: str = "arn:aws:s3:::photos/*",
    inline: str = f"InlinePolicies.uploads = '{INLINE_JSON}'",
) -> str:
    """A pool, its authenticated role (trust policy as TOML tables, an inline policy as JSON
    text, a policy attached by name, a boundary by name) and two managed policies."""
    return f"""
version = 1

[[accounts]]
id = "{ACCOUNT}"
name = "ci"

[[accounts.policies]]
PolicyName = "read-photos"
Description = "Read the shared photos"
Tags = [{{ Key = "team", Value = "ci" }}]

[accounts.policies.PolicyDocument]
Version = "2012-10-17"

[[accounts.policies.PolicyDocument.Statement]]
Effect = "Allow"
Action = ["s3:GetObject", "s3:ListBucket"]
Resource = "{photos}"

[[accounts.policies]]
PolicyName = "boundary"
PolicyDocument = '{json.dumps(allow("s3:*", "*"))}'

[[accounts.roles]]
RoleName = "ci-authenticated"
Path = "/app/"
Description = "{description}"
PermissionsBoundary = "boundary"
AttachedPolicies = {attached}
{extra_role}
{inline}

[accounts.roles.AssumeRolePolicyDocument]
Version = "2012-10-17"

[[accounts.roles.AssumeRolePolicyDocument.Statement]]
Effect = "Allow"
Principal = {{ Federated = "{COGNITO}" }}
Action = "sts:AssumeRoleWithWebIdentity"

[accounts.roles.AssumeRolePolicyDocument.Statement.Condition]
StringEquals = {{ "{COGNITO}:aud" = "{pool_id}" }}
"ForAnyValue:StringLike" = {{ "{COGNITO}:amr" = "authenticated" }}

[[accounts.pools]]
IdentityPoolId = "{POOL_ID}"
IdentityPoolName = "ci"
AllowUnauthenticatedIdentities = false
Roles = {{ authenticated = "{ROLE_ARN}" }}
"""


def role(target: StoreTarget, name: str = "ci-authenticated") -> IamRole:
    found = target.run(lambda store: store.get_role(ACCOUNT, name))
    assert found is not None
    return found


def policy(target: StoreTarget, arn: str = POLICY_ARN) -> IamManagedPolicy:
    found = target.run(lambda store: store.get_policy(ACCOUNT, arn))
    assert found is not None
    return found


def rendered(plan: Plan) -> list[str]:
    return [change.render() for change in plan.changes]


def test_roles_and_policies_are_created_then_nothing_to_do(
    target: StoreTarget, tmp_path: Path
) -> None:
    plan = apply(target, tmp_path, config())
    assert rendered(plan) == [
        f"create account {ACCOUNT} (ci)",
        f"create policy {POLICY_ARN}",
        f"create policy {BOUNDARY_ARN}",
        f"create role {ROLE_ARN}",
        f"create pool {POOL_ID} (ci)",
    ]
    made = role(target)
    assert (made.arn, made.path, made.description) == (ROLE_ARN, "/app/", "Signed-in users")
    assert made.role_id.startswith("AROA") and len(made.role_id) == 21
    assert (made.max_session_duration, made.tags) == (7200, {"team": "ci"})
    assert json.loads(made.trust_policy) == trust()
    assert made.inline_policies == {"uploads": INLINE_JSON}  # JSON text kept as written
    assert made.attached_policies == (POLICY_ARN,)
    assert made.permissions_boundary == BOUNDARY_ARN
    photos = policy(target)
    assert (photos.description, photos.tags, photos.default_version_id) == (
        "Read the shared photos",
        {"team": "ci"},
        "v1",
    )
    assert photos.policy_id.startswith("ANPA")
    assert json.loads(photos.default_version.document)["Statement"][0]["Action"] == [
        "s3:GetObject",
        "s3:ListBucket",
    ]
    assert photos.attachment_count == 1
    assert policy(target, BOUNDARY_ARN).boundary_usage_count == 1

    again = apply(target, tmp_path, config())
    assert again.render() == f"{tmp_path / 'c.toml'}: up to date"


def test_a_dry_run_prints_the_plan_and_writes_nothing(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    before = role(target)
    changed = config(
        pool_id="us-east-1:00000000-0000-4000-8000-000000000001",
        description="Users who signed in",
        extra_role='Tags = [{ Key = "team", Value = "web" }]',
        attached="[]",
        photos="arn:aws:s3:::photos/public/*",
        inline=f"InlinePolicies.downloads = '{INLINE_JSON.replace('Put', 'Get')}'",
    )
    plan = apply(target, tmp_path, changed, dry_run=True)
    assert plan.render().splitlines() == [
        f"{tmp_path / 'c.toml'}: 0 to create, 2 to update",
        f"  update policy {POLICY_ARN}: PolicyDocument (a new default version v2)",
        f"  update role {ROLE_ARN}: AssumeRolePolicyDocument, Description, MaxSessionDuration,"
        " Tags, InlinePolicies (put downloads; delete uploads), AttachedPolicies (detach"
        " read-photos)",
    ]
    assert role(target) == before
    assert policy(target).default_version_id == "v1"


def test_what_differs_is_updated(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    created = role(target)
    changed = config(
        pool_id="us-east-1:00000000-0000-4000-8000-000000000001",
        description="Users who signed in",
        extra_role='Tags = [{ Key = "team", Value = "web" }]',
        attached='["boundary"]',
        inline=f"InlinePolicies.downloads = '{INLINE_JSON.replace('Put', 'Get')}'",
    )
    plan = apply(target, tmp_path, changed)
    assert rendered(plan) == [
        f"update role {ROLE_ARN}: AssumeRolePolicyDocument, Description, MaxSessionDuration,"
        " Tags, InlinePolicies (put downloads; delete uploads), AttachedPolicies (attach"
        " boundary; detach read-photos)"
    ]
    updated = role(target)
    assert updated == replace(
        created,
        trust_policy=updated.trust_policy,
        description="Users who signed in",
        max_session_duration=3600,
        tags={"team": "web"},
        inline_policies={"downloads": INLINE_JSON.replace("Put", "Get")},
        attached_policies=(BOUNDARY_ARN,),
    )
    assert json.loads(updated.trust_policy) == trust(
        "us-east-1:00000000-0000-4000-8000-000000000001"
    )
    assert policy(target).attachment_count == 0
    assert not apply(target, tmp_path, changed).writes


def test_a_new_document_is_a_new_default_version_within_five(
    target: StoreTarget, tmp_path: Path
) -> None:
    apply(target, tmp_path, config())
    for number in range(2, 6):
        plan = apply(target, tmp_path, config(photos=f"arn:aws:s3:::photos/{number}/*"))
        assert rendered(plan) == [
            f"update policy {POLICY_ARN}: PolicyDocument (a new default version v{number})"
        ]
    assert [v.version_id for v in policy(target).versions] == ["v1", "v2", "v3", "v4", "v5"]

    plan = apply(target, tmp_path, config(photos="arn:aws:s3:::photos/6/*"))
    assert rendered(plan) == [
        f"update policy {POLICY_ARN}: PolicyDocument (a new default version v6; v1 deleted"
        " (5 versions at most))"
    ]
    # With v2 the default (SetDefaultPolicyVersion), the oldest other version goes: v3.
    target.run(
        lambda store: store.update_policy(
            ACCOUNT, POLICY_ARN, lambda p: replace(p, default_version_id="v2")
        )
    )
    apply(target, tmp_path, config(photos="arn:aws:s3:::photos/7/*"))
    after = policy(target)
    assert [v.version_id for v in after.versions] == ["v2", "v4", "v5", "v6", "v7"]
    assert after.default_version_id == "v7"
    assert json.loads(after.default_version.document)["Statement"][0]["Resource"] == (
        "arn:aws:s3:::photos/7/*"
    )


def test_documents_compare_by_meaning_not_text(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    # As written through the API by another tool: other key order, other spacing.
    document = json.dumps(dict(reversed(list(trust().items()))), indent=4)
    target.run(
        lambda store: store.update_role(
            ACCOUNT, "ci-authenticated", lambda r: replace(r, trust_policy=document)
        )
    )
    assert not apply(target, tmp_path, config()).writes
    assert role(target).trust_policy == document


def test_what_only_the_store_holds_is_kept(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    now = datetime.now(UTC).replace(microsecond=0)
    other_role = IamRole(
        f"arn:aws:iam::{ACCOUNT}:role/made-by-the-api",
        ACCOUNT,
        "made-by-the-api",
        "/",
        "AROAEXAMPLE0000000001",
        json.dumps(trust()),
        now,
    )
    other_policy = IamManagedPolicy(
        f"arn:aws:iam::{ACCOUNT}:policy/api-policy",
        ACCOUNT,
        "api-policy",
        "/",
        "ANPAEXAMPLE0000000001",
        now,
        now,
        (PolicyVersion("v1", json.dumps(allow("s3:*", "*")), now),),
    )

    async def add(store: Store) -> None:
        await store.create_policy(other_policy, max_policies=10)
        await store.create_role(other_role, max_roles=10)

    target.run(add)
    plan = apply(target, tmp_path, config())
    assert plan.render().splitlines() == [
        f"{tmp_path / 'c.toml'}: up to date, 2 only in the store (kept)",
        f"  keep   policy {other_policy.arn}: only in the store",
        f"  keep   role {other_role.arn}: only in the store",
    ]
    assert role(target, "made-by-the-api") == other_role


@contextmanager
def empty_store(target: StoreTarget, tmp_path: Path) -> Iterator[StoreTarget]:
    """Another store of ``target``'s kind, empty."""
    if target.kind == "sqlite":
        yield StoreTarget("sqlite", f"sqlite://{tmp_path / 'empty.db'}")
        return
    with temporary_schema() as url:
        yield StoreTarget("postgresql", url)


def test_dump_then_apply_to_an_empty_store_dumps_the_same_file(
    target: StoreTarget, tmp_path: Path
) -> None:
    apply(target, tmp_path, config())
    apply(target, tmp_path, config(photos="arn:aws:s3:::photos/2/*"))  # two versions now
    text = dump(target)
    assert "[[accounts.roles.AssumeRolePolicyDocument.Statement]]" in text
    assert 'AttachedPolicies = ["read-photos"]' in text
    assert 'PermissionsBoundary = "boundary"' in text
    assert '"aws:MultiFactorAuthAge" = 3.5' in text and '"aws:SecureTransport" = true' in text
    assert not apply(target, tmp_path, text).writes
    with empty_store(target, tmp_path) as empty:
        plan = apply(empty, tmp_path, text)
        assert plan.count("create") == 5
        assert dump(empty) == text
        assert role(empty).attached_policies == (POLICY_ARN,)


def test_what_the_store_refuses_names_the_line(target: StoreTarget, tmp_path: Path) -> None:
    missing = f"arn:aws:iam::{ACCOUNT}:policy/not-there"
    text = config(attached=f'["read-photos", "{missing}"]').replace(
        'PermissionsBoundary = "boundary"', f'PermissionsBoundary = "{missing}"'
    )
    with pytest.raises(ConfigError) as caught:
        apply(target, tmp_path, text)
    lines = text.splitlines()
    boundary = next(n for n, line in enumerate(lines, 1) if line.startswith("PermissionsBound"))
    attached = next(n for n, line in enumerate(lines, 1) if line.startswith("AttachedPolicies"))
    role_key = "accounts[0].roles[0]"
    assert str(caught.value).splitlines() == [
        f"{tmp_path / 'c.toml'}:{boundary}: {role_key}.PermissionsBoundary: NoSuchEntity: Scope"
        f" ARN: {missing} does not exist or is not attachable.",
        f"{tmp_path / 'c.toml'}:{attached}: {role_key}.AttachedPolicies[1]: NoSuchEntity: Policy"
        f" {missing} does not exist or is not attachable.",
    ]
    assert target.run(lambda store: store.get_account(ACCOUNT)) is None  # nothing written

    apply(target, tmp_path, config())
    moved = config().replace('Path = "/app/"', 'Path = "/web/"')
    with pytest.raises(ConfigError) as caught:
        apply(target, tmp_path, moved)
    assert str(caught.value).endswith(
        f"{role_key}.RoleName: the store has the role {ROLE_ARN} (a role's name is unique in its"
        " account whatever its case, and its path cannot change)"
    )
