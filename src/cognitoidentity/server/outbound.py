"""The outbound policy: which URLs and addresses the server may call when it fetches from identity
providers.

Anyone with an access key can create an IAM OpenID Connect provider on a URL of their choice and
then make this server fetch its discovery document and its JWKS (whose URL the document itself
names). Without a policy that is a way into the server's own network: its loopback services, the
cloud metadata endpoint (169.254.169.254), private hosts. So every provider URL is checked here when
it is created (``CreateOpenIDConnectProvider``) and when it is fetched, and every address a name
resolves to is checked when a connection is made.

- HTTPS to a public address is always allowed.
- Plain ``http://`` and non-public destinations (loopback, private RFC 1918 and shared 100.64/10,
  link-local including 169.254.169.254, unique-local ``fc00::/7``, unspecified, multicast, reserved,
  and the IPv4-mapped, NAT64 and 6to4 IPv6 forms of those) only when the operator allows them, with
  ``Settings.outbound_allow`` (``COGNITOIDENTITY_OUTBOUND_ALLOW``): host names (allowed whatever
  they resolve to, over ``http://`` too), addresses and CIDR networks, and ``loopback`` for
  ``127.0.0.0/8``, ``::1`` and ``localhost``. **Choice**: unset, the list is ``loopback`` when the
  server itself listens on a loopback host (how development and tests run) and empty otherwise;
  set, it replaces that default (``none`` for an empty list).
- The origins of ``Settings.provider_endpoints`` are the operator's own choice: allowed.
- ``http://`` needs the URL's host itself allowed (a listed name, or an address literal or
  ``localhost`` in an allowed network): whether a URL may be plain HTTP never depends on DNS.
- A name is resolved when a connection is made; every address it resolves to must be allowed, and
  the connection goes to an address that was checked, so an answer that changes between the check
  and the connection (DNS rebinding) cannot reach a refused address. A name is not resolved when a
  provider is created (a provider may be created before its DNS exists).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from cognitoidentity.server.settings import Settings

__all__ = [
    "LOOPBACK",
    "NOTHING",
    "OutboundPolicy",
    "OutboundRefused",
    "Resolver",
    "address_kind",
    "is_loopback_host",
    "parse_allow_list",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port)`` → the addresses a connection to them would try (``getaddrinfo``)."""

LOOPBACK: Final = "loopback"
"""An allow-list entry: ``127.0.0.0/8``, ``::1`` and the name ``localhost``."""
NOTHING: Final = "none"
"""The allow-list value that allows nothing beyond public HTTPS (and the configured endpoints)."""
PLAIN_HTTP_REFUSED: Final = (
    "the URL must begin with https:// (http:// is accepted only for hosts this server's operator"
    " allows)"
)

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_LOOPBACK_NETWORKS: Final = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
_LOOPBACK_ADDRESSES: Final = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
_SHARED: Final = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL: Final = ipaddress.ip_network("fc00::/7")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_LABEL: Final = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


class OutboundRefused(Exception):
    """The policy refuses a URL or a destination; ``reason`` says why, for the operator's log and
    for IAM's answer to the caller who named the URL."""

    def __init__(self, reason: str, *, plain_http: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.plain_http = plain_http
        """Refused because of its ``http://`` scheme, not of where it leads."""


def _host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_localhost_name(host: str) -> bool:
    # RFC 6761: localhost and every name under it are the loopback interface.
    return host == "localhost" or host.endswith(".localhost")


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and names under it), ``127.0.0.0/8``, ``::1`` or ``::ffff:127.x.y.z``
    (brackets and a trailing dot allowed)."""
    host = _host(host)
    if _is_localhost_name(host):
        return True
    address = _literal(host)
    if address is None:
        return False
    embedded = _embedded_ipv4(address)
    return (embedded or address).is_loopback


def _is_mapped(address: IPAddress) -> bool:
    """``::ffff:a.b.c.d``: the IPv4 address itself, on a dual-stack socket."""
    return isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for when a packet to it reaches that IPv4 address
    (IPv4-mapped, NAT64, 6to4)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_kind(address: IPAddress) -> str | None:
    """What makes ``address`` non-public ("loopback", "private", "link-local"...); None when it
    is a public address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        kind = address_kind(embedded)
        if kind is not None or _is_mapped(address):
            return kind
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address):
        if address in _UNIQUE_LOCAL:
            return "unique-local"
        if address.is_site_local:
            return "site-local"
    elif address in _SHARED:
        return "shared (carrier-grade NAT)"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "non-public"
    return None


def parse_allow_list(text: str) -> tuple[str, ...]:
    """A ``COGNITOIDENTITY_OUTBOUND_ALLOW`` value (comma-separated) as entries, each checked:
    ``ValueError`` names the first that is neither a host name, an address, a CIDR network nor
    ``loopback``. ``none`` alone is the empty list."""
    entries = tuple(part.strip() for part in text.split(",") if part.strip())
    if len(entries) == 1 and entries[0].lower() == NOTHING:
        return ()
    for entry in entries:
        _parse_entry(entry)
    return entries


