"""What the IAM role and policy operations share: quotas, identifiers and ARNs, checking policy
documents on write, tags, pages, and the lookups that make a missing role ``NoSuchEntity``.

Quotas are IAM's defaults (IAM User Guide, "IAM and AWS STS quotas"), with IAM's messages. Sizes
count what :func:`~cognitoidentity.server.policy.policy_size` counts: characters outside
whitespace, as IAM counts them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Final, TypeVar
from urllib.parse import quote

from cognitoidentity.server.api import iam as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations.tags import partition_of
from cognitoidentity.server.policy import Policy, PolicyError, PolicyKind, parse_policy, policy_size
from cognitoidentity.server.store.base import IamRole

T = TypeVar("T")

MAX_ROLES: Final = 1000
"""Roles per account."""
MAX_POLICIES: Final = 1500
"""Customer managed policies per account."""
MAX_ATTACHED: Final = 10
"""Managed policies attached per role."""
MAX_VERSIONS: Final = 5
"""Versions per managed policy."""
MAX_TAGS: Final = 50
"""Tags per role or managed policy."""
TRUST_POLICY_SIZE: Final = 2048
"""Characters of a role's trust policy (ACLSizePerRole)."""
INLINE_POLICIES_SIZE: Final = 10240
"""Characters of all of a role's inline policies together."""
MANAGED_POLICY_SIZE: Final = 6144
"""Characters of a managed policy's document (each version)."""
DEFAULT_MAX_ITEMS: Final = 100
CURRENT_VERSION: Final = "2012-10-17"

DUPLICATE_TAG_KEYS: Final = (
    "Duplicate tag keys found. Please note that Tag keys are case insensitive."
)
_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ACCOUNT_OFFSET: Final = 549_755_813_888
"""``int.from_bytes(base64.b32decode("QAAAAAAA"))``: the encoded account part never starts with
a letter before ``Q``, as in IAM's ids."""


# -- identifiers -----------------------------------------------------------------------------------
def new_unique_id(
    prefix: str, account_id: str, random_bytes: Callable[[int], bytes] = os.urandom
) -> str:
    """A 21-character IAM unique id (``AROA…`` role, ``ANPA…`` managed policy) that carries its
    account, as IAM's do (and as moto builds them): the prefix, the account id halved plus an
    offset in 8 base-32 characters, one character whose half of the alphabet is the account id's
    parity, then 8 random base-32 characters."""
    number = int(account_id)
    value = number // 2 + _ACCOUNT_OFFSET
    account_part = "".join(_ID_ALPHABET[(value >> shift) & 31] for shift in range(35, -1, -5))
    rand = random_bytes(9)
    parity = _ID_ALPHABET[(16 if number % 2 else 0) + rand[0] % 16]
    return prefix + account_part + parity + "".join(_ID_ALPHABET[b % 32] for b in rand[1:])


def account_of_unique_id(unique_id: str) -> str:
    """The account id a :func:`new_unique_id` id carries (``GetAccessKeyInfo``-style)."""
    value = 0
    for char in unique_id[4:12]:
        value = value * 32 + _ID_ALPHABET.index(char)
    number = (value - _ACCOUNT_OFFSET) * 2 + (1 if _ID_ALPHABET.index(unique_id[12]) >= 16 else 0)
    return f"{number:012d}"


def partition(ctx: RequestContext) -> str:
    return partition_of(ctx.region or ctx.runtime.settings.region)


def now(ctx: RequestContext) -> datetime:
    """The time of a write, in whole seconds, as IAM writes ``CreateDate`` (``…T05:01:58Z``)."""
    return ctx.runtime.clock().replace(microsecond=0)


def role_arn(part: str, account_id: str, path: str, name: str) -> str:
    """``arn:aws:iam::<account>:role/<path without its leading slash><name>``."""
    return f"arn:{part}:iam::{account_id}:role{path}{name}"


def policy_arn(part: str, account_id: str, path: str, name: str) -> str:
    """``arn:aws:iam::<account>:policy<path><name>``."""
    return f"arn:{part}:iam::{account_id}:policy{path}{name}"


def policy_path_and_name(arn: str) -> tuple[str, str]:
    """The path and name of a managed policy's ARN; ``InvalidInput`` when it is none."""
    parts = arn.split(":", 5)
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or parts[2] != "iam"
        or not parts[5].startswith("policy/")
    ):
        raise api.InvalidInputException(f"ARN {arn} is not valid.")
    resource = parts[5][len("policy") :]
    cut = resource.rindex("/") + 1
    if cut == len(resource):
        raise api.InvalidInputException(f"ARN {arn} is not valid.")
    return resource[:cut], resource[cut:]


def encoded(document: str) -> str:
    """A policy document as IAM returns it: URL-encoded (RFC 3986, spaces as ``%20``), which
    botocore's ``json_decode_policies`` turns back into the document's object."""
    return quote(document, safe="")


