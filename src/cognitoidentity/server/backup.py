"""Backups and moving stores: ``cognitoidentity export`` writes everything a store holds as JSON
lines, ``cognitoidentity import`` loads such a file into an empty store of either kind (SQLite to
PostgreSQL and back).

The file, one JSON object per line (keys sorted, UTF-8):

- a header: ``{"format": "cognitoidentity-export", "version": 1, "exported_at": ...,
  "master_key_check": ...}``;
- one line per record, ``"type"`` naming its kind: ``account``, ``access_key``, ``signing_key``,
  ``oidc_provider``, ``saml_provider``, ``managed_policy``, ``role``, ``pool``, ``identity``,
  ``login``, in that order (each after what it needs), ids and ARNs bytewise within a kind,
  managed policies, roles (with their inline and attached policies), pools, identities and logins
  oldest first
  (:meth:`~cognitoidentity.server.store.base.Store.export_records`, one snapshot of the store);
- a last line, ``{"type": "end", "counts": {kind: n, ...}}``: a file cut short is refused.

Times are ISO 8601 in UTC with microseconds, binary values base64. Access-key secrets and the
signing keys' private keys are exported as they are stored, **sealed with the master key**, which
is never exported: the restored store is usable only with the same master key
(``COGNITOIDENTITY_MASTER_KEY``, ``--master-key-file`` or ``DATA_DIR/master.key``).
``master_key_check`` is derived from the master key (HKDF, its own purpose: it tells nothing of
the key), so that import refuses a store opened with another one; export refuses a master key
that does not open the store's secrets.

Both directions stream: export holds a page of rows at a time, import a batch of
:data:`IMPORT_BATCH` records, each batch one transaction. An import that fails leaves what came
before it in the store: start again on an empty store.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from cognitoidentity.server import iam_backup
from cognitoidentity.server.accounts import ACCESS_KEY_PURPOSE
from cognitoidentity.server.crypto import MasterKey, SealError, load_master_key
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.store import codec
from cognitoidentity.server.store.base import (
    AccessKey,
    Account,
    IamManagedPolicy,
    IamOidcProvider,
    IamRole,
    IamSamlProvider,
    Identity,
    IdentityPool,
    Login,
    SigningKeyRecord,
    Store,
    StoreRecord,
)
from cognitoidentity.server.tokens import SIGNING_KEY_PURPOSE

FORMAT = "cognitoidentity-export"
VERSION = 1
IMPORT_BATCH = 1000
"""Records inserted per transaction by an import."""
_CHECK_PURPOSE = "export-check/v1"


class Output(Protocol):
    """Where an export is written: a binary file, standard output's buffer..."""

    def write(self, data: bytes, /) -> object: ...

    def flush(self) -> object: ...


class BackupError(ValueError):
    """An export or import that cannot be done: what the operator must fix."""


def master_key_check(master: MasterKey) -> str:
    return base64.b64encode(master.derive(_CHECK_PURPOSE)[:16]).decode()


def existing_master_key(settings: Settings) -> MasterKey:
    """The master key the settings name, never a new one (``load_master_key`` makes one for a new
    data directory: a backup under a key nobody kept would be useless)."""
    if settings.master_key or settings.master_key_file:
        return load_master_key(settings)
    if (settings.data_dir / "master.key").exists():
        return load_master_key(settings)
    raise BackupError(
        f"no master key: set COGNITOIDENTITY_MASTER_KEY, or --master-key-file, or use the data"
        f" directory holding the store's master.key (not found in {settings.data_dir})"
    )


# -- lines ---------------------------------------------------------------------------------------
def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _bytes(value: bytes) -> str:
    return base64.b64encode(value).decode()


