"""A pool's identities: the list (keyset pages, disabled ones hidden on request), the search (by
identity id, by a login's provider and user, by developer user identifier), one identity, and
its deletion or the unlinking of a developer user identifier.

Operations: ListIdentities, DescribeIdentity, LookupDeveloperIdentity, DeleteIdentities,
UnlinkDeveloperIdentity.

**Choices**, where no operation answers what a console needs:

- *by a login's provider and user*: no AWS operation finds an identity by a login other than a
  developer one. The console first describes the pool (so it is the account's, in the region),
  then reads the store's login index (the unique key that makes a login one identity's), then
  shows what DescribeIdentity answers for the identity found.
- *disabled*: DescribeIdentity does not say whether an identity is disabled (merged away); after
  it answered, the identity page reads that flag from the store.
- *unlinking*: UnlinkIdentity needs the provider's token of the login to unlink, which a console
  does not hold, so only developer user identifiers (UnlinkDeveloperIdentity) are unlinked here.
"""

from __future__ import annotations

from typing import Any

from cognitoidentity.server.console.http import Response, redirect, url_path
from cognitoidentity.server.console.pages.base import PAGE_SIZE, Page, worded
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.linking import LoginKey


async def list_identities(page: Page) -> Response:
    pool_id = page.param("pool_id")
    query = page.request.query
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    search = {
        "identity_id": query.get("identity_id").strip(),
        "provider": query.get("provider").strip(),
        "user": query.get("user").strip(),
        "developer_user": query.get("developer_user").strip(),
    }
    hide_disabled = query.checked("hide_disabled")
    identities: list[dict[str, Any]] = []
    token = None
    error = ""
    searched = any(search.values())
    try:
        if searched:
            found = await _search(page, pool, search)
            identities = [found] if found is not None else []
        else:
            params: dict[str, Any] = {
                "IdentityPoolId": pool_id,
                "MaxResults": PAGE_SIZE,
                "HideDisabled": hide_disabled,
            }
            if query.get("next"):
                params["NextToken"] = query.get("next")
            answer = await page.api.cognito("ListIdentities", **params)
            identities = answer["Identities"]
            token = answer.get("NextToken")
    except ServiceError as exc:
        error = worded(exc)
    return page.render(
        "identities.html",
        400 if error else 200,
        pool=pool,
        identities=identities,
        next_token=token,
        search=search,
        searched=searched,
        hide_disabled=hide_disabled,
        error=error,
        section="pools",
    )


async def _search(page: Page, pool: dict[str, Any], search: dict[str, str]) -> Any:
    pool_id = pool["IdentityPoolId"]
    identity_id = search["identity_id"]
    if search["developer_user"]:
        answer = await page.api.cognito(
            "LookupDeveloperIdentity",
            IdentityPoolId=pool_id,
            DeveloperUserIdentifier=search["developer_user"],
            MaxResults=1,
        )
        identity_id = answer["IdentityId"]
    elif search["provider"] or search["user"]:
        login = LoginKey(search["provider"], search["user"])
        owner = await page.api.api.runtime.store.find_login(pool_id, login)
        if owner is None:
            return None
        identity_id = owner
    found = await page.api.cognito("DescribeIdentity", IdentityId=identity_id)
    stored = await page.api.api.runtime.store.get_identity(identity_id)
    if stored is None or stored.pool_id != pool_id:
        return None  # an identity of another of the account's pools
    return found


async def show_identity(page: Page) -> Response:
    pool_id = page.param("pool_id")
    identity_id = page.param("identity_id")
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    identity = await page.api.cognito("DescribeIdentity", IdentityId=identity_id)
    stored = await page.api.api.runtime.store.get_identity(identity_id)
    if stored is None or stored.pool_id != pool_id:
        return page.render(
            "error.html",
            404,
            code="ResourceNotFoundException",
            message=f"Identity '{identity_id}' is not in pool '{pool_id}'.",
        )
    developer_ids: list[str] = []
    if pool.get("DeveloperProviderName"):
        answer = await page.api.cognito(
            "LookupDeveloperIdentity", IdentityPoolId=pool_id, IdentityId=identity_id, MaxResults=60
        )
        developer_ids = answer.get("DeveloperUserIdentifierList") or []
    return page.render(
        "identity.html",
        pool=pool,
        identity=identity,
        disabled=stored.disabled,
        developer_ids=developer_ids,
        section="pools",
    )


async def delete_identity(page: Page) -> Response:
    pool_id = page.param("pool_id")
    identity_id = page.param("identity_id")
    await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    answer = await page.api.cognito("DeleteIdentities", IdentityIdsToDelete=[identity_id])
    unprocessed = answer.get("UnprocessedIdentityIds") or []
    if unprocessed:
        return page.render(
            "error.html",
            400,
            code=unprocessed[0].get("ErrorCode", ""),
            message=f"Identity '{identity_id}' was not deleted.",
        )
    return redirect(url_path("pools", pool_id, "identities"))


async def unlink_developer(page: Page) -> Response:
    pool_id = page.param("pool_id")
    identity_id = page.param("identity_id")
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    await page.api.cognito(
        "UnlinkDeveloperIdentity",
        IdentityId=identity_id,
        IdentityPoolId=pool_id,
        DeveloperProviderName=pool.get("DeveloperProviderName", ""),
        DeveloperUserIdentifier=page.request.form.get("developer_user"),
    )
    return redirect(url_path("pools", pool_id, "identities", identity_id))
