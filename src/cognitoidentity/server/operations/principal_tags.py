"""SetPrincipalTagAttributeMap and GetPrincipalTagAttributeMap, and turning a verified login's
claims into principal tags.

"You can use this operation to use default (username and clientID) attribute or custom attribute
mappings." The defaults map the tag ``client`` to the token's ``aud`` and ``username`` to ``sub``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations.lookups import pool_not_found, require_pool
from cognitoidentity.server.store.base import IdentityPool

DEFAULT_TAGS: Mapping[str, str] = {"client": "aud", "username": "sub"}
MAX_AGGREGATE_BYTES = 460
"""Developer Guide: the tag keys and attribute names of one provider add up to 460 bytes at most."""


def _effective(entry: Mapping[str, Any]) -> dict[str, str]:
    if entry.get("UseDefaults"):
        return dict(DEFAULT_TAGS)
    return dict(entry.get("PrincipalTags") or {})


async def set_principal_tag_attribute_map(
    ctx: RequestContext, params: api.SetPrincipalTagAttributeMapInput
) -> api.SetPrincipalTagAttributeMapResponse:
    """Store the map of one provider; ``UseDefaults`` true means the default map, whatever
    ``PrincipalTags`` says. A map that is empty and not defaults removes the provider's entry."""
    pool_id = params["IdentityPoolId"]
    provider = params["IdentityProviderName"]
    await require_pool(ctx, pool_id)
    use_defaults = params.get("UseDefaults", False)
    tags = dict(params.get("PrincipalTags", {}))
    with_principal_tags({}, provider, use_defaults, tags)  # checked before the pool is locked

    def apply(pool: IdentityPool) -> IdentityPool:
        maps = with_principal_tags(pool.principal_tag_maps, provider, use_defaults, tags)
        return replace(pool, principal_tag_maps=maps)

    if await ctx.store.update_pool(pool_id, apply) is None:
        raise pool_not_found(pool_id)
    return {
        "IdentityPoolId": pool_id,
        "IdentityProviderName": provider,
        "UseDefaults": use_defaults,
        "PrincipalTags": _effective({"UseDefaults": use_defaults, "PrincipalTags": tags}),
    }


def with_principal_tags(
    maps: Mapping[str, Any], provider: str, use_defaults: bool, tags: Mapping[str, str]
) -> dict[str, Any]:
    """A pool's principal-tag maps after setting ``provider``'s (see
    :func:`set_principal_tag_attribute_map`); raises ``InvalidParameterException`` when the tags
    are too long."""
    size = sum(len(k.encode()) + len(v.encode()) for k, v in tags.items())
    if size > MAX_AGGREGATE_BYTES:
        raise api.InvalidParameterException(
            f"The principal tags of {provider} add up to {size} bytes; at most "
            f"{MAX_AGGREGATE_BYTES} bytes of tag keys and attribute names are allowed."
        )
    out = dict(maps)
    if use_defaults or tags:
        out[provider] = {"UseDefaults": use_defaults, "PrincipalTags": dict(tags)}
    else:
        out.pop(provider, None)
    return out


async def get_principal_tag_attribute_map(
    ctx: RequestContext, params: api.GetPrincipalTagAttributeMapInput
) -> api.GetPrincipalTagAttributeMapResponse:
    """ "Use GetPrincipalTagAttributeMap to list all mappings between PrincipalTags and user
    attributes." A provider never configured answers ``UseDefaults: false`` and no tags."""
    pool = await require_pool(ctx, params["IdentityPoolId"])
    provider = params["IdentityProviderName"]
    entry = pool.principal_tag_maps.get(provider, {})
    return {
        "IdentityPoolId": pool.pool_id,
        "IdentityProviderName": provider,
        "UseDefaults": bool(entry.get("UseDefaults", False)),
        "PrincipalTags": _effective(entry),
    }


def principal_tags_for(
    pool: IdentityPool, provider: str, claims: Mapping[str, object]
) -> dict[str, str]:
    """The principal tags a verified login of ``provider`` carries: each mapped tag whose claim is
    present, as a string (lists joined by commas)."""
    entry = pool.principal_tag_maps.get(provider)
    if not entry:
        return {}
    tags: dict[str, str] = {}
    for tag, claim in _effective(entry).items():
        value = claims.get(claim)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        if text:
            tags[tag] = text[:256]
    return tags
