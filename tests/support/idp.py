"""Local identity providers for tests: real HTTP servers on 127.0.0.1, each speaking the documented
API of the provider it stands for, plus a moto user pool for real Cognito ID tokens.

- :class:`OidcProvider`: discovery + JWKS with keys the test owns; mints ID tokens with any claims,
  header or key; key rotation; counts requests per path.
- :class:`GraphApi` (Facebook ``/me``, ``/app``), :class:`AmazonApi` (Login with Amazon
  ``/auth/o2/tokeninfo``, ``/user/profile``), :class:`TwitterApi` (``/1.1/account/
  verify_credentials.json``, which checks the OAuth 1.0a HMAC-SHA1 signature for real, with an
  implementation of its own).
- :class:`SamlIdp`: a signing certificate, its IAM metadata document, signed ``SAMLResponse``\\ s.
- :class:`HangingServer`: accepts connections and never answers (timeouts).
- :class:`MotoServer` and the :func:`moto` fixture: ``moto_server`` as a subprocess with helpers to
  make a user pool, an app client and a user, and to sign in for real tokens.
- :class:`DictDirectory`: a ``ProviderDirectory`` backed by dicts.

Every server binds 127.0.0.1 on a free port and runs in daemon threads; ``stop()`` ends it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import boto3
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey
from lxml import etree
from signxml import methods
from signxml.signer import XMLSigner

from cognitoidentity.server.logins.base import OidcProviderConfig, SamlProviderConfig
from tests.support.server import free_port

__all__ = [
    "AmazonApi",
    "DictDirectory",
    "GraphApi",
    "HangingServer",
    "HttpFake",
    "MotoServer",
    "OidcProvider",
    "SamlIdp",
    "TwitterApi",
    "UserPoolLogin",
    "b64url",
    "forge_token",
    "free_port",
    "moto",
]

REGION = "us-east-1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge_token(
    header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes = b""
) -> str:
    """A compact JWS with any header and signature bytes, for tampering tests."""
    return ".".join(
        (
            b64url(json.dumps(dict(header)).encode()),
            b64url(json.dumps(dict(claims)).encode()),
            b64url(signature),
        )
    )


# --- HTTP fakes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: object
    headers: Mapping[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: HttpFake


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        with fake.lock:
            fake.hits[parts.path] += 1
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            reply = fake.handle(parts.path, query, dict(self.headers.items()), self.path)
        except Exception as exc:  # a broken fake must show up as a 500, not hang the client
            reply = Reply(500, {"error": repr(exc)})
        data = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HttpFake:
    """A JSON-over-HTTP server on 127.0.0.1; subclasses implement :meth:`handle`."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpFake:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        raise NotImplementedError


# --- OpenID Connect ------------------------------------------------------------------------------

