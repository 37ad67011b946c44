"""The operations the conformance scenario must exercise, in every SDK.

:data:`OPERATIONS` is the Cognito Identity API: all 23 operations of the service model (checked
against botocore's model by ``test_boto3.py``). :data:`STS_OPERATIONS` are the two STS calls of the
identity-pool flows: the basic flow's AssumeRoleWithWebIdentity with an OpenID token, and
GetCallerIdentity with every kind of temporary credentials the scenario is given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final

OPERATIONS: Final = (
    "CreateIdentityPool",
    "DescribeIdentityPool",
    "UpdateIdentityPool",
    "ListIdentityPools",
    "DeleteIdentityPool",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "SetIdentityPoolRoles",
    "GetIdentityPoolRoles",
    "SetPrincipalTagAttributeMap",
    "GetPrincipalTagAttributeMap",
    "GetId",
    "GetOpenIdToken",
    "GetCredentialsForIdentity",
    "GetOpenIdTokenForDeveloperIdentity",
    "LookupDeveloperIdentity",
    "MergeDeveloperIdentities",
    "UnlinkDeveloperIdentity",
    "UnlinkIdentity",
    "ListIdentities",
    "DescribeIdentity",
    "DeleteIdentities",
)

STS_OPERATIONS: Final = ("AssumeRoleWithWebIdentity", "GetCallerIdentity")

COGNITO: Final = "cognito-identity"
STS: Final = "sts"


def missing_operations(calls: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """What the table names and ``calls`` (``(service, operation)`` pairs, one per request the SDK
    actually sent and got an answer to) never exercised, per service; empty lists when complete."""
    seen = Counter(calls)
    return {
        COGNITO: [op for op in OPERATIONS if seen[(COGNITO, op)] == 0],
        STS: [op for op in STS_OPERATIONS if seen[(STS, op)] == 0],
    }


def unexpected_operations(calls: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Calls outside the table (a typo in a scenario, a service that was not meant to be hit)."""
    known = {(COGNITO, op) for op in OPERATIONS} | {(STS, op) for op in STS_OPERATIONS}
    return sorted(set(calls) - known)
