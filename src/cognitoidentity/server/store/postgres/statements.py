"""The PostgreSQL store's SQL read by more than one of its modules, or too long to sit in a
method: the point reads the store keeps (a pool, an identity with the provider names of its
logins, a login's owner, IAM providers, those also taken with a row lock by :mod:`.transactions`)
and the identities' listings."""

from __future__ import annotations

from cognitoidentity.server.store import codec

# The pool's document as JSON text, as SQLite hands it back: the decoded pools are kept by it
# (``kept.DecodedPools``), and decoding once beats psycopg parsing JSONB on every read.
POOL_COLUMNS = "pool_id, account_id, created_at, document::text"
GET_POOL = (
    f"SELECT {POOL_COLUMNS} FROM identity_pools"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND deleted_at IS NULL"
)
# The identity's columns, then the distinct provider names of its logins (an indexed lookup per
# identity, in the same statement).
IDENTITY_WITH_PROVIDERS = (
    f"{codec.IDENTITY_COLUMNS},"  # noqa: S608 - constant columns
    " ARRAY(SELECT DISTINCT l.provider FROM logins l WHERE l.identity_id = identities.identity_id)"
)
# Deleted pools' identities are not found (they are deleted in batches later: store/purge.py). The
# marked pools are few, so the check is a probe of a small (usually empty) partial index.
_POOL_NOT_DELETED = (
    " AND NOT EXISTS (SELECT 1 FROM identity_pools d"
    " WHERE d.pool_id = identities.pool_id AND d.deleted_at IS NOT NULL)"
)
LOGIN_POOL_NOT_DELETED = (
    " AND NOT EXISTS (SELECT 1 FROM identity_pools d"
    " WHERE d.pool_id = logins.pool_id AND d.deleted_at IS NOT NULL)"
)
"""The same check for the logins of a ``FROM logins`` (those of deleted pools are not found)."""
FIND_LOGIN = (
    "SELECT identity_id FROM logins"  # noqa: S608 - constants
    " WHERE pool_id = %s AND provider = %s AND user_id = %s" + LOGIN_POOL_NOT_DELETED
)
GET_IDENTITY = (
    f"SELECT {IDENTITY_WITH_PROVIDERS} FROM identities"  # noqa: S608 - constant columns
    " WHERE identity_id = %s" + _POOL_NOT_DELETED
)
GET_IDENTITY_AND_POOL = (
    "SELECT i.identity_id, i.pool_id, i.created_at, i.last_modified_at, i.disabled,"
    " ARRAY(SELECT DISTINCT l.provider FROM logins l WHERE l.identity_id = i.identity_id),"
    " p.pool_id, p.account_id, p.created_at, p.document::text"
    " FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id"
    " WHERE i.identity_id = %s AND p.deleted_at IS NULL"
)

LIST_IDENTITIES = (
    f"SELECT {IDENTITY_WITH_PROVIDERS}, seq FROM identities"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND seq > %s" + _POOL_NOT_DELETED + " ORDER BY seq LIMIT %s"
)
LIST_ENABLED_IDENTITIES = (
    f"SELECT {IDENTITY_WITH_PROVIDERS}, seq FROM identities"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND seq > %s AND NOT disabled"
    + _POOL_NOT_DELETED
    + " ORDER BY seq LIMIT %s"
)
# One statement: find the ids with their owner, delete the caller's, return the others.
DELETE_IDENTITIES = """
WITH found AS (
    SELECT i.identity_id, p.account_id = %(account_id)s AS mine
    FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id AND p.deleted_at IS NULL
    WHERE i.identity_id = ANY(%(ids)s::text[])
), deleted AS (
    DELETE FROM identities WHERE identity_id IN (SELECT identity_id FROM found WHERE mine)
)
SELECT identity_id FROM found WHERE NOT mine
"""
LIST_PROVIDER_LOGINS = (
    f"SELECT {codec.LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND provider = %s AND seq > %s"
    + LOGIN_POOL_NOT_DELETED
    + " ORDER BY seq LIMIT %s"
)
LIST_IDENTITY_PROVIDER_LOGINS = (
    f"SELECT {codec.LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
    " WHERE identity_id = %s AND pool_id = %s AND provider = %s AND seq > %s"
    + LOGIN_POOL_NOT_DELETED
    + " ORDER BY seq LIMIT %s"
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
