"""Identity pools: the list (search, keyset pages), one pool, create, edit, delete.

Every read and write is the API's operation (ListIdentityPools, DescribeIdentityPool,
GetIdentityPoolRoles, CreateIdentityPool, UpdateIdentityPool, DeleteIdentityPool); a refused
form is shown again with the operation's error, as the API words it.

**Choice**: ListIdentityPools has no filter, so a search reads the account's pools a page at a
time (oldest first) and keeps those whose name contains the words searched (any case) or whose
id is the one searched, until a page of matches is full; its "next" link resumes from the
operation's ``NextToken`` where it stopped (keyset paging, as the API pages).
"""

from __future__ import annotations

from typing import Any

from cognitoidentity.server.console.forms import FormProblems, PoolFields
from cognitoidentity.server.console.http import Response, redirect, url_path
from cognitoidentity.server.console.pages.base import PAGE_SIZE, Page, worded
from cognitoidentity.server.errors import ServiceError

MAX_SEARCH_PAGES = 60
"""ListIdentityPools calls one search makes at most (1,000 pools per account: 50 pages)."""


async def list_pools(page: Page) -> Response:
    query = page.request.query.get("q").strip()
    token = page.request.query.get("next") or None
    found: list[dict[str, Any]] = []
    for _ in range(MAX_SEARCH_PAGES):
        params: dict[str, Any] = {"MaxResults": PAGE_SIZE}
        if token:
            params["NextToken"] = token
        answer = await page.api.cognito("ListIdentityPools", **params)
        found += [p for p in answer["IdentityPools"] if _matches(p, query)]
        token = answer.get("NextToken")
        if not token or not query or len(found) >= PAGE_SIZE:
            break
    return page.render("pools.html", pools=found, query=query, next_token=token, section="pools")


def _matches(pool: dict[str, Any], query: str) -> bool:
    if not query:
        return True
    return query.lower() in pool["IdentityPoolName"].lower() or query == pool["IdentityPoolId"]


async def show_pool(page: Page) -> Response:
    pool_id = page.param("pool_id")
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    roles = await page.api.cognito("GetIdentityPoolRoles", IdentityPoolId=pool_id)
    return page.render(
        "pool.html",
        pool=pool,
        roles=roles.get("Roles") or {},
        mappings=roles.get("RoleMappings") or {},
        section="pools",
    )


async def create_pool(page: Page) -> Response:
    if page.request.method == "GET":
        return _form(page, PoolFields(allow_unauthenticated=False), None, [], 200)
    fields = PoolFields.from_form(page.request.form)
    try:
        created = await page.api.cognito("CreateIdentityPool", **fields.params(update=False))
    except FormProblems as problems:
        return _form(page, fields, None, problems.problems, 400)
    except ServiceError as error:
        return _form(page, fields, None, [worded(error)], 400)
    return redirect(url_path("pools", created["IdentityPoolId"]))


async def edit_pool(page: Page) -> Response:
    pool_id = page.param("pool_id")
    current = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    if page.request.method == "GET":
        return _form(page, PoolFields.from_pool(current), current, [], 200)
    fields = PoolFields.from_form(page.request.form)
    fields.developer_provider_fixed = bool(current.get("DeveloperProviderName"))
    try:
        params = fields.params(update=True)
        await page.api.cognito("UpdateIdentityPool", IdentityPoolId=pool_id, **params)
    except FormProblems as problems:
        return _form(page, fields, current, problems.problems, 400)
    except ServiceError as error:
        return _form(page, fields, current, [worded(error)], 400)
    return redirect(url_path("pools", pool_id))


def _form(
    page: Page, fields: PoolFields, pool: dict[str, Any] | None, errors: list[str], status: int
) -> Response:
    return page.render(
        "pool_form.html", status, fields=fields, pool=pool, errors=errors, section="pools"
    )


async def delete_pool(page: Page) -> Response:
    pool_id = page.param("pool_id")
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    if page.request.method == "GET":
        return page.render("pool_delete.html", pool=pool, errors=[], section="pools")
    if page.request.form.get("confirm_name") != pool["IdentityPoolName"]:
        return page.render(
            "pool_delete.html",
            400,
            pool=pool,
            errors=["Type the pool's name exactly to confirm."],
            section="pools",
        )
    await page.api.cognito("DeleteIdentityPool", IdentityPoolId=pool_id)
    return redirect(url_path("pools"))
