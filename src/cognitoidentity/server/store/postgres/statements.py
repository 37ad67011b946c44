"""The PostgreSQL store's SQL read by more than one of its modules, or too long to sit in a
method: the identity's selects, with the provider names of its logins, and the point reads of IAM
providers (also taken with a row lock by :mod:`.transactions`)."""

from __future__ import annotations

from cognitoidentity.server.store import codec

# The identity's columns, then the distinct provider names of its logins (an indexed lookup per
# identity, in the same statement).
IDENTITY_WITH_PROVIDERS = (
    f"{codec.IDENTITY_COLUMNS},"  # noqa: S608 - constant columns
    " ARRAY(SELECT DISTINCT l.provider FROM logins l WHERE l.identity_id = identities.identity_id)"
)
GET_IDENTITY = (
    f"SELECT {IDENTITY_WITH_PROVIDERS} FROM identities"  # noqa: S608 - constant columns
    " WHERE identity_id = %s"
)
GET_IDENTITY_AND_POOL = (
    "SELECT i.identity_id, i.pool_id, i.created_at, i.last_modified_at, i.disabled,"
    " ARRAY(SELECT DISTINCT l.provider FROM logins l WHERE l.identity_id = i.identity_id),"
    " p.pool_id, p.account_id, p.created_at, p.document"
    " FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id WHERE i.identity_id = %s"
)

LIST_IDENTITIES = (
    f"SELECT {IDENTITY_WITH_PROVIDERS}, seq FROM identities"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND seq > %s ORDER BY seq LIMIT %s"
)
LIST_ENABLED_IDENTITIES = (
    f"SELECT {IDENTITY_WITH_PROVIDERS}, seq FROM identities"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND seq > %s AND NOT disabled ORDER BY seq LIMIT %s"
)
# One statement: find the ids with their owner, delete the caller's, return the others.
DELETE_IDENTITIES = """
WITH found AS (
    SELECT i.identity_id, p.account_id = %(account_id)s AS mine
    FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id
    WHERE i.identity_id = ANY(%(ids)s::text[])
), deleted AS (
    DELETE FROM identities WHERE identity_id IN (SELECT identity_id FROM found WHERE mine)
)
SELECT identity_id FROM found WHERE NOT mine
"""
LIST_PROVIDER_LOGINS = (
    f"SELECT {codec.LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND provider = %s AND seq > %s ORDER BY seq LIMIT %s"
)
LIST_IDENTITY_PROVIDER_LOGINS = (
    f"SELECT {codec.LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
    " WHERE identity_id = %s AND pool_id = %s AND provider = %s AND seq > %s"
    " ORDER BY seq LIMIT %s"
)
GET_OIDC_PROVIDER = (
    f"SELECT {codec.OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
    " WHERE arn = %s AND account_id = %s"
)
GET_SAML_PROVIDER = (
    f"SELECT {codec.SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
    " WHERE arn = %s AND account_id = %s"
)
LOCK_OIDC_PROVIDER = GET_OIDC_PROVIDER + " FOR NO KEY UPDATE"
LOCK_SAML_PROVIDER = GET_SAML_PROVIDER + " FOR NO KEY UPDATE"