_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class OidcProvider(HttpFake):
    """An OpenID provider: ``/.well-known/openid-configuration`` (under ``issuer_path``) and the
    JWKS at ``/jwks`` and at ``<issuer_path>/.well-known/jwks.json`` (a user pool's location). ``issuer`` is what discovery and minted tokens say; by default the server's own URL,
    or a real issuer such as ``https://accounts.google.com`` when the verifier reaches this server
    through an endpoint override."""

    def __init__(self, issuer: str | None = None, *, issuer_path: str = "") -> None:
        super().__init__()
        self.issuer_path = issuer_path.rstrip("/")
        self.issuer = issuer or self.url + self.issuer_path
        self.keys: dict[str, RSAKey | ECKey] = {}
        self.algs: dict[str, str] = {}
        self.published: list[str] = []
        self.current = self.add_key("RS256")

    def add_key(self, alg: str = "RS256", *, kid: str | None = None, publish: bool = True) -> str:
        """Make a key for ``alg`` (RS* → RSA-2048, ES* → its curve); returns its kid."""
        kid = kid or secrets.token_hex(8)
        if alg.startswith("RS"):
            key: RSAKey | ECKey = RSAKey.generate_key(2048, private=True)
        else:
            key = ECKey.generate_key(_EC_CURVES[alg], private=True)
        self.keys[kid] = key
        self.algs[kid] = alg
        if publish:
            self.published.append(kid)
        return kid

    def rotate(self, alg: str = "RS256", *, drop_old: bool = True) -> str:
        """A new current key, published; the old ones unpublished when ``drop_old``."""
        kid = self.add_key(alg)
        if drop_old:
            self.published = [kid]
        self.current = kid
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in self.published:
            jwk = self.keys[kid].as_dict(private=False)
            jwk.update(kid=kid, use="sig", alg=self.algs[kid])
            keys.append(jwk)
        return {"keys": keys}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "user-" + secrets.token_hex(4),
            "aud": "client-1",
            "iat": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        kid: str | None = None,
        alg: str | None = None,
        header: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        """An ID token signed with key ``kid`` (default: the current key): ``claims`` replace the
        defaults entirely when given, else the defaults updated with ``overrides`` (``None``
        removes a claim). ``header`` entries are added to ``{"alg", "kid", "typ"}`` (``None``
        removes one)."""
        kid = kid or self.current
        alg = alg or self.algs[kid]
        body = dict(claims) if claims is not None else self.claims(**overrides)
        protected: dict[str, Any] = {"alg": alg, "kid": kid, "typ": "JWT"}
        protected.update(header or {})
        protected = {k: v for k, v in protected.items() if v is not None}
        return jws.serialize_compact(
            protected, json.dumps(body).encode(), self.keys[kid], algorithms=[alg]
        )

    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        if path == self.issuer_path + "/.well-known/openid-configuration":
            return Reply(
                200,
                {
                    "issuer": self.issuer,
                    "jwks_uri": self.url + "/jwks",
                    "id_token_signing_alg_values_supported": sorted(set(self.algs.values())),
                },
            )
        if path in ("/jwks", self.issuer_path + "/.well-known/jwks.json"):
            return Reply(200, self.jwks())
        return Reply(404, {"error": "not found"})


# --- Facebook Graph API --------------------------------------------------------------------------


@dataclass
class _FacebookToken:
    user: dict[str, str]
    app_id: str
    expired: bool = False


class GraphApi(HttpFake):
    """Facebook's Graph API: ``GET /me?fields=...&access_token=`` and ``GET /app?access_token=``,
    with Graph's error form (code 190, subcode 463 when expired)."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: dict[str, _FacebookToken] = {}

    def issue(
        self, app_id: str, *, user_id: str | None = None, name: str = "Ada", expired: bool = False
    ) -> tuple[str, str]:
        """A user access token for ``app_id``; returns ``(token, user id)``."""
        user_id = user_id or str(10**14 + secrets.randbelow(10**14))
        token = "EAA" + secrets.token_urlsafe(24)
        user = {"id": user_id, "name": name, "email": f"{user_id}@example.com"}
        self.tokens[token] = _FacebookToken(user, app_id, expired)
        return token, user_id

    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        entry = self.tokens.get(query.get("access_token", ""))
        if entry is None:
            return Reply(
                400, _graph_error("Invalid OAuth access token - Cannot parse access token")
            )
        if entry.expired:
            return Reply(
                400, _graph_error("Error validating access token: Session has expired", 463)
            )
        if path == "/me":
            wanted = query.get("fields", "id,name").split(",")
            return Reply(200, {k: v for k, v in entry.user.items() if k in wanted})
        if path == "/app":
            return Reply(200, {"id": entry.app_id, "name": "Test app"})
        return Reply(404, _graph_error("Unknown path components"))


def _graph_error(message: str, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": 190}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


# --- Login with Amazon ---------------------------------------------------------------------------


@dataclass
class _AmazonToken:
    user_id: str
    client_id: str
    app_id: str
    expired: bool = False


class AmazonApi(HttpFake):
    """Login with Amazon: ``GET /auth/o2/tokeninfo?access_token=`` and ``GET /user/profile`` with
    ``Authorization: bearer <token>``."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: dict[str, _AmazonToken] = {}

    def issue(
        self, *, app_id: str, client_id: str, user_id: str | None = None, expired: bool = False
    ) -> tuple[str, str]:
        user_id = user_id or "amzn1.account." + secrets.token_hex(12).upper()
        token = "Atza|" + secrets.token_urlsafe(32)
        self.tokens[token] = _AmazonToken(user_id, client_id, app_id, expired)
        return token, user_id

    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        if path == "/auth/o2/tokeninfo":
            token = query.get("access_token", "")
        elif path == "/user/profile":
            scheme, _, token = headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer":
                return Reply(401, {"error": "invalid_request", "error_description": "no token"})
        else:
            return Reply(404, {"error": "not_found"})
        entry = self.tokens.get(token)
        if entry is None:
            return Reply(
                400,
                {
                    "error": "invalid_token",
                    "error_description": "The request has an invalid parameter : access_token",
                },
            )
        if entry.expired:
            return Reply(
                400,
                {"error": "invalid_token", "error_description": "The access token has expired"},
            )
        if path == "/auth/o2/tokeninfo":
            now = int(time.time())
            return Reply(
                200,
                {
                    "iss": "https://www.amazon.com",
                    "user_id": entry.user_id,
                    "aud": entry.client_id,
                    "app_id": entry.app_id,
                    "exp": 3597,
                    "iat": now,
                },
            )
        return Reply(200, {"user_id": entry.user_id, "name": "Ada", "email": "ada@example.com"})


