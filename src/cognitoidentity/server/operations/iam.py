"""The IAM identity-provider operations: OpenID Connect and SAML providers, their client ids,
thumbprints, metadata and tags.

Identity pools name IAM identity providers by ARN (``OpenIdConnectProviderARNs``,
``SamlProviderARNs``); this server keeps them itself, on the IAM Query API, so that boto3's ``iam``
client, the AWS CLI and infrastructure tools can manage them. Roles and managed policies are in
:mod:`.iam_roles`, :mod:`.iam_role_policies`, :mod:`.iam_policies` and :mod:`.iam_simulate`; this
module's :data:`IAM` table registers them all, and the model's other operations answer
``UnsupportedOperation``.

IAM is global: a provider belongs to its account, whatever region the request was signed for.
Every lookup is scoped to the caller's account, so another account's provider is not found (and
cannot be changed or deleted), whatever its ARN.

OpenID Connect providers (``arn:aws:iam::<account>:oidc-provider/<url without scheme>``):

- ``Url`` must begin with ``https://`` and have a host, no user, query or fragment (a path is
  allowed, and **Choice**: a port too). **Choice**: the server's outbound policy
  (:mod:`cognitoidentity.server.outbound`, the one logins fetch through) must allow it: a host that
  is a non-public address (loopback, private, link-local such as 169.254.169.254...) is refused, and
  so is ``http://``, unless the operator allows them (``COGNITOIDENTITY_OUTBOUND_ALLOW``; by default
  loopback when the server listens on loopback, so that a provider on the same machine can be
  used): ``InvalidInput`` "Invalid URL <url>: <why>". A host name is checked when a login fetches
  from it, against the addresses it resolves to. The URL is not normalised: its ARN is the URL as
  given without the scheme, and another URL naming the same ARN is a duplicate,
  ``EntityAlreadyExists`` "Provider with url <url> already exists.". ``GetOpenIDConnectProvider``
  answers the URL without its scheme, as IAM does.
- Thumbprints are 40 hexadecimal characters (the SHA-1 of the IdP's certificate), at most 5;
  ``ThumbprintList`` may be omitted (IAM no longer requires it). They are kept, not used: this
  server checks tokens against the provider's JWKS, fetched over TLS.
- At most 100 client ids, each kept once; beyond that ``LimitExceeded`` "Cannot exceed quota for
  ClientIdsPerOpenIdConnectProvider: 100". Adding a client id the provider has, or removing one it
  has not, succeeds and changes nothing (IAM: "This operation is idempotent").

SAML providers (``arn:aws:iam::<account>:saml-provider/<Name>``): the metadata must be XML with an
``EntityDescriptor`` whose IdP has a signing certificate (what the SAML login verifier needs), else
``InvalidInput`` "Could not parse metadata". Names are unique in an account whatever their case:
``EntityAlreadyExists`` "Provider with name <Name> already exists.". ``ValidUntil`` is the
metadata's ``validUntil``, else (as IAM answers) 100 years after creation. **Choice**: assertion
encryption (``AssertionEncryptionMode`` ``Required``, private keys), ``ContextProvider`` and
``IdentityCenterInstanceArn`` are refused with ``InvalidInput``: the SAML verifier supports none of
them.

Missing providers are ``NoSuchEntity`` (404): "OpenIDConnect Provider not found for arn <arn>" and
"Manifest not found for arn <arn>" (IAM's words for a SAML provider), for deletes too.

Tags: at most 50, keys unique whatever their case ("Duplicate tag keys found. Please note that Tag
keys are case insensitive."), not starting with ``aws:``; tagging with a key the provider has
replaces its value, untagging a key it has not is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from cognitoidentity.server.api import iam as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations import (
    Handler,
    iam_common,
    iam_policies,
    iam_role_policies,
    iam_roles,
    iam_saml,
    iam_simulate,
)
from cognitoidentity.server.outbound import OutboundPolicy, OutboundRefused
from cognitoidentity.server.store.base import (
    IamOidcProvider,
    OidcProviderMutation,
)

__all__ = [
    "IAM",
    "MAX_CLIENT_IDS",
    "MAX_THUMBPRINTS",
    "check_oidc_url",
    "new_oidc_provider",
    "oidc_provider_arn",
]

MAX_CLIENT_IDS: Final = 100
MAX_THUMBPRINTS: Final = 5

_THUMBPRINT = re.compile(r"[0-9A-Fa-f]{40}")
_URL_TEXT = re.compile(r"[!-~]+")  # printable ASCII, no spaces
_SCHEMES: Final = ("https://", "http://")


# -- names ---------------------------------------------------------------------------------------


def oidc_provider_arn(partition: str, account_id: str, url: str) -> str:
    """``arn:<partition>:iam::<account>:oidc-provider/<url without scheme>``."""
    return f"arn:{partition}:iam::{account_id}:oidc-provider/{_without_scheme(url)}"


def _without_scheme(url: str) -> str:
    for scheme in _SCHEMES:
        if url.startswith(scheme):
            return url[len(scheme) :]
    return url


def check_oidc_url(url: str, policy: OutboundPolicy) -> None:
    """Raise ``InvalidInput`` unless ``url`` can name an OpenID Connect provider that ``policy``
    lets the server fetch from (see the module doc)."""

    def bad(why: str) -> api.InvalidInputException:
        return api.InvalidInputException(f"Invalid URL {url}: {why}")

    if not _URL_TEXT.fullmatch(url):
        raise bad("the URL must not contain spaces or non-ASCII characters.")
    secure = url.startswith("https://")
    if not secure and not url.startswith("http://"):
        raise bad("the URL must begin with https://.")
    if "?" in url or "#" in url:
        raise bad("the URL must not contain a query or a fragment.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # a malformed port raises ValueError
    except ValueError as exc:
        raise bad("the URL is malformed.") from exc
    if not host:
        raise bad("the URL must name a host.")
    if "@" in parts.netloc:
        raise bad("the URL must not contain user information.")
    try:
        policy.check_url(url)
    except OutboundRefused as exc:
        raise bad(f"{exc.reason}.") from exc


# -- lists and tags ------------------------------------------------------------------------------


def _client_ids(values: Sequence[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(values))
    if len(unique) > MAX_CLIENT_IDS:
        raise _too_many_client_ids()
    return unique


def _too_many_client_ids() -> api.LimitExceededException:
    return api.LimitExceededException(
        f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
    )


def _thumbprints(values: Sequence[str]) -> tuple[str, ...]:
    for value in values:
        if not _THUMBPRINT.fullmatch(value):
            raise api.InvalidInputException(
                f"Thumbprint {value} is invalid: a thumbprint is the 40 hexadecimal characters of"
                " a SHA-1 certificate fingerprint."
            )
    if len(values) > MAX_THUMBPRINTS:
        raise api.InvalidInputException(
            f"Thumbprint list must contain fewer than {MAX_THUMBPRINTS + 1} entries"
        )
    return tuple(values)


# -- OpenID Connect providers --------------------------------------------------------------------


def _oidc_not_found(arn: str) -> api.NoSuchEntityException:
    return api.NoSuchEntityException(f"OpenIDConnect Provider not found for arn {arn}")


async def _mutate_oidc(
    ctx: RequestContext, arn: str, mutate: OidcProviderMutation
) -> IamOidcProvider:
    provider = await ctx.store.update_oidc_provider(ctx.account_id, arn, mutate)
    if provider is None:
        raise _oidc_not_found(arn)
    return provider


async def create_open_id_connect_provider(
    ctx: RequestContext, params: api.CreateOpenIDConnectProviderRequest
) -> api.CreateOpenIDConnectProviderResponse:
    """ "Creates an IAM entity to describe an identity provider (IdP) that supports OpenID Connect
    (OIDC)." """
    provider = new_oidc_provider(
        params,
        partition=iam_common.partition(ctx),
        account_id=ctx.account_id,
        policy=ctx.runtime.logins.http.policy,
        now=ctx.runtime.clock(),
    )
    if not await ctx.store.create_oidc_provider(provider):
        raise api.EntityAlreadyExistsException(f"Provider with url {provider.url} already exists.")
    out: api.CreateOpenIDConnectProviderResponse = {"OpenIDConnectProviderArn": provider.arn}
    if provider.tags:
        out["Tags"] = iam_common.tag_list(provider.tags)
    return out


