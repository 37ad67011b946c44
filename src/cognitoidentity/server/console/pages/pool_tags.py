"""A pool's tags and its principal-tag maps (the session tags a login's claims become).

Tags: ListTagsForResource, TagResource (one key and value at a time; a key the pool has takes
the new value), UntagResource (one key). Principal tags: GetPrincipalTagAttributeMap and
SetPrincipalTagAttributeMap for each login provider of the pool (``UseDefaults``, the defaults
mapping ``client`` to ``aud`` and ``username`` to ``sub``, or a ``tag = claim`` map), and for any
other provider name typed.

**Choices**:

- The pool's ARN, which the tag operations take, is made from its id, the account and the
  partition of its region, as :func:`...operations.tags.pool_arn` makes it.
- The providers listed are the pool's: its supported login providers' keys, its OpenID Connect
  providers as their ``Logins`` key (the URL without its scheme, from the ARN), its SAML
  providers' ARNs and its Cognito user pools' provider names. AWS has no operation that lists
  the providers a map was set for, so a map set for another name is found by typing it.
- An empty map that is not the defaults removes the provider's map (as the operation does).
"""

from __future__ import annotations

from typing import Any, Final

from cognitoidentity.server.console.forms import FormProblems, key_value_text, key_values
from cognitoidentity.server.console.http import Response, redirect, url_path
from cognitoidentity.server.console.pages.base import Page, worded
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.operations.tags import partition_of

OIDC_MARKER: Final = ":oidc-provider/"


def pool_arn(pool_id: str, account_id: str) -> str:
    region = pool_id.partition(":")[0]
    return (
        f"arn:{partition_of(region)}:cognito-identity:{region}:{account_id}:identitypool/{pool_id}"
    )


def login_providers(pool: dict[str, Any]) -> list[str]:
    """The ``Logins`` keys the pool accepts (its developer provider aside), in the pool's order."""
    names = list(pool.get("SupportedLoginProviders") or {})
    names += [
        arn.partition(OIDC_MARKER)[2] or arn for arn in pool.get("OpenIdConnectProviderARNs") or ()
    ]
    names += list(pool.get("SamlProviderARNs") or ())
    names += [p["ProviderName"] for p in pool.get("CognitoIdentityProviders") or ()]
    return list(dict.fromkeys(names))


async def show_tags(page: Page) -> Response:
    return await tags_view(page)


async def tags_view(
    page: Page,
    status: int = 200,
    *,
    tag_errors: list[str] | None = None,
    typed_tag: dict[str, str] | None = None,
    map_errors: dict[str, list[str]] | None = None,
    typed_map: dict[str, Any] | None = None,
) -> Response:
    """The page; the ``*_errors`` and ``typed_*``: a refused form and what was typed in it
    (``map_errors`` by provider name, ``""`` for the form of another provider)."""
    pool_id = page.param("pool_id")
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    arn = pool_arn(pool_id, page.api.account_id)
    tags = (await page.api.cognito("ListTagsForResource", ResourceArn=arn)).get("Tags") or {}
    maps = []
    providers = login_providers(pool)
    typed_provider = (typed_map or {}).get("provider", "")
    for provider in providers:
        if typed_map is not None and typed_provider == provider:
            maps.append(typed_map)
            continue
        answer = await page.api.cognito(
            "GetPrincipalTagAttributeMap", IdentityPoolId=pool_id, IdentityProviderName=provider
        )
        maps.append(
            {
                "provider": provider,
                "use_defaults": bool(answer.get("UseDefaults")),
                "tags": key_value_text(answer.get("PrincipalTags")),
            }
        )
    other = {"provider": "", "use_defaults": False, "tags": ""}
    if typed_map is not None and typed_provider not in providers:
        other = typed_map
    return page.render(
        "pool_tags.html",
        status,
        pool=pool,
        tags=tags,
        tag_errors=tag_errors or [],
        typed_tag=typed_tag or {"key": "", "value": ""},
        maps=maps,
        other=other,
        map_errors=map_errors or {},
        section="pools",
    )


async def add_tag(page: Page) -> Response:
    pool_id = page.param("pool_id")
    form = page.request.form
    typed = {"key": form.get("key").strip(), "value": form.get("value").strip()}
    arn = pool_arn(pool_id, page.api.account_id)
    try:
        await page.api.cognito("TagResource", ResourceArn=arn, Tags={typed["key"]: typed["value"]})
    except ServiceError as error:
        return await tags_view(page, 400, tag_errors=[worded(error)], typed_tag=typed)
    return redirect(url_path("pools", pool_id, "tags"))


async def remove_tag(page: Page) -> Response:
    pool_id = page.param("pool_id")
    arn = pool_arn(pool_id, page.api.account_id)
    try:
        await page.api.cognito(
            "UntagResource", ResourceArn=arn, TagKeys=[page.request.form.get("key")]
        )
    except ServiceError as error:
        return await tags_view(page, 400, tag_errors=[worded(error)])
    return redirect(url_path("pools", pool_id, "tags"))


async def set_principal_tags(page: Page) -> Response:
    pool_id = page.param("pool_id")
    form = page.request.form
    provider = form.get("provider").strip()
    use_defaults = form.checked("use_defaults")
    text = form.get("principal_tags")
    typed: dict[str, Any] = {"provider": provider, "use_defaults": use_defaults, "tags": text}
    try:
        problems: list[str] = []
        tags = key_values(text, "Principal tags", problems)
        if problems:
            raise FormProblems(problems)
        await page.api.cognito(
            "SetPrincipalTagAttributeMap",
            IdentityPoolId=pool_id,
            IdentityProviderName=provider,
            UseDefaults=use_defaults,
            PrincipalTags=tags,
        )
    except FormProblems as refused:
        return await _map_refused(page, typed, refused.problems)
    except ServiceError as error:
        return await _map_refused(page, typed, [worded(error)])
    return redirect(url_path("pools", pool_id, "tags"))


async def _map_refused(page: Page, typed: dict[str, Any], errors: list[str]) -> Response:
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=page.param("pool_id"))
    key = typed["provider"] if typed["provider"] in login_providers(pool) else ""
    return await tags_view(page, 400, map_errors={key: errors}, typed_map=typed)