def record_object(record: StoreRecord) -> dict[str, Any]:
    """``record`` as the object of its line."""
    fields: dict[str, Any]
    match record:
        case Account():
            fields = {"account_id": record.account_id, "name": record.name}
        case AccessKey():
            fields = {
                "access_key_id": record.access_key_id,
                "account_id": record.account_id,
                "secret_ciphertext": _bytes(record.secret_ciphertext),
            }
        case SigningKeyRecord():
            fields = {
                "kid": record.kid,
                "private_key_ciphertext": _bytes(record.private_key_ciphertext),
                "public_jwk": record.public_jwk,
                "retired_at": _time(record.retired_at),
                "delete_after": _time(record.delete_after),
            }
        case IamOidcProvider():
            fields = {
                "arn": record.arn,
                "account_id": record.account_id,
                "url": record.url,
                "client_ids": list(record.client_ids),
                "thumbprints": list(record.thumbprints),
                "tags": [[k, v] for k, v in record.tags.items()],  # in order
            }
        case IamSamlProvider():
            fields = {
                "arn": record.arn,
                "account_id": record.account_id,
                "name": record.name,
                "metadata_document": record.metadata_document,
                "valid_until": _time(record.valid_until),
                "tags": [[k, v] for k, v in record.tags.items()],
            }
        case IamManagedPolicy():
            fields = iam_backup.policy_fields(record, _time)
        case IamRole():
            fields = iam_backup.role_fields(record)
        case IdentityPool():
            fields = {
                "pool_id": record.pool_id,
                "account_id": record.account_id,
                "configuration": codec.pool_document(record),
            }
        case Identity():
            fields = {
                "identity_id": record.identity_id,
                "pool_id": record.pool_id,
                "last_modified_at": _time(record.last_modified_at),
                "disabled": record.disabled,
            }
        case Login():
            fields = {
                "identity_id": record.identity_id,
                "provider": record.provider,
                "user_id": record.user_id,
            }
    return {
        "type": codec.RECORD_KINDS[type(record)],
        "created_at": _time(record.created_at),
        **fields,
    }


def record_from_object(obj: dict[str, Any]) -> StoreRecord:
    """The record a line's object holds; ``KeyError``, ``TypeError`` or ``ValueError`` when it
    holds none."""
    kind = obj["type"]
    created = _at(obj["created_at"])
    if kind == "account":
        return Account(obj["account_id"], obj["name"], created)
    if kind == "access_key":
        return AccessKey(
            obj["access_key_id"],
            obj["account_id"],
            base64.b64decode(obj["secret_ciphertext"]),
            created,
        )
    if kind == "signing_key":
        return SigningKeyRecord(
            obj["kid"],
            base64.b64decode(obj["private_key_ciphertext"]),
            dict(obj["public_jwk"]),
            created,
            _instant(obj["retired_at"]),
            _instant(obj["delete_after"]),
        )
    if kind == "oidc_provider":
        return IamOidcProvider(
            obj["arn"],
            obj["account_id"],
            obj["url"],
            created,
            tuple(obj["client_ids"]),
            tuple(obj["thumbprints"]),
            {k: v for k, v in obj["tags"]},
        )
    if kind == "saml_provider":
        return IamSamlProvider(
            obj["arn"],
            obj["account_id"],
            obj["name"],
            obj["metadata_document"],
            created,
            _instant(obj["valid_until"]),
            {k: v for k, v in obj["tags"]},
        )
    if kind == "managed_policy":
        return iam_backup.policy_from_object(obj, created, _at)
    if kind == "role":
        return iam_backup.role_from_object(obj, created)
    if kind == "pool":
        return codec.pool_from_document(
            obj["pool_id"], obj["account_id"], created, obj["configuration"]
        )
    if kind == "identity":
        return Identity(
            obj["identity_id"],
            obj["pool_id"],
            created,
            _at(obj["last_modified_at"]),
            bool(obj["disabled"]),
        )
    if kind == "login":
        return Login(obj["provider"], obj["user_id"], obj["identity_id"], created)
    raise ValueError(f"unknown record type {kind!r}")


