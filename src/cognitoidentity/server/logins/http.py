"""Outbound HTTP to identity providers: endpoint overrides, the URL policy, timeouts, size limits.

- **Overrides** (``Settings.provider_endpoints``): a map from a provider host (``graph.facebook.com``,
  ``accounts.google.com``, ``cognito-idp.us-east-1.amazonaws.com``, ...; ``host:port`` also works)
  to a base URL. A request for ``https://<host>/<path>`` goes to ``<base URL>/<path>`` instead, so
  self-hosted and local providers work; the verifiers still compare ``iss`` with the real issuer.
- **URL policy**: HTTPS; plain HTTP only to a loopback host (``127.0.0.0/8``, ``::1``,
  ``localhost``) or to the origin of a configured override (the operator chose it). Redirects are
  not followed.
- **Failures**: no answer within the timeout (the whole request, connect to last byte), a refused
  connection, any other transport error, a 3xx or 5xx answer, or an unreadable success body raise
  :class:`ExternalServiceException` "Error calling <provider>: <reason>". 4xx answers go back to the
  verifier, which knows what the provider means by them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from cognitoidentity.server.api.cognito_identity import ExternalServiceException

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_RESPONSE_BYTES",
    "ProviderHttp",
    "ProviderResponse",
    "check_endpoints",
    "is_loopback_host",
]

DEFAULT_TIMEOUT_SECONDS: Final = 5.0
"""How long one provider request may take in all, connecting included."""
MAX_RESPONSE_BYTES: Final = 1_048_576
"""A provider answer larger than this is refused (a JWKS or a profile is a few kilobytes)."""

_log = logging.getLogger(__name__)


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1`` (brackets allowed)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoints(endpoints: object) -> dict[str, str]:
    """``endpoints`` as a host → base URL map; ``ValueError`` when it is not one (for example a
    ``COGNITOIDENTITY_PROVIDER_ENDPOINTS`` that is not a JSON object of strings)."""
    if not isinstance(endpoints, Mapping):
        raise ValueError("provider endpoints must be an object mapping a host to a base URL")
    result: dict[str, str] = {}
    for host, base in endpoints.items():
        if not isinstance(host, str) or not isinstance(base, str) or not host:
            raise ValueError("provider endpoints must map host names to base URL strings")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"provider endpoint for {host} is not an http(s) URL: {base}")
        result[host.lower()] = base.rstrip("/")
    return result


@dataclass(frozen=True, slots=True)
class ProviderResponse:
    status: int
    body: object
    """The parsed JSON body; None when the body is empty or not JSON (only possible for a 4xx)."""


class ProviderHttp:
    """GET JSON from identity providers through one shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        endpoints: Mapping[str, str],
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.client = client
        self.endpoints = check_endpoints(endpoints)
        self.timeout = timeout
        self._override_origins = {
            (urlsplit(base).scheme, urlsplit(base).netloc.lower())
            for base in self.endpoints.values()
        }

    def resolve(self, url: str) -> str:
        """``url`` with its scheme and host replaced by the configured override, if any."""
        parts = urlsplit(url)
        netloc = parts.netloc.lower()
        base = self.endpoints.get(netloc)
        if base is None and parts.hostname is not None:
            base = self.endpoints.get(parts.hostname.lower())
        if base is None:
            return url
        target = urlsplit(base)
        path = target.path.rstrip("/") + (parts.path or "/")
        return urlunsplit((target.scheme, target.netloc, path, parts.query, ""))

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if not parts.netloc or parts.hostname is None:
            return False
        if parts.scheme == "https":
            return True
        if parts.scheme != "http":
            return False
        if (parts.scheme, parts.netloc.lower()) in self._override_origins:
            return True
        return is_loopback_host(parts.hostname)

    async def get_json(
        self,
        url: str,
        *,
        provider: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ProviderResponse:
        """GET ``url`` (after :meth:`resolve`) and parse its JSON body."""
        target = self.resolve(url)
        if not self.allowed(target):
            raise ExternalServiceException(
                f"Error calling {provider}: {target} is not an HTTPS URL (plain HTTP is allowed"
                " only for loopback hosts)"
            )
        try:
            async with asyncio.timeout(self.timeout):
                status, body = await self._fetch(target, params, headers)
        except TimeoutError as exc:
            _log.info("identity provider %s timed out: %s", provider, target)
            raise ExternalServiceException(f"Error calling {provider}: timed out") from exc
        except httpx.TimeoutException as exc:
            _log.info("identity provider %s timed out: %s", provider, target)
            raise ExternalServiceException(f"Error calling {provider}: timed out") from exc
        except httpx.ConnectError as exc:
            _log.info("identity provider %s unreachable: %s (%s)", provider, target, exc)
            raise ExternalServiceException(f"Error calling {provider}: connection failed") from exc
        except httpx.HTTPError as exc:
            _log.info("identity provider %s failed: %s (%r)", provider, target, exc)
            raise ExternalServiceException(
                f"Error calling {provider}: {type(exc).__name__}"
            ) from exc
        if status >= 500 or 300 <= status < 400:
            raise ExternalServiceException(f"Error calling {provider}: HTTP {status}")
        try:
            parsed: object = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        if 200 <= status < 300 and parsed is None:
            raise ExternalServiceException(f"Error calling {provider}: the answer is not JSON")
        return ProviderResponse(status, parsed)

    async def _fetch(
        self, url: str, params: Mapping[str, str] | None, headers: Mapping[str, str] | None
    ) -> tuple[int, bytes]:
        request_headers = {"Accept": "application/json", **(headers or {})}
        async with self.client.stream(
            "GET",
            url,
            params=dict(params) if params else None,
            headers=request_headers,
            timeout=self.timeout,
            follow_redirects=False,
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise httpx.DecodingError(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)
