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
GET_IDENTITY = _IDENTITY_SELECT + " FROM identities WHERE identity_id = ?"
GET_IDENTITY_AND_POOL = (
    "SELECT i.identity_id, i.pool_id, i.created_at, i.last_modified_at, i.disabled,"
    " (SELECT json_group_array(DISTINCT l.provider) FROM logins l"
    " WHERE l.identity_id = i.identity_id),"
    " p.pool_id, p.account_id, p.created_at, p.document"
    " FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id WHERE i.identity_id = ?"
)
LIST_IDENTITIES = (
    _IDENTITY_SELECT + ", seq FROM identities"
    " WHERE pool_id = ? AND seq > ? AND (disabled = 0 OR NOT ?) ORDER BY seq LIMIT ?"
)
GET_POOL = f"SELECT {codec.POOL_COLUMNS} FROM identity_pools WHERE pool_id = ?"  # noqa: S608
GET_OIDC_PROVIDER = (
    f"SELECT {codec.OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
    " WHERE arn = ? AND account_id = ?"
)
GET_SAML_PROVIDER = (
    f"SELECT {codec.SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
    " WHERE arn = ? AND account_id = ?"
)
