"""The client: the seed's ``cognitoidentity()`` as a thin facade over a botocore client.

botocore does the work: the credential chain, SigV4 signing, retries, endpoint resolution
(``AWS_ENDPOINT_URL_COGNITO_IDENTITY``, ``AWS_ENDPOINT_URL``, the profile's ``services`` section and
``endpoint_url``, then AWS's regional endpoint), request validation and parsing against the model.
This module adds what the seed's client does differently: its configuration keys, its region order
(``AWS_REGION`` first), plain results, and one error type whose text reads as the seed's.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from types import TracebackType
from typing import Any

import botocore.session
from botocore import UNSIGNED, xform_name
from botocore.config import Config as BotocoreConfig
from botocore.exceptions import ClientError, ParamValidationError

from cognitoidentity import _models
from cognitoidentity.client._config import (
    ClientConfig,
    CredentialsConfig,
    Settings,
    merge_config,
    resolve_region,
)
from cognitoidentity.client._errors import CognitoIdentityError
from cognitoidentity.client._model import PAGINATED, Exceptions, Operations
from cognitoidentity.client._paginate import Pages

SERVICE_NAME = "cognito-identity"
#: Where the raw error body rides from botocore's ``before-parse`` hook to the ``ClientError``.
_ERROR_BODY_KEY = "CognitoIdentityErrorBody"

ERRORS_BY_CODE: dict[str, type[CognitoIdentityError]] = {
    name: value
    for name, value in vars(Exceptions).items()
    if isinstance(value, type) and issubclass(value, CognitoIdentityError)
}
_PAGINATED_METHODS = {xform_name(name): key for name, key in PAGINATED.items()}


def _version() -> str:
    try:
        return metadata.version("cognitoidentity")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def _keep_error_body(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """botocore ``before-parse`` hook: keep the parsed JSON body of an error answer, which
    botocore's own parsing reduces to a code and a message."""
    if response_dict.get("status_code", 200) < 300:
        return
    try:
        body = json.loads(response_dict.get("body") or b"")
    except ValueError:
        body = None
    customized_response_dict[_ERROR_BODY_KEY] = body if isinstance(body, dict) else {}


def _close_connection(request: Any, **_: Any) -> None:
    """botocore ``before-send`` hook for ``close_connection``: ask for ``Connection: close``, as
    paws does, so urllib3 drops the connection after the answer."""
    request.headers["Connection"] = "close"


def _utc(value: Any) -> Any:
    """``value`` with every datetime in UTC (botocore hands them out in dateutil's ``tzutc``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, dict):
        return {k: _utc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_utc(v) for v in value]
    return value


def error_from(error: ClientError, operation: str) -> CognitoIdentityError:
    """The :class:`CognitoIdentityError` (subclass by code) for botocore's ``ClientError``."""
    response: dict[str, Any] = dict(error.response)
    details = response.get("Error", {})
    meta = response.get("ResponseMetadata", {})
    body = response.get(_ERROR_BODY_KEY) or {}
    code = str(details.get("Code") or "")
    message = str(details.get("Message") or "")
    if not code or (code.isdigit() and "__type" not in body):
        # No code in the answer: the seed's client calls it UnknownError.
        code, message = "UnknownError", message or "unknown error"
    cls = ERRORS_BY_CODE.get(code, CognitoIdentityError)
    return cls(
        message,
        code=code,
        status_code=int(meta.get("HTTPStatusCode") or 0),
        error_response=body,
        operation=operation,
        request_id=meta.get("RequestId"),
    )