def new_oidc_provider(
    params: api.CreateOpenIDConnectProviderRequest,
    *,
    partition: str,
    account_id: str,
    policy: OutboundPolicy,
    now: datetime,
) -> IamOidcProvider:
    """The provider ``CreateOpenIDConnectProvider`` stores for ``params``, checked."""
    iam_common.refuse_unsupported(params, "ContextProvider", "IdentityCenterInstanceArn")
    url = params["Url"]
    check_oidc_url(url, policy)
    return IamOidcProvider(
        arn=oidc_provider_arn(partition, account_id, url),
        account_id=account_id,
        url=url,
        created_at=now,
        client_ids=_client_ids(params.get("ClientIDList", [])),
        thumbprints=_thumbprints(params.get("ThumbprintList", [])),
        tags=iam_common.new_tags(params.get("Tags", []), ignore_case=True),
    )


async def get_open_id_connect_provider(
    ctx: RequestContext, params: api.GetOpenIDConnectProviderRequest
) -> api.GetOpenIDConnectProviderResponse:
    """ "Returns information about the specified OpenID Connect (OIDC) provider resource object in
    IAM." ``Url`` comes without its scheme, as IAM answers it."""
    arn = params["OpenIDConnectProviderArn"]
    provider = await ctx.store.get_oidc_provider(ctx.account_id, arn)
    if provider is None:
        raise _oidc_not_found(arn)
    out: api.GetOpenIDConnectProviderResponse = {
        "Url": _without_scheme(provider.url),
        "ClientIDList": list(provider.client_ids),
        "ThumbprintList": list(provider.thumbprints),
        "CreateDate": provider.created_at,
    }
    if provider.tags:
        out["Tags"] = iam_common.tag_list(provider.tags)
    return out