# --- Twitter -------------------------------------------------------------------------------------


def _pct(value: str) -> str:
    return quote(value, safe="-._~")


class TwitterApi(HttpFake):
    """Twitter's ``GET /1.1/account/verify_credentials.json``. It checks the OAuth 1.0a request
    signature (HMAC-SHA1, RFC 5849) with the consumer secret and the token secret it issued, from
    the URL it was called on, and refuses with ``{"errors": [{"code": 32 or 89, ...}]}``."""

    PATH: ClassVar[str] = "/1.1/account/verify_credentials.json"

    def __init__(self) -> None:
        super().__init__()
        self.consumers: dict[str, str] = {}
        self.tokens: dict[str, tuple[str, str, str]] = {}  # token → (secret, consumer, user id)
        self.last_params: dict[str, str] = {}

    def consumer(self) -> tuple[str, str]:
        key, secret = secrets.token_urlsafe(12), secrets.token_urlsafe(30)
        self.consumers[key] = secret
        return key, secret

    def issue(self, consumer_key: str, *, user_id: str | None = None) -> tuple[str, str, str]:
        """An access token of ``consumer_key``'s app: ``(token, token secret, user id)``."""
        user_id = user_id or str(10**9 + secrets.randbelow(10**9))
        token = f"{user_id}-{secrets.token_urlsafe(20)}"
        secret = secrets.token_urlsafe(30)
        self.tokens[token] = (secret, consumer_key, user_id)
        return token, secret, user_id

    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        if path != self.PATH:
            return Reply(
                404, {"errors": [{"code": 34, "message": "Sorry, that page does not exist."}]}
            )
        scheme, _, rest = headers.get("Authorization", "").partition(" ")
        if scheme != "OAuth":
            return Reply(400, {"errors": [{"code": 215, "message": "Bad Authentication data."}]})
        params = {}
        for item in rest.split(","):
            name, _, value = item.strip().partition("=")
            params[unquote(name)] = unquote(value.strip('"'))
        self.last_params = params
        consumer_secret = self.consumers.get(params.get("oauth_consumer_key", ""))
        token = self.tokens.get(params.get("oauth_token", ""))
        if consumer_secret is None or token is None or token[1] != params["oauth_consumer_key"]:
            return Reply(401, {"errors": [{"code": 89, "message": "Invalid or expired token."}]})
        signed = {k: v for k, v in params.items() if k != "oauth_signature"}
        pairs = sorted(
            (_pct(k), _pct(v)) for k, v in [*parse_qsl(urlsplit(raw_path).query), *signed.items()]
        )
        base = "&".join(
            (
                "GET",
                _pct(self.url + path),
                _pct("&".join(f"{k}={v}" for k, v in pairs)),
            )
        )
        key = f"{_pct(consumer_secret)}&{_pct(token[0])}".encode()
        expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
        if params.get("oauth_signature_method") != "HMAC-SHA1" or not hmac.compare_digest(
            expected, params.get("oauth_signature", "")
        ):
            return Reply(401, {"errors": [{"code": 32, "message": "Could not authenticate you."}]})
        user_id = token[2]
        return Reply(
            200, {"id": int(user_id), "id_str": user_id, "screen_name": "ada", "name": "Ada"}
        )