class CognitoIdentity(Operations):
    """A client for Amazon Cognito Identity: one method per operation, in snake_case, taking the
    AWS parameter names as keyword arguments (``svc.get_id(IdentityPoolId=...)``).

    Results are plain dicts (no ``ResponseMetadata``; timestamps as UTC datetimes; ``{}`` for the
    operations without output). Errors raise :class:`CognitoIdentityError`, as the subclass named
    by the error code: ``except svc.exceptions.ResourceNotFoundException``. A missing or unknown
    parameter, or a value of the wrong type, raises ``TypeError`` before any request.

    Build it with :func:`cognitoidentity`; the arguments are the same. ``botocore_session`` is an
    escape hatch for tests and special setups: the botocore session to build the client from (its
    loader is given the vendored Cognito Identity model, as the client's own session is).
    """

    exceptions = Exceptions

    def __init__(
        self,
        config: ClientConfig | None = None,
        credentials: CredentialsConfig | None = None,
        endpoint: str | None = None,
        region: str | None = None,
        *,
        botocore_session: botocore.session.Session | None = None,
    ) -> None:
        settings = Settings.from_config(merge_config(config, credentials, endpoint, region))
        session = botocore_session or botocore.session.Session()
        if settings.profile is not None:
            session.set_config_variable("profile", settings.profile)
        if settings.sts_regional_endpoint is not None:
            # Used by the STS calls of the credential chain (assume-role profiles).
            session.set_config_variable("sts_regional_endpoints", settings.sts_regional_endpoint)
        profile_name: str | None = session.get_config_variable("profile")
        if profile_name is not None and profile_name not in session.available_profiles:
            raise ValueError(
                f"profile {profile_name!r} is not in the AWS config or credentials files"
            )
        profile_region = session.get_scoped_config().get("region")
        region_name = resolve_region(
            settings.region, os.environ, profile_region, profile_name or "default"
        )
        unsigned = settings.anonymous and not settings.has_static_credentials
        self.settings = settings
        self._session = session
        # botocore validates and parses with the vendored model the methods were generated from.
        _models.add_to_loader(session)
        self._client: Any = session.create_client(
            SERVICE_NAME,
            region_name=region_name,
            endpoint_url=settings.endpoint,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            aws_session_token=settings.session_token,
            config=BotocoreConfig(
                connect_timeout=settings.connect_timeout,
                user_agent_extra=f"cognitoidentity/{_version()}",
                signature_version=UNSIGNED if unsigned else None,
            ),
        )
        events = self._client.meta.events
        events.register(f"before-parse.{SERVICE_NAME}", _keep_error_body)
        if settings.close_connection:
            events.register(f"before-send.{SERVICE_NAME}", _close_connection)

    # -- what botocore resolved -------------------------------------------------------------------

    @property
    def region(self) -> str:
        """The region requests are signed for."""
        region: str = self._client.meta.region_name
        return region

    @property
    def endpoint_url(self) -> str:
        """The URL requests go to."""
        url: str = self._client.meta.endpoint_url
        return url

    @property
    def botocore_client(self) -> Any:
        """The botocore client underneath, for what this facade does not cover."""
        return self._client

    @property
    def botocore_session(self) -> botocore.session.Session:
        """The botocore session the client was made from."""
        return self._session

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def __enter__(self) -> CognitoIdentity:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CognitoIdentity region={self.region!r} endpoint_url={self.endpoint_url!r}>"

    # -- the two hooks the generated operations call ----------------------------------------------

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        request = {key: value for key, value in params.items() if value is not None}
        method = getattr(self._client, xform_name(operation))
        try:
            response: dict[str, Any] = method(**request)
        except ParamValidationError as e:
            raise TypeError(f"{xform_name(operation)}(): {e.kwargs.get('report', e)}") from e
        except ClientError as e:
            raise error_from(e, operation) from e
        response.pop("ResponseMetadata", None)
        result: dict[str, Any] = _utc(response)
        return result

    def _paginate(self, operation: str, params: dict[str, Any]) -> Pages[Any, Any]:
        result_key = _PAGINATED_METHODS.get(operation)
        if result_key is None:
            raise ValueError(
                f"{operation!r} cannot be paginated; these can: {', '.join(_PAGINATED_METHODS)}"
            )
        method = getattr(self, operation)
        try:
            inspect.signature(method).bind(**params)
        except TypeError as e:
            raise TypeError(f"{operation}(): {e}") from None
        first = params.pop("NextToken", None)

        def fetch(token: str | None) -> Mapping[str, Any]:
            page: Mapping[str, Any] = method(**params, NextToken=token)
            return page

        return Pages(fetch, result_key, first)


def cognitoidentity(
    config: ClientConfig | None = None,
    credentials: CredentialsConfig | None = None,
    endpoint: str | None = None,
    region: str | None = None,
) -> CognitoIdentity:
    """A client for Amazon Cognito Identity, as the seed's ``cognitoidentity()``.

    Args:
        config: Optional configuration of credentials, endpoint, and/or region:

            - ``credentials``: ``creds`` (``access_key_id``, ``secret_access_key``,
              ``session_token``); ``profile``, the name of a profile to use (else ``AWS_PROFILE``,
              else ``default``); ``anonymous``, send unsigned requests.
            - ``endpoint``: the complete URL to use for the constructed client.
            - ``region``: the AWS Region used in instantiating the client.
            - ``close_connection``: close every HTTP connection after its request.
            - ``timeout``: seconds to wait for a connection to open (default 60).
            - ``s3_force_path_style``: accepted for compatibility; no effect on this service.
            - ``sts_regional_endpoint``: ``"regional"`` or ``"legacy"`` STS endpoints, for the
              STS calls of the credential chain.
        credentials: Optional shorthand for ``config["credentials"]``.
        endpoint: Optional shorthand for ``config["endpoint"]``.
        region: Optional shorthand for ``config["region"]``.

    The region is the explicit one, else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's
    ``region``; without one this raises ``ValueError``. The endpoint is the explicit one, else
    ``AWS_ENDPOINT_URL_COGNITO_IDENTITY``, ``AWS_ENDPOINT_URL``, the profile's ``services`` section
    (``cognito_identity = endpoint_url = ...``) or ``endpoint_url``, else AWS's regional endpoint.
    Credentials are ``creds``, else unsigned for ``anonymous``, else botocore's chain (environment,
    shared files, ``credential_process``, SSO, assume-role, container, instance metadata).

    Example::

        svc = cognitoidentity(endpoint="http://127.0.0.1:4566", region="us-east-1")
        pool = svc.create_identity_pool(
            IdentityPoolName="demo", AllowUnauthenticatedIdentities=True
        )
        svc.get_id(IdentityPoolId=pool["IdentityPoolId"])
    """
    return CognitoIdentity(config, credentials, endpoint, region)
