"""Outbound HTTP to identity providers: endpoint overrides, the outbound policy, timeouts, size
limits.

- **Overrides** (``Settings.provider_endpoints``): a map from a provider host (``graph.facebook.com``,
  ``accounts.google.com``, ``cognito-idp.us-east-1.amazonaws.com``, ...; ``host:port`` also works)
  to a base URL. A request for ``https://<host>/<path>`` goes to ``<base URL>/<path>`` instead, so
  self-hosted and local providers work; the verifiers still compare ``iss`` with the real issuer.
- **Outbound policy** (:mod:`cognitoidentity.server.outbound`): every URL is checked before it is
  fetched (its scheme, and its host when that is an address), and the client made by
  :func:`provider_client` checks, when it connects, every address a name resolves to and connects
  to a checked address only. Redirects are not followed.
- **Failures**: no answer within the timeout (the whole request, connect to last byte), a refused
  connection or destination, any other transport error, a 3xx or 5xx answer, or an unreadable
  success body raise :class:`ExternalServiceException` "Error calling <provider>: <reason>", whose
  reason never carries what the provider answered (its status or body) nor where a refused name
  led: the server's log has the details. 4xx answers go back to the verifier, which knows what the
  provider means by them.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx
import orjson

from cognitoidentity.server.api.cognito_identity import ExternalServiceException
from cognitoidentity.server.outbound import (
    LOOPBACK,
    OutboundPolicy,
    OutboundRefused,
    is_loopback_host,
)

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_RESPONSE_BYTES",
    "GuardedBackend",
    "ProviderHttp",
    "ProviderResponse",
    "check_endpoints",
    "is_loopback_host",
    "provider_client",
]

DEFAULT_TIMEOUT_SECONDS: Final = 5.0
"""How long one provider request may take in all, connecting included."""
MAX_RESPONSE_BYTES: Final = 1_048_576
"""A provider answer larger than this is refused (a JWKS or a profile is a few kilobytes)."""
CONNECTION_FAILED: Final = "connection failed"
PLAIN_HTTP: Final = (
    "not an HTTPS URL (plain HTTP is allowed only for hosts this server's operator allows)"
)
UNEXPECTED_ANSWER: Final = "unexpected answer"

_log = logging.getLogger(__name__)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens the TCP connections of :func:`provider_client`: resolves the host through the
    policy, which checks every address, then connects to those addresses themselves, so the
    connection cannot go anywhere the check did not see. TLS still verifies the certificate
    against the host name (httpcore passes the URL's host to ``start_tls``)."""

    def __init__(
        self, policy: OutboundPolicy, backend: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.policy = policy
        self.backend = backend if backend is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.policy.addresses(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # the policy never answers an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("identity providers are reached over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(
        self,
        policy: OutboundPolicy,
        verify: ssl.SSLContext | bool,
        backend: httpcore.AsyncNetworkBackend | None,
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify)
        super().__init__(verify=ssl_context)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        # httpx has no parameter for httpcore's network backend: its pool is replaced by one that
        # uses ours (same settings as httpx's default pool).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy, backend),
        )


def provider_client(
    policy: OutboundPolicy,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    *,
    verify: ssl.SSLContext | bool = True,
    backend: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """The HTTP client for identity providers: every connection goes through
    :class:`GuardedBackend`; no proxy from the environment (a proxy would resolve names where the
    policy cannot check them), no redirects. ``verify`` as httpx takes it (an ``SSLContext``);
    ``backend`` opens the checked connections (tests record them)."""
    return httpx.AsyncClient(
        transport=_GuardedTransport(policy, verify, backend),
        timeout=timeout,
        follow_redirects=False,
    )


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
    """GET JSON from identity providers through one shared ``httpx.AsyncClient``.

    ``client`` None: one from :func:`provider_client` for ``policy``. ``policy`` None: the
    development default, loopback allowed (what a server listening on 127.0.0.1 gets), with the
    origins of ``endpoints``. A client passed in gets the URL checks of :meth:`get_json` but
    checks resolved addresses only if :func:`provider_client` made it."""

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        endpoints: Mapping[str, str],
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        *,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self.endpoints = check_endpoints(endpoints)
        self.timeout = timeout
        self.policy = (
            policy
            if policy is not None
            else OutboundPolicy((LOOPBACK,), trusted_bases=self.endpoints.values())
        )
        self.client = client if client is not None else provider_client(self.policy, timeout)

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

    def check(self, url: str) -> None:
        """Raise :class:`OutboundRefused` unless the policy allows ``url``, parsed as the client
        will parse it."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise OutboundRefused("the URL is malformed") from exc
        if parsed.userinfo:
            raise OutboundRefused("the URL carries user information")
        self.policy.check_target(parsed.scheme, parsed.raw_host.decode("ascii"), parsed.port)

    def allowed(self, url: str) -> bool:
        try:
            self.check(url)
        except OutboundRefused:
            return False
        return True

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
        try:
            self.check(target)
            async with asyncio.timeout(self.timeout):
                status, body = await self._fetch(target, params, headers)
        except OutboundRefused as exc:
            # The caller chose this URL (or its provider's discovery document did): it learns
            # that it is refused, the operator why.
            _log.warning(
                "identity provider %s: %s refused by the outbound policy: %s",
                provider,
                target,
                exc.reason,
            )
            reason = PLAIN_HTTP if exc.plain_http else CONNECTION_FAILED
            raise ExternalServiceException(f"Error calling {provider}: {reason}") from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            _log.info("identity provider %s timed out: %s", provider, target)
            raise ExternalServiceException(f"Error calling {provider}: timed out") from exc
        except httpx.ConnectError as exc:
            _log.info("identity provider %s unreachable: %s (%s)", provider, target, exc)
            raise ExternalServiceException(
                f"Error calling {provider}: {CONNECTION_FAILED}"
            ) from exc
        except httpx.HTTPError as exc:
            _log.info("identity provider %s failed: %s (%r)", provider, target, exc)
            raise ExternalServiceException(
                f"Error calling {provider}: {type(exc).__name__}"
            ) from exc
        if status >= 500 or 300 <= status < 400:
            _log.info("identity provider %s answered HTTP %d: %s", provider, status, target)
            raise ExternalServiceException(f"Error calling {provider}: {UNEXPECTED_ANSWER}")
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
