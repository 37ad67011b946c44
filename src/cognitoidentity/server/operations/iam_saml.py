"""The IAM SAML provider operations (``arn:aws:iam::<account>:saml-provider/<Name>``).

The metadata must be XML with an ``EntityDescriptor`` whose IdP has a signing certificate (what
the SAML login verifier needs), else ``InvalidInput`` "Could not parse metadata". Names are unique
in an account whatever their case: ``EntityAlreadyExists`` "Provider with name <Name> already
exists.". ``ValidUntil`` is the metadata's ``validUntil``, else (as IAM answers) 100 years after
creation. **Choice**: assertion encryption (``AssertionEncryptionMode`` ``Required``, private
keys), ``ContextProvider`` and ``IdentityCenterInstanceArn`` are refused with ``InvalidInput``: the
SAML verifier supports none of them. A missing provider is ``NoSuchEntity`` "Manifest not found
for arn <arn>" (IAM's words). Tags as for OpenID Connect providers (:mod:`.iam`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from cognitoidentity.server.api import iam as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations import iam_common
from cognitoidentity.server.store.base import IamSamlProvider, SamlProviderMutation

__all__ = ["new_saml_provider", "saml_provider_arn"]

SAML_DEFAULT_VALIDITY_YEARS: Final = 100
BAD_METADATA: Final = "Could not parse metadata"


def saml_provider_arn(partition: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:saml-provider/{name}"


def _saml_not_found(arn: str) -> api.NoSuchEntityException:
    return api.NoSuchEntityException(f"Manifest not found for arn {arn}")


def _valid_until(document: str) -> datetime | None:
    """Check the metadata as the SAML verifier will use it; its ``validUntil``, if any."""
    # The XML-signature stack is imported when SAML is first used, not at every server start.
    from lxml import etree

    from cognitoidentity.server.logins.saml import MD, parse_metadata, parse_xml

    try:
        parse_metadata(document)
        root = parse_xml(document.encode())
    except ValueError as exc:
        raise api.InvalidInputException(BAD_METADATA) from exc
    entity = root if root.tag == f"{{{MD}}}EntityDescriptor" else None
    if entity is None:
        entity = root.find(f".//{{{MD}}}EntityDescriptor")
    for element in (entity, root):
        value = element.get("validUntil") if isinstance(element, etree._Element) else None
        if value:
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError as exc:
                raise api.InvalidInputException(BAD_METADATA) from exc
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return None


def _shown_valid_until(provider: IamSamlProvider) -> datetime:
    """The metadata's ``validUntil``, else 100 years after creation (as IAM answers)."""
    if provider.valid_until is not None:
        return provider.valid_until
    created = provider.created_at
    try:
        return created.replace(year=created.year + SAML_DEFAULT_VALIDITY_YEARS)
    except ValueError:  # 29 February
        return created.replace(year=created.year + SAML_DEFAULT_VALIDITY_YEARS, day=28)


def _refuse_encryption(
    params: api.CreateSAMLProviderRequest | api.UpdateSAMLProviderRequest,
) -> None:
    if params.get("AssertionEncryptionMode") == "Required" or params.get("AddPrivateKey"):
        raise api.InvalidInputException(
            "SAML assertion encryption is not supported by this server."
        )


async def _mutate_saml(
    ctx: RequestContext, arn: str, mutate: SamlProviderMutation
) -> IamSamlProvider:
    provider = await ctx.store.update_saml_provider(ctx.account_id, arn, mutate)
    if provider is None:
        raise _saml_not_found(arn)
    return provider


async def create_saml_provider(
    ctx: RequestContext, params: api.CreateSAMLProviderRequest
) -> api.CreateSAMLProviderResponse:
    """ "Creates an IAM resource that describes an identity provider (IdP) that supports SAML
    2.0." """
    provider = new_saml_provider(
        params,
        partition=iam_common.partition(ctx),
        account_id=ctx.account_id,
        now=ctx.runtime.clock(),
    )
    if not await ctx.store.create_saml_provider(provider):
        raise api.EntityAlreadyExistsException(
            f"Provider with name {provider.name} already exists."
        )
    out: api.CreateSAMLProviderResponse = {"SAMLProviderArn": provider.arn}
    if provider.tags:
        out["Tags"] = iam_common.tag_list(provider.tags)
    return out


