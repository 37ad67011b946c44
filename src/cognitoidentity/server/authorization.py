"""The one authorization point: may this caller make this call?

Every request of every protocol comes here after its signature is verified and its parameters are
parsed, before its operation runs (``app.py`` for JSON 1.1, ``protocol/query.py`` for STS and IAM).

- **Unsigned callers** reach only what the model marks public (``authtype: none``): GetId,
  GetOpenIdToken, GetCredentialsForIdentity, UnlinkIdentity and STS AssumeRoleWithWebIdentity.
  The SigV4 layer has already refused an unsigned call to anything else.
- **Long-term access keys** act as their account's root: they may call everything, on their own
  account's resources only (the operations look resources up by account).
- **Temporary credentials** (``ASIA…`` keys whose session token we sealed) act as an assumed role.
  On AWS the role's permission policies decide; this server has no role policies yet, so a session
  may call only what AWS allows any caller: the public operations above and
  ``sts:GetCallerIdentity`` ("No permissions are required to perform this operation."). Anything
  else is refused as IAM refuses it: "User: <assumed-role ARN> is not authorized to perform:
  <service>:<Action> on resource: <ARN>" (``AccessDeniedException``; ``AccessDenied`` 403 in the
  Query services). Policy evaluation will take its place here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cognitoidentity.server.errors import AccessDeniedException
from cognitoidentity.server.sigv4 import Caller

__all__ = ["ALLOWED_TO_ANY_CALLER", "authorize", "resource_arn"]

ALLOWED_TO_ANY_CALLER: Final = frozenset({("sts", "GetCallerIdentity")})
"""Actions every authenticated caller may take whatever its policies say."""

_RESOURCE_PARAMETERS: Final = (
    "ResourceArn",
    "OpenIDConnectProviderArn",
    "SAMLProviderArn",
)
"""Parameters that name the call's resource by its ARN."""


def authorize(
    caller: Caller | None,
    service: str,
    operation: str,
    public: bool,
    params: Mapping[str, Any],
) -> None:
    """Raise :class:`AccessDeniedException` unless ``caller`` may call ``service:operation``
    (``public``: the model lets anyone call it, signed or not) with ``params``."""
    if public or caller is None or caller.session is None:
        return
    if (service, operation) in ALLOWED_TO_ANY_CALLER:
        return
    resource = resource_arn(service, caller, params)
    raise AccessDeniedException(
        f"User: {caller.principal_arn} is not authorized to perform: {service}:{operation}"
        f" on resource: {resource}"
    )


def resource_arn(service: str, caller: Caller, params: Mapping[str, Any]) -> str:
    """The ARN a denial names: the identity pool or the resource the call names, else ``*``
    (the account-wide actions: CreateIdentityPool, ListIdentityPools, ...)."""
    for name in _RESOURCE_PARAMETERS:
        value = params.get(name)
        if isinstance(value, str):
            return value
    pool_id = params.get("IdentityPoolId")
    if service == "cognito-identity" and isinstance(pool_id, str):
        region = pool_id.partition(":")[0] or caller.region
        return f"arn:aws:cognito-identity:{region}:{caller.account_id}:identitypool/{pool_id}"
    return "*"
