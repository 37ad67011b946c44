"""Conversions between records and the columns both SQL stores keep (shared, dialect-free): the
pool's JSON document, the JSON columns of IAM providers, the columns each record is selected with,
in order, with the decoder of such a row (and the encoder of the records written whole), and pages
of listings.

The two dialects hand back the same columns in different types, and each decoder takes both: times
are seconds since the epoch in SQLite (REAL) and ``timestamptz`` in PostgreSQL; JSON is text in
SQLite, and already parsed (JSONB, arrays) in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

from cognitoidentity.server.store import base, iam_codec

T = TypeVar("T")
Row = Sequence[Any]
TimeColumn = Callable[[datetime], Any]
"""How a store keeps a time: :func:`seconds` in SQLite, :func:`timestamptz` in PostgreSQL."""


def pool_document(pool: base.IdentityPool) -> dict[str, Any]:
    """The pool's configuration as the JSON document stored in ``identity_pools.document``."""
    return {
        "name": pool.name,
        "allow_unauthenticated": pool.allow_unauthenticated,
        "allow_classic_flow": pool.allow_classic_flow,
        "supported_login_providers": pool.supported_login_providers,
        "developer_provider_name": pool.developer_provider_name,
        "openid_connect_provider_arns": list(pool.openid_connect_provider_arns),
        "cognito_identity_providers": [
            {
                "provider_name": p.provider_name,
                "client_id": p.client_id,
                "server_side_token_check": p.server_side_token_check,
            }
            for p in pool.cognito_identity_providers
        ],
        "saml_provider_arns": list(pool.saml_provider_arns),
        "tags": pool.tags,
        "roles": pool.roles,
        "role_mappings": pool.role_mappings,
        "principal_tag_maps": pool.principal_tag_maps,
    }


def dump_pool_document(pool: base.IdentityPool) -> str:
    return orjson.dumps(pool_document(pool)).decode()


def pool_from_document(
    pool_id: str, account_id: str, created_at: Any, document: dict[str, Any] | str | bytes
) -> base.IdentityPool:
    doc: dict[str, Any] = document if isinstance(document, dict) else orjson.loads(document)
    return base.IdentityPool(
        pool_id=pool_id,
        account_id=account_id,
        name=doc["name"],
        allow_unauthenticated=doc["allow_unauthenticated"],
        created_at=created_at,
        allow_classic_flow=doc.get("allow_classic_flow"),
        supported_login_providers=doc.get("supported_login_providers") or {},
        developer_provider_name=doc.get("developer_provider_name"),
        openid_connect_provider_arns=tuple(doc.get("openid_connect_provider_arns") or ()),
        cognito_identity_providers=tuple(
            base.CognitoProvider(p["provider_name"], p["client_id"], p["server_side_token_check"])
            for p in doc.get("cognito_identity_providers") or ()
        ),
        saml_provider_arns=tuple(doc.get("saml_provider_arns") or ()),
        tags=doc.get("tags") or {},
        roles=doc.get("roles") or {},
        role_mappings=doc.get("role_mappings") or {},
        principal_tag_maps=doc.get("principal_tag_maps") or {},
    )


# -- IAM identity providers: lists and tags as JSON arrays (tags as [key, value] pairs, in order) --
def dump_json_list(values: Sequence[str]) -> str:
    return orjson.dumps(list(values)).decode()


def load_json_list(value: list[str] | str | bytes) -> tuple[str, ...]:
    items: list[str] = value if isinstance(value, list) else orjson.loads(value)
    return tuple(items)


def dump_tags(tags: Mapping[str, str]) -> str:
    return orjson.dumps([[key, value] for key, value in tags.items()]).decode()


def load_tags(value: list[list[str]] | str | bytes) -> dict[str, str]:
    pairs: list[list[str]] = value if isinstance(value, list) else orjson.loads(value)
    return {key: item for key, item in pairs}