def _line(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


# -- export --------------------------------------------------------------------------------------
async def export_store(
    store: Store, master: MasterKey, out: Output, *, now: datetime
) -> dict[str, int]:
    """Write everything in ``store`` to ``out``, line by line; the count of each kind."""
    counts = dict.fromkeys(codec.RECORD_KINDS.values(), 0)
    checked = False
    out.write(
        _line(
            {
                "format": FORMAT,
                "version": VERSION,
                "exported_at": _time(now),
                "master_key_check": master_key_check(master),
            }
        )
    )
    async with contextlib.aclosing(store.export_records()) as records:
        async for record in records:
            if not checked and isinstance(record, AccessKey | SigningKeyRecord):
                _check_opens(master, record)
                checked = True
            obj = record_object(record)
            counts[obj["type"]] += 1
            out.write(_line(obj))
    out.write(_line({"type": "end", "counts": counts}))
    out.flush()
    return counts


def _check_opens(master: MasterKey, record: AccessKey | SigningKeyRecord) -> None:
    """Refuse a master key that does not open the store's secrets: its backup could not be used."""
    try:
        if isinstance(record, AccessKey):
            master.box(ACCESS_KEY_PURPOSE).open(
                record.secret_ciphertext, record.access_key_id.encode()
            )
        else:
            master.box(SIGNING_KEY_PURPOSE).open(record.private_key_ciphertext, record.kid.encode())
    except SealError as exc:
        raise BackupError(
            "the master key given is not the one this store's secrets are sealed with: give the"
            " store's own (COGNITOIDENTITY_MASTER_KEY, --master-key-file or DATA_DIR/master.key)"
        ) from exc


# -- import --------------------------------------------------------------------------------------
async def import_store(store: Store, master: MasterKey, lines: Iterable[bytes]) -> dict[str, int]:
    """Load an export into ``store``, which must be empty, a batch at a time; the count of each
    kind."""
    if await store.list_accounts() or await store.list_signing_keys():
        raise BackupError("the store is not empty: import restores into an empty store")
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    header = next(numbered, None)
    if header is None:
        raise BackupError("the file is empty")
    _check_header(_object(*header), master)
    counts = dict.fromkeys(codec.RECORD_KINDS.values(), 0)
    batch: list[StoreRecord] = []
    for number, line in numbered:
        obj = _object(number, line)
        if obj.get("type") == "end":
            if batch:
                await store.import_records(batch)
            if obj.get("counts") != counts:
                raise BackupError(
                    f"line {number}: the counts do not match the lines read: {counts}"
                )
            if next(numbered, None) is not None:
                raise BackupError(f"line {number + 1}: lines after the end")
            return counts
        try:
            record = record_from_object(obj)
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"line {number}: not a record of an export: {exc!r}") from exc
        batch.append(record)
        counts[obj["type"]] += 1
        if len(batch) >= IMPORT_BATCH:
            await store.import_records(batch)
            batch = []
    raise BackupError(
        "the file ends without its last line: it was cut short (what came before is in the store)"
    )


def _object(number: int, line: bytes) -> dict[str, Any]:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise BackupError(f"line {number}: not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise BackupError(f"line {number}: not a JSON object")
    return obj


def _check_header(header: dict[str, Any], master: MasterKey) -> None:
    if header.get("format") != FORMAT:
        raise BackupError(f"line 1: not a cognitoidentity export (no {FORMAT!r} header)")
    if header.get("version") != VERSION:
        raise BackupError(
            f"line 1: export format version {header.get('version')!r} is not {VERSION}"
        )
    if header.get("master_key_check") != master_key_check(master):
        raise BackupError(
            "the master key given is not the exporting store's: its secrets and signing keys"
            " would not open. Give that master key (COGNITOIDENTITY_MASTER_KEY, --master-key-file"
            " or DATA_DIR/master.key); it is never exported"
        )