# --- a server that never answers -----------------------------------------------------------------


class HangingServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def start(self) -> HangingServer:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._open.append(conn)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self._open:
            conn.close()
        self._sock.close()


# --- SAML ----------------------------------------------------------------------------------------

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SamlIdp:
    """A SAML identity provider: an RSA key with a self-signed certificate, the IAM metadata
    document naming it, and signed responses."""

    def __init__(self, entity_id: str = "https://idp.example.com/saml") -> None:
        self.entity_id = entity_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.now(UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-idp")])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(self.key, hashes.SHA256())
        )

    @property
    def cert_base64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def metadata(self) -> str:
        return (
            '<?xml version="1.0"?>'
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"'
            ' xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
            f' entityID="{self.entity_id}">'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
            f"<ds:X509Certificate>{self.cert_base64}</ds:X509Certificate>"
            "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"'
            ' Location="https://idp.example.com/sso"/>'
            "</md:IDPSSODescriptor></md:EntityDescriptor>"
        )

    def config(self) -> SamlProviderConfig:
        return SamlProviderConfig(self.metadata())

    def response_xml(
        self,
        name_id: str = "ada@example.com",
        *,
        roles: tuple[str, ...] = (),
        attributes: Mapping[str, list[str]] | None = None,
        audience: str = "urn:amazon:webservices",
        issuer: str | None = None,
        not_before: datetime | None = None,
        not_on_or_after: datetime | None = None,
        now: datetime | None = None,
    ) -> etree._Element:
        """An unsigned ``samlp:Response`` (valid for five minutes from ``now`` by default)."""
        now = now or datetime.now(UTC)
        not_before = not_before or now - timedelta(seconds=5)
        not_on_or_after = not_on_or_after or now + timedelta(minutes=5)
        response_id, assertion_id = "_" + uuid.uuid4().hex, "_" + uuid.uuid4().hex
        values = (
            {ROLE_ATTRIBUTE: list(roles), **(attributes or {})} if roles else dict(attributes or {})
        )
        attrs = "".join(
            f'<saml:Attribute Name="{name}">'
            + "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in vals)
            + "</saml:Attribute>"
            for name, vals in values.items()
        )
        xml = (
            f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{response_id}"'
            f' Version="2.0" IssueInstant="{_iso(now)}"'
            ' Destination="https://signin.aws.amazon.com/saml">'
            f"<saml:Issuer>{issuer or self.entity_id}</saml:Issuer>"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            "</samlp:Status>"
            f'<saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{_iso(now)}">'
            f"<saml:Issuer>{issuer or self.entity_id}</saml:Issuer>"
            "<saml:Subject>"
            '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
            f"{name_id}</saml:NameID>"
            '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData NotOnOrAfter="{_iso(not_on_or_after)}"'
            ' Recipient="https://signin.aws.amazon.com/saml"/>'
            "</saml:SubjectConfirmation></saml:Subject>"
            f'<saml:Conditions NotBefore="{_iso(not_before)}"'
            f' NotOnOrAfter="{_iso(not_on_or_after)}">'
            f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience>"
            "</saml:AudienceRestriction></saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{_iso(now)}">'
            "<saml:AuthnContext><saml:AuthnContextClassRef>"
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
            f"<saml:AttributeStatement>{attrs}</saml:AttributeStatement>"
            "</saml:Assertion></samlp:Response>"
        )
        return etree.fromstring(xml.encode())

    def sign(
        self,
        response: etree._Element,
        *,
        what: str = "assertion",
        key: rsa.RSAPrivateKey | None = None,
    ) -> etree._Element:
        """Sign the assertion (``what="assertion"``) or the whole response, RSA-SHA256 with
        exclusive canonicalization, as IdPs do."""
        signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm="rsa-sha256",
            digest_algorithm="sha256",
            c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
        )
        pem = (key or self.key).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        cert = self.cert.public_bytes(serialization.Encoding.PEM).decode()
        if what == "response":
            return signer.sign(response, key=pem, cert=cert, reference_uri=response.get("ID"))
        assertion = response.find(f"{{{SAML}}}Assertion")
        assert assertion is not None
        signed = signer.sign(assertion, key=pem, cert=cert, reference_uri=assertion.get("ID"))
        response.replace(assertion, signed)
        return response

    def response(self, *, what: str = "assertion", **kwargs: Any) -> str:
        """A signed response, base64 as a ``Logins`` value."""
        return encode_saml(self.sign(self.response_xml(**kwargs), what=what))