# -- rows: the columns of each record, in order, and their decoders ------------------------------
ACCOUNT_COLUMNS = "account_id, name, created_at"
ACCESS_KEY_COLUMNS = "access_key_id, account_id, secret_ciphertext, created_at"
POOL_COLUMNS = "pool_id, account_id, created_at, document"
IDENTITY_COLUMNS = "identity_id, pool_id, created_at, last_modified_at, disabled"
"""Followed, in each store's own SQL, by the distinct provider names of the identity's logins."""
LOGIN_COLUMNS = "provider, user_id, identity_id, created_at, seq"
SIGNING_KEY_COLUMNS = (
    "kid, private_key_ciphertext, public_jwk, created_at, retired_at, delete_after"
)
OIDC_COLUMNS = "arn, account_id, url, created_at, client_ids, thumbprints, tags"
SAML_COLUMNS = "arn, account_id, name, metadata_document, created_at, valid_until, tags"


def instant(value: float | datetime) -> datetime:
    """A stored time as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(value, UTC)


def seconds(value: datetime) -> float:
    """A time as SQLite keeps it (what :func:`instant` reads back)."""
    return value.timestamp()


def timestamptz(value: datetime) -> datetime:
    """A time as PostgreSQL keeps it: the driver passes datetimes as they are."""
    return value


def _maybe_instant(value: float | datetime | None) -> datetime | None:
    return None if value is None else instant(value)


def _maybe_time(value: datetime | None, time: TimeColumn) -> Any:
    return None if value is None else time(value)


def page(rows: Sequence[Row], limit: int, decode: Callable[[Row], T], seq: int) -> base.Page[T]:
    """One page of a listing read with ``LIMIT limit + 1``: the first ``limit`` rows decoded and,
    when there are more, the next page's cursor: the last row's ``seq`` (that column's index)."""
    items = [decode(r) for r in rows[:limit]]
    return base.Page(items, rows[limit - 1][seq] if len(rows) > limit else None)


def account_from_row(row: Row) -> base.Account:
    return base.Account(row[0], row[1], instant(row[2]))


def access_key_from_row(row: Row) -> base.AccessKey:
    return base.AccessKey(row[0], row[1], bytes(row[2]), instant(row[3]))


def pool_from_row(row: Row) -> base.IdentityPool:
    return pool_from_document(row[0], row[1], instant(row[2]), row[3])


def identity_from_row(row: Row) -> base.Identity:
    """:data:`IDENTITY_COLUMNS`, then the provider names (a JSON array, or an array)."""
    return base.Identity(
        row[0], row[1], instant(row[2]), instant(row[3]), bool(row[4]), _providers(row[5])
    )


def _providers(value: str | list[str] | None) -> tuple[str, ...]:
    if not value or value == "[]":
        return ()
    names: list[str] = value if isinstance(value, list) else orjson.loads(value)
    return tuple(sorted(names))


def login_from_row(row: Row) -> base.Login:
    return base.Login(row[0], row[1], row[2], instant(row[3]))


def signing_key_row(key: base.SigningKeyRecord, time: TimeColumn) -> tuple[Any, ...]:
    """``key`` as a row of :data:`SIGNING_KEY_COLUMNS`."""
    return (
        key.kid,
        key.private_key_ciphertext,
        orjson.dumps(key.public_jwk).decode(),
        time(key.created_at),
        _maybe_time(key.retired_at, time),
        _maybe_time(key.delete_after, time),
    )


def signing_key_from_row(row: Row) -> base.SigningKeyRecord:
    jwk: dict[str, Any] = row[2] if isinstance(row[2], dict) else orjson.loads(row[2])
    return base.SigningKeyRecord(
        row[0], bytes(row[1]), jwk, instant(row[3]), _maybe_instant(row[4]), _maybe_instant(row[5])
    )


def oidc_provider_row(provider: base.IamOidcProvider, time: TimeColumn) -> tuple[Any, ...]:
    """``provider`` as a row of :data:`OIDC_COLUMNS`."""
    return (
        provider.arn,
        provider.account_id,
        provider.url,
        time(provider.created_at),
        dump_json_list(provider.client_ids),
        dump_json_list(provider.thumbprints),
        dump_tags(provider.tags),
    )


def oidc_provider_from_row(row: Row) -> base.IamOidcProvider:
    return base.IamOidcProvider(
        row[0],
        row[1],
        row[2],
        instant(row[3]),
        load_json_list(row[4]),
        load_json_list(row[5]),
        load_tags(row[6]),
    )


def saml_provider_row(provider: base.IamSamlProvider, time: TimeColumn) -> tuple[Any, ...]:
    """``provider`` as a row of :data:`SAML_COLUMNS`."""
    return (
        provider.arn,
        provider.account_id,
        provider.name,
        provider.metadata_document,
        time(provider.created_at),
        _maybe_time(provider.valid_until, time),
        dump_tags(provider.tags),
    )


def saml_provider_from_row(row: Row) -> base.IamSamlProvider:
    return base.IamSamlProvider(
        row[0], row[1], row[2], row[3], instant(row[4]), _maybe_instant(row[5]), load_tags(row[6])
    )


# -- every record, for backups (``Store.export_records`` / ``Store.import_records``) -------------
RECORD_KINDS: dict[type, str] = {
    base.Account: "account",
    base.AccessKey: "access_key",
    base.SigningKeyRecord: "signing_key",
    base.IamOidcProvider: "oidc_provider",
    base.IamSamlProvider: "saml_provider",
    base.IamManagedPolicy: "managed_policy",
    base.IamRole: "role",
    base.IdentityPool: "pool",
    base.Identity: "identity",
    base.Login: "login",
}
"""The name of each kind of record, in the order records are exported and inserted (each after
those it needs)."""


_LIVE = " WHERE pool_id NOT IN (SELECT pool_id FROM identity_pools WHERE deleted_at IS NOT NULL)"


def export_queries(
    *, identities: bool, collate: str, attached: str
) -> list[tuple[str, Callable[[Row], base.StoreRecord]]]:
    """The selects that read every record, in :data:`RECORD_KINDS` order, each with its decoder;
    ``collate`` makes text order bytewise (PostgreSQL's ``COLLATE "C"``; SQLite's is already);
    ``attached`` is the dialect's expression of a role's attached policies
    (:func:`.iam_codec.attached`). Managed policies and roles come oldest first.
    Identities are read without the provider names of their logins (``NULL``): logins are records
    of their own. Deleted pools, their identities and logins are left out (:mod:`.purge`)."""
    tables: list[tuple[str, str, str, Callable[[Row], base.StoreRecord]]] = [
        (ACCOUNT_COLUMNS, "accounts", f"account_id{collate}", account_from_row),
        (ACCESS_KEY_COLUMNS, "access_keys", f"access_key_id{collate}", access_key_from_row),
        (SIGNING_KEY_COLUMNS, "signing_keys", f"kid{collate}", signing_key_from_row),
        (OIDC_COLUMNS, "iam_oidc_providers", f"arn{collate}", oidc_provider_from_row),
        (SAML_COLUMNS, "iam_saml_providers", f"arn{collate}", saml_provider_from_row),
        (iam_codec.POLICY_COLUMNS, "iam_policies", "seq", iam_codec.policy_from_row),
        (f"{iam_codec.ROLE_COLUMNS}, {attached}", "iam_roles", "seq", iam_codec.role_from_row),
        (POOL_COLUMNS, "identity_pools WHERE deleted_at IS NULL", "seq", pool_from_row),
    ]
    if identities:
        tables += [
            (f"{IDENTITY_COLUMNS}, NULL", f"identities{_LIVE}", "seq", identity_from_row),
            (LOGIN_COLUMNS, f"logins{_LIVE}", "seq", login_from_row),
        ]
    return [
        (f"SELECT {columns} FROM {table} ORDER BY {order}", decode)  # noqa: S608 - constants
        for columns, table, order, decode in tables
    ]


def import_statements(mark: str, jsonb: str) -> dict[str, str]:
    """The insert of each kind of record, with ``mark`` as the placeholder and ``jsonb`` after
    those of JSON columns (PostgreSQL's ``::jsonb``). A login's pool is its identity's, so a login
    whose identity is missing inserts nothing. A role's attached policies are rows of their own
    (``role_policy``), inserted after the roles."""
    p, j = mark, mark + jsonb
    inserts = {
        "account": ("accounts", ACCOUNT_COLUMNS, [p, p, p]),
        "access_key": ("access_keys", ACCESS_KEY_COLUMNS, [p, p, p, p]),
        "signing_key": ("signing_keys", SIGNING_KEY_COLUMNS, [p, p, j, p, p, p]),
        "oidc_provider": ("iam_oidc_providers", OIDC_COLUMNS, [p, p, p, p, j, j, j]),
        "saml_provider": ("iam_saml_providers", SAML_COLUMNS, [p, p, p, p, p, p, j]),
        "managed_policy": (
            "iam_policies",
            iam_codec.POLICY_COLUMNS,
            [p, p, p, p, p, p, p, j, p, p, p, j],
        ),
        "role": ("iam_roles", iam_codec.ROLE_COLUMNS, [p, p, p, p, p, p, p, p, p, p, j, j, p]),
        "role_policy": ("iam_role_policies", "role_arn, policy_arn", [p, p]),
        "pool": (
            "identity_pools",
            "pool_id, account_id, region, document, created_at",
            [p, p, p, j, p],
        ),
        "identity": ("identities", IDENTITY_COLUMNS, [p, p, p, p, p]),
    }
    statements = {
        kind: f"INSERT INTO {table} ({columns}) VALUES ({', '.join(values)})"  # noqa: S608
        for kind, (table, columns, values) in inserts.items()
    }
    statements["login"] = (
        "INSERT INTO logins (pool_id, provider, user_id, identity_id, created_at)"  # noqa: S608
        f" SELECT pool_id, {p}, {p}, {p}, {p} FROM identities WHERE identity_id = {p}"
    )
    return statements


def record_row(record: base.StoreRecord, time: TimeColumn) -> tuple[str, tuple[Any, ...]]:
    """The kind of ``record`` and its row for that kind's statement of :func:`import_statements`."""
    match record:
        case base.Account():
            return "account", (record.account_id, record.name, time(record.created_at))
        case base.AccessKey():
            return "access_key", (
                record.access_key_id,
                record.account_id,
                record.secret_ciphertext,
                time(record.created_at),
            )
        case base.SigningKeyRecord():
            return "signing_key", signing_key_row(record, time)
        case base.IamOidcProvider():
            return "oidc_provider", oidc_provider_row(record, time)
        case base.IamSamlProvider():
            return "saml_provider", saml_provider_row(record, time)
        case base.IamManagedPolicy():
            return "managed_policy", iam_codec.policy_row(record, time)
        case base.IamRole():
            return "role", iam_codec.role_row(record, time)
        case base.IdentityPool():
            return "pool", (
                record.pool_id,
                record.account_id,
                record.region,
                dump_pool_document(record),
                time(record.created_at),
            )
        case base.Identity():
            return "identity", (
                record.identity_id,
                record.pool_id,
                time(record.created_at),
                time(record.last_modified_at),
                record.disabled,
            )
        case base.Login():
            return "login", (
                record.provider,
                record.user_id,
                record.identity_id,
                time(record.created_at),
                record.identity_id,
            )


def grouped_rows(
    records: Sequence[base.StoreRecord], time: TimeColumn
) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The rows of ``records`` by kind, kinds in :data:`RECORD_KINDS` order (a role's attached
    policies, ``role_policy``, right after the roles), rows in the order given."""
    kinds = list(RECORD_KINDS.values())
    kinds.insert(kinds.index("role") + 1, "role_policy")
    groups: dict[str, list[tuple[Any, ...]]] = {kind: [] for kind in kinds}
    for record in records:
        kind, row = record_row(record, time)
        groups[kind].append(row)
        if isinstance(record, base.IamRole):
            groups["role_policy"] += [(record.arn, arn) for arn in record.attached_policies]
    return [(kind, rows) for kind, rows in groups.items() if rows]


def check_inserted(kind: str, rows: int, inserted: int) -> None:
    """Raise unless all ``rows`` of ``kind`` were inserted (only logins can be left out: those
    whose identity is missing)."""
    if inserted != rows:
        raise base.StoreError(
            f"{rows - inserted} {kind} record(s) not inserted: their identity is not in the store"
        )
