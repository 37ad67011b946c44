"""The SQLite store's SQL read by more than one of its modules, or too long to sit in a method:
point reads (kept by :mod:`.reads`, and read again by the writes that change the same row) and the
identity's selects, with the provider names of its logins."""

from __future__ import annotations

from cognitoidentity.server.store import codec

# The identity's columns, then the distinct provider names of its logins as a JSON array (one
# indexed lookup per identity, in the same statement).
_IDENTITY_SELECT = (
    f"SELECT {codec.IDENTITY_COLUMNS},"  # noqa: S608 - constant columns
    " (SELECT json_group_array(DISTINCT l.provider) FROM logins l"
    " WHERE l.identity_id = identities.identity_id)"
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
    " WHERE pool_id = ? AND provider = ? AND user_id = ?" + LOGIN_POOL_NOT_DELETED
)
GET_IDENTITY = _IDENTITY_SELECT + " FROM identities WHERE identity_id = ?" + _POOL_NOT_DELETED
GET_IDENTITY_AND_POOL = (
    "SELECT i.identity_id, i.pool_id, i.created_at, i.last_modified_at, i.disabled,"
    " (SELECT json_group_array(DISTINCT l.provider) FROM logins l"
    " WHERE l.identity_id = i.identity_id),"
    " p.pool_id, p.account_id, p.created_at, p.document"
    " FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id"
    " WHERE i.identity_id = ? AND p.deleted_at IS NULL"
)
LIST_IDENTITIES = (
    _IDENTITY_SELECT + ", seq FROM identities"  # noqa: S608 - constants
    " WHERE pool_id = ?1 AND seq > ?2 AND (disabled = 0 OR NOT ?3)"
    " AND NOT EXISTS (SELECT 1 FROM identity_pools d WHERE d.pool_id = ?1"
    " AND d.deleted_at IS NOT NULL) ORDER BY seq LIMIT ?4"
)
GET_POOL = (
    f"SELECT {codec.POOL_COLUMNS} FROM identity_pools"  # noqa: S608 - constant columns
    " WHERE pool_id = ? AND deleted_at IS NULL"
)
GET_OIDC_PROVIDER = (
    f"SELECT {codec.OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
    " WHERE arn = ? AND account_id = ?"
)
GET_SAML_PROVIDER = (
    f"SELECT {codec.SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
    " WHERE arn = ? AND account_id = ?"
)