def encode_saml(element: etree._Element) -> str:
    return base64.b64encode(etree.tostring(element)).decode()


# --- the provider directory ----------------------------------------------------------------------


@dataclass
class DictDirectory:
    """A ``ProviderDirectory`` over two dicts keyed by ``(account id, ARN)``."""

    oidc: dict[tuple[str, str], OidcProviderConfig] = field(default_factory=dict)
    saml: dict[tuple[str, str], SamlProviderConfig] = field(default_factory=dict)
    lookups: int = 0
    current_version: int | None = None
    """What ``version`` answers: None (the default) makes the verifier ask at every login."""

    def version(self) -> Hashable | None:
        return self.current_version

    async def oidc_provider(self, account_id: str, arn: str) -> OidcProviderConfig | None:
        self.lookups += 1
        return self.oidc.get((account_id, arn))

    async def saml_provider(self, account_id: str, arn: str) -> SamlProviderConfig | None:
        self.lookups += 1
        return self.saml.get((account_id, arn))


# --- moto: a real user pool ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserPoolLogin:
    """A user signed in to a moto user pool."""

    user_pool_id: str
    client_id: str
    username: str
    sub: str
    id_token: str
    access_token: str

    @property
    def provider_name(self) -> str:
        """The ``Logins`` key: ``cognito-idp.<region>.amazonaws.com/<pool id>``."""
        return f"cognito-idp.{self.user_pool_id.split('_', 1)[0]}.amazonaws.com/{self.user_pool_id}"


class MotoServer:
    """``moto_server`` on 127.0.0.1 (all services; cognito-idp is what these tests use).

    moto's user pool tokens are RS256 with kid ``dummy``, ``iss`` is
    ``https://cognito-idp.<region>.amazonaws.com/<pool id>``, and the JWKS is served at
    ``/<pool id>/.well-known/jwks.json``: map ``cognito-idp.<region>.amazonaws.com`` to
    :attr:`url` in the provider endpoints."""

    START_TIMEOUT = 30.0

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"moto-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        executable = Path(sys.executable).with_name("moto_server")
        command = (
            [str(executable)] if executable.exists() else [sys.executable, "-m", "moto.server"]
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "-H", "127.0.0.1", "-p", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.log_path.read_text()}")
            try:
                httpx.get(self.url + "/moto-api/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not start in {self.START_TIMEOUT}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def client(self, service: str, region: str = REGION) -> Any:
        make: Any = boto3.client
        return make(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def provider_endpoints(self, region: str = REGION) -> dict[str, str]:
        return {f"cognito-idp.{region}.amazonaws.com": self.url}

    def user_pool_login(
        self, *, region: str = REGION, username: str = "ada", password: str = "Corr3ct-horse!"
    ) -> UserPoolLogin:
        """A new user pool with one app client and one confirmed user, signed in with
        ``ADMIN_USER_PASSWORD_AUTH``: real ID and access tokens from moto."""
        idp = self.client("cognito-idp", region)
        pool_id = idp.create_user_pool(PoolName="pool-" + secrets.token_hex(4))["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="app",
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            TemporaryPassword=password + "0",
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        )
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )
        result = idp.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )["AuthenticationResult"]
        user = idp.admin_get_user(UserPoolId=pool_id, Username=username)
        sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
        return UserPoolLogin(
            pool_id, client_id, username, sub, result["IdToken"], result["AccessToken"]
        )


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One ``moto_server`` for the session (import this fixture into a conftest to use it)."""
    server = MotoServer(tmp_path_factory.mktemp("moto")).start()
    try:
        yield server
    finally:
        server.stop()