async def list_open_id_connect_providers(
    ctx: RequestContext, params: api.ListOpenIDConnectProvidersRequest
) -> api.ListOpenIDConnectProvidersResponse:
    """ "Lists information about the IAM OpenID Connect (OIDC) provider resource objects defined in
    the Amazon Web Services account." In ARN order."""
    providers = await ctx.store.list_oidc_providers(ctx.account_id)
    return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in providers]}


async def delete_open_id_connect_provider(
    ctx: RequestContext, params: api.DeleteOpenIDConnectProviderRequest
) -> None:
    """ "Deletes an OpenID Connect identity provider (IdP) resource object in IAM." Identity pools
    naming it keep the ARN; their logins through it are refused from then on."""
    arn = params["OpenIDConnectProviderArn"]
    if not await ctx.store.delete_oidc_provider(ctx.account_id, arn):
        raise _oidc_not_found(arn)


async def update_open_id_connect_provider_thumbprint(
    ctx: RequestContext, params: api.UpdateOpenIDConnectProviderThumbprintRequest
) -> None:
    """ "Replaces the existing list of server certificate thumbprints associated with an OpenID
    Connect (OIDC) provider resource object with a new list of thumbprints." """
    thumbprints = _thumbprints(params["ThumbprintList"])
    await _mutate_oidc(
        ctx,
        params["OpenIDConnectProviderArn"],
        lambda current: replace(current, thumbprints=thumbprints),
    )


async def add_client_id_to_open_id_connect_provider(
    ctx: RequestContext, params: api.AddClientIDToOpenIDConnectProviderRequest
) -> None:
    """ "Adds a new client ID (also known as audience) to the list of client IDs already registered
    for the specified IAM OpenID Connect (OIDC) provider resource." Idempotent."""
    client_id = params["ClientID"]

    def add(current: IamOidcProvider) -> IamOidcProvider:
        if client_id in current.client_ids:
            return current
        if len(current.client_ids) >= MAX_CLIENT_IDS:
            raise _too_many_client_ids()
        return replace(current, client_ids=(*current.client_ids, client_id))

    await _mutate_oidc(ctx, params["OpenIDConnectProviderArn"], add)


async def remove_client_id_from_open_id_connect_provider(
    ctx: RequestContext, params: api.RemoveClientIDFromOpenIDConnectProviderRequest
) -> None:
    """ "Removes the specified client ID (also known as audience) from the list of client IDs
    registered for the specified IAM OpenID Connect (OIDC) provider resource object." Idempotent."""
    client_id = params["ClientID"]
    await _mutate_oidc(
        ctx,
        params["OpenIDConnectProviderArn"],
        lambda current: replace(
            current, client_ids=tuple(c for c in current.client_ids if c != client_id)
        ),
    )


async def tag_open_id_connect_provider(
    ctx: RequestContext, params: api.TagOpenIDConnectProviderRequest
) -> None:
    tags = iam_common.new_tags(params["Tags"], ignore_case=True)
    await _mutate_oidc(
        ctx,
        params["OpenIDConnectProviderArn"],
        lambda current: replace(
            current, tags=iam_common.merged_tags(current.tags, tags, ignore_case=True)
        ),
    )


async def untag_open_id_connect_provider(
    ctx: RequestContext, params: api.UntagOpenIDConnectProviderRequest
) -> None:
    keys = params["TagKeys"]
    await _mutate_oidc(
        ctx,
        params["OpenIDConnectProviderArn"],
        lambda current: replace(
            current, tags=iam_common.without_tags(current.tags, keys, ignore_case=True)
        ),
    )


