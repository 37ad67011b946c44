"""A pool's roles and role mappings: the editor of ``Token`` and ``Rules`` mappings.

GetIdentityPoolRoles fills the form; sending it calls SetIdentityPoolRoles with the whole of
``Roles`` and ``RoleMappings`` (the operation replaces both, as the API does), so its checks
and messages (role ARNs, mapping keys, rule counts) are the API's."""

from __future__ import annotations

from cognitoidentity.server.console.forms import (
    AMBIGUOUS,
    MAPPING_TYPES,
    MATCH_TYPES,
    FormProblems,
    RolesFields,
)
from cognitoidentity.server.console.http import Response, redirect, url_path
from cognitoidentity.server.console.pages.base import Page, worded
from cognitoidentity.server.errors import ServiceError


async def edit_roles(page: Page) -> Response:
    pool_id = page.param("pool_id")
    pool = await page.api.cognito("DescribeIdentityPool", IdentityPoolId=pool_id)
    if page.request.method == "GET":
        answer = await page.api.cognito("GetIdentityPoolRoles", IdentityPoolId=pool_id)
        return _form(page, pool, RolesFields.from_roles(answer), [], 200)
    fields = RolesFields.from_form(page.request.form)
    try:
        await page.api.cognito("SetIdentityPoolRoles", IdentityPoolId=pool_id, **fields.params())
    except FormProblems as problems:
        return _form(page, pool, fields.with_blanks(), problems.problems, 400)
    except ServiceError as error:
        return _form(page, pool, fields.with_blanks(), [worded(error)], 400)
    return redirect(url_path("pools", pool_id))


def _form(
    page: Page, pool: dict[str, object], fields: RolesFields, errors: list[str], status: int
) -> Response:
    return page.render(
        "roles.html",
        status,
        pool=pool,
        fields=fields,
        errors=errors,
        match_types=MATCH_TYPES,
        mapping_types=MAPPING_TYPES,
        ambiguous_choices=AMBIGUOUS,
        section="pools",
    )