def new_saml_provider(
    params: api.CreateSAMLProviderRequest, *, partition: str, account_id: str, now: datetime
) -> IamSamlProvider:
    """The provider ``CreateSAMLProvider`` stores for ``params``, checked."""
    _refuse_encryption(params)
    iam_common.refuse_unsupported(params, "ContextProvider", "IdentityCenterInstanceArn")
    document = params["SAMLMetadataDocument"]
    name = params["Name"]
    return IamSamlProvider(
        arn=saml_provider_arn(partition, account_id, name),
        account_id=account_id,
        name=name,
        metadata_document=document,
        created_at=now,
        valid_until=_valid_until(document),
        tags=iam_common.new_tags(params.get("Tags", []), ignore_case=True),
    )


async def get_saml_provider(
    ctx: RequestContext, params: api.GetSAMLProviderRequest
) -> api.GetSAMLProviderResponse:
    """ "Returns the SAML provider metadocument that was uploaded when the IAM SAML provider
    resource object was created or updated." """
    arn = params["SAMLProviderArn"]
    provider = await ctx.store.get_saml_provider(ctx.account_id, arn)
    if provider is None:
        raise _saml_not_found(arn)
    out: api.GetSAMLProviderResponse = {
        "SAMLMetadataDocument": provider.metadata_document,
        "CreateDate": provider.created_at,
        "ValidUntil": _shown_valid_until(provider),
    }
    if provider.tags:
        out["Tags"] = iam_common.tag_list(provider.tags)
    return out


async def list_saml_providers(
    ctx: RequestContext, params: api.ListSAMLProvidersRequest
) -> api.ListSAMLProvidersResponse:
    """ "Lists the SAML provider resource objects defined in IAM in the account." In ARN order."""
    providers = await ctx.store.list_saml_providers(ctx.account_id)
    return {
        "SAMLProviderList": [
            {"Arn": p.arn, "ValidUntil": _shown_valid_until(p), "CreateDate": p.created_at}
            for p in providers
        ]
    }


async def update_saml_provider(
    ctx: RequestContext, params: api.UpdateSAMLProviderRequest
) -> api.UpdateSAMLProviderResponse:
    """ "Updates the metadata document, SAML encryption settings, and private keys for an existing
    SAML provider." Here: the metadata document (checked as on creation)."""
    _refuse_encryption(params)
    iam_common.refuse_unsupported(
        params, "RemovePrivateKey", "ContextProvider", "IdentityCenterInstanceArn"
    )
    arn = params["SAMLProviderArn"]
    document = params.get("SAMLMetadataDocument")
    if document is None:
        if await ctx.store.get_saml_provider(ctx.account_id, arn) is None:
            raise _saml_not_found(arn)
        return {"SAMLProviderArn": arn}
    valid_until = _valid_until(document)
    provider = await _mutate_saml(
        ctx,
        arn,
        lambda current: replace(current, metadata_document=document, valid_until=valid_until),
    )
    return {"SAMLProviderArn": provider.arn}


async def delete_saml_provider(ctx: RequestContext, params: api.DeleteSAMLProviderRequest) -> None:
    """ "Deletes a SAML provider resource in IAM." Identity pools naming it keep the ARN; their
    logins through it are refused from then on."""
    arn = params["SAMLProviderArn"]
    if not await ctx.store.delete_saml_provider(ctx.account_id, arn):
        raise _saml_not_found(arn)


async def tag_saml_provider(ctx: RequestContext, params: api.TagSAMLProviderRequest) -> None:
    tags = iam_common.new_tags(params["Tags"], ignore_case=True)
    await _mutate_saml(
        ctx,
        params["SAMLProviderArn"],
        lambda current: replace(
            current, tags=iam_common.merged_tags(current.tags, tags, ignore_case=True)
        ),
    )


async def untag_saml_provider(ctx: RequestContext, params: api.UntagSAMLProviderRequest) -> None:
    keys = params["TagKeys"]
    await _mutate_saml(
        ctx,
        params["SAMLProviderArn"],
        lambda current: replace(
            current, tags=iam_common.without_tags(current.tags, keys, ignore_case=True)
        ),
    )


async def list_saml_provider_tags(
    ctx: RequestContext, params: api.ListSAMLProviderTagsRequest
) -> api.ListSAMLProviderTagsResponse:
    arn = params["SAMLProviderArn"]
    provider = await ctx.store.get_saml_provider(ctx.account_id, arn)
    if provider is None:
        raise _saml_not_found(arn)
    tags = iam_common.tag_list(provider.tags)
    page, marker = iam_common.offset_page(tags, params.get("Marker"), params.get("MaxItems"))
    out: api.ListSAMLProviderTagsResponse = {"Tags": page, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out