async def list_open_id_connect_provider_tags(
    ctx: RequestContext, params: api.ListOpenIDConnectProviderTagsRequest
) -> api.ListOpenIDConnectProviderTagsResponse:
    arn = params["OpenIDConnectProviderArn"]
    provider = await ctx.store.get_oidc_provider(ctx.account_id, arn)
    if provider is None:
        raise _oidc_not_found(arn)
    tags = iam_common.tag_list(provider.tags)
    page, marker = iam_common.offset_page(tags, params.get("Marker"), params.get("MaxItems"))
    out: api.ListOpenIDConnectProviderTagsResponse = {
        "Tags": page,
        "IsTruncated": marker is not None,
    }
    if marker is not None:
        out["Marker"] = marker
    return out


IAM: dict[str, Handler] = {
    "CreateOpenIDConnectProvider": create_open_id_connect_provider,
    "GetOpenIDConnectProvider": get_open_id_connect_provider,
    "ListOpenIDConnectProviders": list_open_id_connect_providers,
    "DeleteOpenIDConnectProvider": delete_open_id_connect_provider,
    "UpdateOpenIDConnectProviderThumbprint": update_open_id_connect_provider_thumbprint,
    "AddClientIDToOpenIDConnectProvider": add_client_id_to_open_id_connect_provider,
    "RemoveClientIDFromOpenIDConnectProvider": remove_client_id_from_open_id_connect_provider,
    "TagOpenIDConnectProvider": tag_open_id_connect_provider,
    "UntagOpenIDConnectProvider": untag_open_id_connect_provider,
    "ListOpenIDConnectProviderTags": list_open_id_connect_provider_tags,
    "CreateSAMLProvider": iam_saml.create_saml_provider,
    "GetSAMLProvider": iam_saml.get_saml_provider,
    "ListSAMLProviders": iam_saml.list_saml_providers,
    "UpdateSAMLProvider": iam_saml.update_saml_provider,
    "DeleteSAMLProvider": iam_saml.delete_saml_provider,
    "TagSAMLProvider": iam_saml.tag_saml_provider,
    "UntagSAMLProvider": iam_saml.untag_saml_provider,
    "ListSAMLProviderTags": iam_saml.list_saml_provider_tags,
    "CreateRole": iam_roles.create_role,
    "GetRole": iam_roles.get_role,
    "ListRoles": iam_roles.list_roles,
    "UpdateRole": iam_roles.update_role,
    "UpdateRoleDescription": iam_roles.update_role_description,
    "UpdateAssumeRolePolicy": iam_roles.update_assume_role_policy,
    "DeleteRole": iam_roles.delete_role,
    "PutRolePermissionsBoundary": iam_roles.put_role_permissions_boundary,
    "DeleteRolePermissionsBoundary": iam_roles.delete_role_permissions_boundary,
    "TagRole": iam_roles.tag_role,
    "UntagRole": iam_roles.untag_role,
    "ListRoleTags": iam_roles.list_role_tags,
    "PutRolePolicy": iam_role_policies.put_role_policy,
    "GetRolePolicy": iam_role_policies.get_role_policy,
    "DeleteRolePolicy": iam_role_policies.delete_role_policy,
    "ListRolePolicies": iam_role_policies.list_role_policies,
    "AttachRolePolicy": iam_role_policies.attach_role_policy,
    "DetachRolePolicy": iam_role_policies.detach_role_policy,
    "ListAttachedRolePolicies": iam_role_policies.list_attached_role_policies,
    "CreatePolicy": iam_policies.create_policy,
    "GetPolicy": iam_policies.get_policy,
    "DeletePolicy": iam_policies.delete_policy,
    "ListPolicies": iam_policies.list_policies,
    "TagPolicy": iam_policies.tag_policy,
    "UntagPolicy": iam_policies.untag_policy,
    "ListPolicyTags": iam_policies.list_policy_tags,
    "CreatePolicyVersion": iam_policies.create_policy_version,
    "GetPolicyVersion": iam_policies.get_policy_version,
    "ListPolicyVersions": iam_policies.list_policy_versions,
    "DeletePolicyVersion": iam_policies.delete_policy_version,
    "SetDefaultPolicyVersion": iam_policies.set_default_policy_version,
    "GetContextKeysForPrincipalPolicy": iam_simulate.get_context_keys_for_principal_policy,
    "GetContextKeysForCustomPolicy": iam_simulate.get_context_keys_for_custom_policy,
    "SimulatePrincipalPolicy": iam_simulate.simulate_principal_policy,
    "SimulateCustomPolicy": iam_simulate.simulate_custom_policy,
}
"""The IAM operations by name (OpenID Connect providers here, SAML providers in :mod:`.iam_saml`; roles and policies in :mod:`.iam_roles`,
:mod:`.iam_role_policies`, :mod:`.iam_policies` and :mod:`.iam_simulate`); the model's others
answer ``UnsupportedOperation``."""
