"""Conversions between records and the columns both SQL stores keep (shared, dialect-free)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from cognitoidentity.server.store.base import CognitoProvider, IdentityPool


def pool_document(pool: IdentityPool) -> dict[str, Any]:
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


def dump_pool_document(pool: IdentityPool) -> str:
    return orjson.dumps(pool_document(pool)).decode()


def pool_from_document(
    pool_id: str, account_id: str, created_at: Any, document: dict[str, Any] | str | bytes
) -> IdentityPool:
    doc: dict[str, Any] = document if isinstance(document, dict) else orjson.loads(document)
    return IdentityPool(
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
            CognitoProvider(p["provider_name"], p["client_id"], p["server_side_token_check"])
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