def _parse_entry(entry: str) -> tuple[list[IPNetwork], list[str]]:
    """The networks and names one allow-list entry stands for."""
    text = entry.strip()
    if text.lower() == LOOPBACK:
        return list(_LOOPBACK_NETWORKS), ["localhost"]
    try:
        return [ipaddress.ip_network(text.strip("[]"), strict=False)], []
    except ValueError:
        pass
    name = _host(text)
    if not _HOST_NAME.fullmatch(name):
        raise ValueError(
            f"outbound allow-list entry {entry!r} is not a host name, an IP address, a CIDR network"
            f" or {LOOPBACK!r}"
        )
    return [], [name]


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``getaddrinfo`` gives for a TCP connection to ``host``, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class OutboundPolicy:
    """The one policy for every URL and address the server fetches from (see the module doc).

    ``allow``: allow-list entries (see :func:`parse_allow_list`); ``trusted_bases``: base URLs the
    operator configured (``Settings.provider_endpoints``), whose origins are allowed as they are;
    ``resolver``: how names become addresses (tests inject their own)."""

    def __init__(
        self,
        allow: Iterable[str] = (),
        *,
        trusted_bases: Iterable[str] = (),
        resolver: Resolver = system_resolver,
    ) -> None:
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for entry in allow:
            more_networks, more_names = _parse_entry(entry)
            networks += more_networks
            names.update(more_names)
        self.networks: tuple[IPNetwork, ...] = tuple(networks)
        self.names: frozenset[str] = frozenset(names)
        self.resolver = resolver
        origins: set[tuple[str, str, int]] = set()
        for base in trusted_bases:
            try:
                parts = urlsplit(base)
                port = parts.port
            except ValueError:
                continue
            scheme = parts.scheme.lower()
            if parts.hostname and scheme in _DEFAULT_PORTS:
                origins.add((scheme, _host(parts.hostname), port or _DEFAULT_PORTS[scheme]))
        self.trusted_origins: frozenset[tuple[str, str, int]] = frozenset(origins)
        self._trusted_endpoints = frozenset((host, port) for _, host, port in origins)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, resolver: Resolver = system_resolver
    ) -> OutboundPolicy:
        allow = settings.outbound_allow
        if allow is None:
            allow = (LOOPBACK,) if is_loopback_host(settings.host) else ()
        return cls(allow, trusted_bases=settings.provider_endpoints.values(), resolver=resolver)

    # -- URLs (no DNS) -----------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """Raise :class:`OutboundRefused` unless ``url`` may be fetched as far as it alone tells
        (its scheme, and its host when that is an address or ``localhost``); names are checked
        again, resolved, when a connection is made (:meth:`addresses`)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise OutboundRefused("the URL is malformed") from exc
        self.check_target(parts.scheme, parts.hostname or "", port)

    def check_target(self, scheme: str, host: str, port: int | None) -> None:
        """:meth:`check_url` for a URL already parsed (by the HTTP client's own parser)."""
        scheme = scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise OutboundRefused(PLAIN_HTTP_REFUSED, plain_http=True)
        host = _host(host)
        if not host:
            raise OutboundRefused("the URL must name a host")
        if (scheme, host, port or _DEFAULT_PORTS[scheme]) in self.trusted_origins:
            return
        if host in self.names:
            return
        addresses: Sequence[IPAddress] = ()
        if _is_localhost_name(host):
            addresses = _LOOPBACK_ADDRESSES
        else:
            literal = _literal(host)
            if literal is not None:
                addresses = (literal,)
        if not addresses:
            if scheme == "http":
                raise OutboundRefused(PLAIN_HTTP_REFUSED, plain_http=True)
            return
        for address in addresses:
            if self._listed(address):
                continue
            if scheme == "http":
                raise OutboundRefused(PLAIN_HTTP_REFUSED, plain_http=True)
            self._check_public(host, address)

    def allows_url(self, url: str) -> bool:
        try:
            self.check_url(url)
        except OutboundRefused:
            return False
        return True

    # -- destinations (DNS) ------------------------------------------------------------------

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses a connection to ``host:port`` may use: resolved, each one checked;
        :class:`OutboundRefused` when any is not allowed (a name with one refused address is
        refused whole), ``OSError`` when the name does not resolve."""
        name = _host(host)
        trusted = name in self.names or (name, port) in self._trusted_endpoints
        literal = _literal(name)
        if literal is not None:
            if not trusted and not self._listed(literal):
                self._check_public(name, literal)
            return [str(literal)]
        resolved = list(await self.resolver(name, port))
        if not resolved:
            raise OSError(f"{host} has no address")
        if trusted:
            return resolved
        for text in resolved:
            address = _literal(text.partition("%")[0])
            if address is None:
                raise OutboundRefused(f"{host} resolves to {text}, which is not an address")
            if not self._listed(address):
                self._check_public(host, address, resolved_to=text)
        return resolved

    def _listed(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )

    @staticmethod
    def _check_public(host: str, address: IPAddress, *, resolved_to: str | None = None) -> None:
        kind = address_kind(address)
        if kind is None:
            return
        where = host if resolved_to is None else f"{host} resolves to {resolved_to}, which"
        raise OutboundRefused(
            f"{where} is not a public address ({kind}); this server calls such addresses only"
            " when its operator allows them"
        )