# -- policy documents ------------------------------------------------------------------------------
def checked_document(text: str, kind: PolicyKind, *, managed: bool = False) -> Policy:
    """``text`` parsed as a policy of ``kind``, else ``MalformedPolicyDocument`` with IAM's words;
    a managed policy must also be of the current version."""
    try:
        policy = parse_policy(text, kind=kind)
    except PolicyError as exc:
        raise api.MalformedPolicyDocumentException(exc.message) from exc
    if managed and policy.version != CURRENT_VERSION:
        raise api.MalformedPolicyDocumentException(
            "Policy document must be version 2012-10-17 or greater."
        )
    return policy


def check_trust_policy(text: str) -> None:
    """A role's trust policy: valid, and within ``ACLSizePerRole``."""
    checked_document(text, "trust")
    if policy_size(text) > TRUST_POLICY_SIZE:
        raise api.LimitExceededException(
            f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}"
        )


def check_managed_document(text: str) -> None:
    """A managed policy's document: valid, current version, within ``PolicySize``."""
    checked_document(text, "identity", managed=True)
    if policy_size(text) > MANAGED_POLICY_SIZE:
        raise api.LimitExceededException(
            f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}"
        )


def check_inline_total(role: IamRole) -> None:
    """The role's inline policies together within IAM's 10,240 characters."""
    if sum(policy_size(text) for text in role.inline_policies.values()) > INLINE_POLICIES_SIZE:
        raise api.LimitExceededException(
            f"Maximum policy size of {INLINE_POLICIES_SIZE} bytes exceeded for role {role.name}"
        )


def refuse_unsupported(params: Mapping[str, object], *names: str) -> None:
    """``InvalidInput`` for a member this server does not support, when given."""
    for name in names:
        if params.get(name) is not None:
            raise api.InvalidInputException(f"{name} is not supported by this server.")


# -- tags ------------------------------------------------------------------------------------------
def new_tags(tags: Sequence[api.Tag], *, ignore_case: bool) -> dict[str, str]:
    """The tags of a request, checked: keys unique (whatever their case with ``ignore_case``, as
    role tags; managed policies' keys are case-sensitive), none ``aws:``, at most 50."""
    seen: set[str] = set()
    out: dict[str, str] = {}
    for tag in tags:
        key = tag["Key"]
        folded = key.lower() if ignore_case else key
        if folded in seen:
            raise api.InvalidInputException(DUPLICATE_TAG_KEYS)
        if key.lower().startswith("aws:"):
            raise api.InvalidInputException(
                f"Tag key {key} is invalid: the aws: prefix is reserved for AWS use."
            )
        seen.add(folded)
        out[key] = tag["Value"]
    return within_tag_limit(out)


def within_tag_limit(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise api.LimitExceededException(f"Cannot exceed quota for TagsPerResource: {MAX_TAGS}")
    return tags


def merged_tags(
    current: Mapping[str, str], new: Mapping[str, str], *, ignore_case: bool
) -> dict[str, str]:
    """``current`` with ``new`` added: a key present (in any case, with ``ignore_case``) takes the
    new key and value, in its old place; new keys come last."""
    fold: Callable[[str], str] = str.lower if ignore_case else str
    replacing = {fold(key): key for key in new}
    out: dict[str, str] = {}
    for key, value in current.items():
        if fold(key) in replacing:
            given = replacing.pop(fold(key))
            out[given] = new[given]
        else:
            out[key] = value
    for key in replacing.values():
        out[key] = new[key]
    return within_tag_limit(out)


def without_tags(
    current: Mapping[str, str], keys: Sequence[str], *, ignore_case: bool
) -> dict[str, str]:
    fold: Callable[[str], str] = str.lower if ignore_case else str
    gone = {fold(key) for key in keys}
    return {k: v for k, v in current.items() if fold(k) not in gone}


def tag_list(tags: Mapping[str, str]) -> list[api.Tag]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


# -- pages ---------------------------------------------------------------------------------------
def max_items(value: int | None) -> int:
    return value or DEFAULT_MAX_ITEMS


def cursor(marker: str | None) -> int | None:
    """The position a ``Marker`` of ours holds (decimal digits); ``InvalidInput`` otherwise."""
    if marker is None:
        return None
    if not marker.isascii() or not marker.isdigit():
        raise api.InvalidInputException(f"Invalid Marker: {marker}")
    return int(marker)


def offset_page(
    items: Sequence[T], marker: str | None, limit: int | None
) -> tuple[list[T], str | None]:
    """A page of a list held whole (tags, versions, a role's policies): its items and the marker
    of the next page (the offset of its first item), None at the end."""
    start = cursor(marker) or 0
    size = max_items(limit)
    end = start + size
    return list(items[start:end]), (str(end) if end < len(items) else None)


# -- lookups ---------------------------------------------------------------------------------------
def no_such_role(name: str) -> api.NoSuchEntityException:
    return api.NoSuchEntityException(f"The role with name {name} cannot be found.")


async def require_role(ctx: RequestContext, name: str) -> IamRole:
    """The caller's role ``name`` (in any case), else ``NoSuchEntity``."""
    role = await ctx.store.get_role(ctx.account_id, name)
    if role is None:
        raise no_such_role(name)
    return role
