"""The operations: plain typed coroutines ``(context, parameters) -> output``, never seeing HTTP.

``COGNITO_IDENTITY`` maps each operation name of the service model that is built to its function;
names of the model missing here answer ``UnsupportedOperationException``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations import (
    developer,
    flows,
    identities,
    pool_roles,
    pools,
    principal_tags,
    tags,
)

Handler = Callable[[RequestContext, Any], Awaitable[Any]]

COGNITO_IDENTITY: dict[str, Handler] = {
    "CreateIdentityPool": pools.create_identity_pool,
    "DescribeIdentityPool": pools.describe_identity_pool,
    "UpdateIdentityPool": pools.update_identity_pool,
    "DeleteIdentityPool": pools.delete_identity_pool,
    "ListIdentityPools": pools.list_identity_pools,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsForResource": tags.list_tags_for_resource,
    "GetId": identities.get_id,
    "DescribeIdentity": identities.describe_identity,
    "ListIdentities": identities.list_identities,
    "DeleteIdentities": identities.delete_identities,
    "SetIdentityPoolRoles": pool_roles.set_identity_pool_roles,
    "GetIdentityPoolRoles": pool_roles.get_identity_pool_roles,
    "SetPrincipalTagAttributeMap": principal_tags.set_principal_tag_attribute_map,
    "GetPrincipalTagAttributeMap": principal_tags.get_principal_tag_attribute_map,
    "GetOpenIdToken": flows.get_open_id_token,
    "GetCredentialsForIdentity": flows.get_credentials_for_identity,
    "UnlinkIdentity": identities.unlink_identity,
    "GetOpenIdTokenForDeveloperIdentity": developer.get_open_id_token_for_developer_identity,
    "LookupDeveloperIdentity": developer.lookup_developer_identity,
    "MergeDeveloperIdentities": developer.merge_developer_identities,
    "UnlinkDeveloperIdentity": developer.unlink_developer_identity,
}
