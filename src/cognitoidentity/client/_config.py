"""The seed's configuration: its keys and types, the shorthand arguments merged in, the region.

``config`` accepts exactly the keys of the seed's R client (paws)::

    config = {
        "credentials": {
            "creds": {"access_key_id": ..., "secret_access_key": ..., "session_token": ...},
            "profile": ...,
            "anonymous": ...,
        },
        "endpoint": ..., "region": ..., "close_connection": ..., "timeout": ...,
        "s3_force_path_style": ..., "sts_regional_endpoint": ...,
    }

An unknown key or a value of the wrong type is a ``TypeError`` naming it; a value of the right type
that cannot work (a negative timeout) is a ``ValueError``. ``None`` and ``""`` mean "not set", as
``NULL`` and ``""`` do in paws. The shorthand arguments ``credentials``, ``endpoint`` and ``region``
are merged over ``config`` recursively (paws' ``merge_config``: ``modifyList(config, shorthand)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

#: Seconds to wait for a connection, as the seed's ``timeout`` (paws: curl ``connecttimeout``).
DEFAULT_CONNECT_TIMEOUT = 60.0

STS_REGIONAL_ENDPOINT_VALUES = ("regional", "legacy")


class CredsConfig(TypedDict, total=False):
    """Static credentials: ``config["credentials"]["creds"]``."""

    access_key_id: str | None
    secret_access_key: str | None
    session_token: str | None


class CredentialsConfig(TypedDict, total=False):
    """Where credentials come from: ``config["credentials"]``, or the ``credentials`` argument.

    ``creds`` skips the credential chain; ``profile`` names a profile of the shared config and
    credentials files (else ``AWS_PROFILE``, else ``default``); ``anonymous`` sends unsigned
    requests, which only the public operations (GetId, GetCredentialsForIdentity, GetOpenIdToken,
    UnlinkIdentity) accept."""

    creds: CredsConfig | None
    profile: str | None
    anonymous: bool | None


class ClientConfig(TypedDict, total=False):
    """The seed's ``config``: every key optional; ``None`` (or ``""``) means "not set"."""

    credentials: CredentialsConfig | None
    endpoint: str | None
    region: str | None
    close_connection: bool | None
    timeout: float | None
    s3_force_path_style: bool | None
    sts_regional_endpoint: Literal["regional", "legacy"] | None


# What each key accepts: a (types, description) pair, or the schema of a nested mapping.
_Spec = tuple[tuple[type, ...], str]
_STRING: _Spec = ((str,), "a string")
_BOOL: _Spec = ((bool,), "a bool")
_NUMBER: _Spec = ((int, float), "a number of seconds")

_CREDS_SCHEMA: dict[str, Any] = {
    "access_key_id": _STRING,
    "secret_access_key": _STRING,
    "session_token": _STRING,
}
_CREDENTIALS_SCHEMA: dict[str, Any] = {
    "creds": _CREDS_SCHEMA,
    "profile": _STRING,
    "anonymous": _BOOL,
}
_CONFIG_SCHEMA: dict[str, Any] = {
    "credentials": _CREDENTIALS_SCHEMA,
    "endpoint": _STRING,
    "region": _STRING,
    "close_connection": _BOOL,
    "timeout": _NUMBER,
    "s3_force_path_style": _BOOL,
    "sts_regional_endpoint": _STRING,
}


def _checked(value: object, schema: dict[str, Any], where: str) -> dict[str, Any]:
    """``value`` checked against ``schema``, without the keys that are not set."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{where} must be a dict, not {type(value).__name__}")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in schema:
            raise TypeError(f"unknown key {key!r} in {where}; the keys are: {', '.join(schema)}")
        path = f"{where}[{key!r}]"
        if item is None or item == "":
            continue
        spec = schema[key]
        if isinstance(spec, dict):
            out[key] = _checked(item, spec, path)
            continue
        kinds, description = spec
        if not isinstance(item, kinds) or (isinstance(item, bool) and bool not in kinds):
            raise TypeError(f"{path} must be {description}, not {type(item).__name__}")
        out[key] = item
    return out


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base`` recursively, ``over`` winning (R's ``modifyList``)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def merge_config(
    config: Mapping[str, Any] | None,
    credentials: Mapping[str, Any] | None = None,
    endpoint: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The seed's ``config`` with the shorthand arguments merged over it, every key checked."""
    merged = _checked(config or {}, _CONFIG_SCHEMA, "config")
    shorthand: dict[str, Any] = {}
    if credentials is not None:
        shorthand["credentials"] = _checked(credentials, _CREDENTIALS_SCHEMA, "credentials")
    for name, value in (("endpoint", endpoint), ("region", region)):
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, not {type(value).__name__}")
        shorthand[name] = value
    return _merged(merged, shorthand)


@dataclass(frozen=True, slots=True)
class Settings:
    """The merged configuration, checked and flattened: what the client is built from."""

    region: str | None = None
    endpoint: str | None = None
    profile: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    anonymous: bool = False
    close_connection: bool = False
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    sts_regional_endpoint: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """``config`` as :func:`merge_config` returns it."""
        credentials = config.get("credentials", {})
        creds = credentials.get("creds", {})
        key, secret = creds.get("access_key_id"), creds.get("secret_access_key")
        if (key is None) != (secret is None) or (creds.get("session_token") and key is None):
            raise ValueError(
                "config['credentials']['creds'] needs both access_key_id and secret_access_key"
            )
        timeout = float(config.get("timeout", DEFAULT_CONNECT_TIMEOUT))
        if not timeout > 0:
            raise ValueError(f"config['timeout'] must be more than 0 seconds, not {timeout}")
        sts = config.get("sts_regional_endpoint")
        if sts is not None and sts not in STS_REGIONAL_ENDPOINT_VALUES:
            raise ValueError(
                f"config['sts_regional_endpoint'] must be 'regional' or 'legacy', not {sts!r}"
            )
        return cls(
            region=config.get("region"),
            endpoint=config.get("endpoint"),
            profile=credentials.get("profile"),
            access_key_id=key,
            secret_access_key=secret,
            session_token=creds.get("session_token"),
            anonymous=bool(credentials.get("anonymous", False)),
            close_connection=bool(config.get("close_connection", False)),
            connect_timeout=timeout,
            sts_regional_endpoint=sts,
        )

    @property
    def has_static_credentials(self) -> bool:
        return self.access_key_id is not None


def resolve_region(
    explicit: str | None,
    environ: Mapping[str, str],
    profile_region: str | None,
    profile_name: str,
) -> str:
    """The region, in the seed's order: explicit, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, then the
    profile's ``region``; none is an error even when an endpoint is set, as in paws."""
    for candidate in (
        explicit,
        environ.get("AWS_REGION"),
        environ.get("AWS_DEFAULT_REGION"),
        profile_region,
    ):
        if candidate:
            return candidate
    raise ValueError(
        "No region provided: pass region=..., set AWS_REGION or AWS_DEFAULT_REGION, or set "
        f"region in the profile {profile_name!r} of the AWS config file"
    )
