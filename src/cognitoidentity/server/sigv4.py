"""Server-side verification of AWS Signature Version 4.

Every signed request goes through :meth:`SigV4Verifier.verify`, either with the ``Authorization``
header or presigned in the query string (``X-Amz-Algorithm`` and friends). The checks run in the
order AWS's front end runs them, and fail with the same error codes and messages, so that SDKs and
scripts that match on them behave as they do against AWS:

1. no signature at all: ``MissingAuthenticationTokenException``;
2. unusable syntax (algorithm, ``key=value`` pairs, missing parts, missing date, date format,
   credential shape): ``IncompleteSignatureException``;
3. headers that must be signed and are not, time skew or expiry, credential scope:
   ``InvalidSignatureException``;
4. an access key (or session token) the resolver does not know: ``UnrecognizedClientException``;
5. the signature itself: ``InvalidSignatureException``.

The canonical request is built as botocore builds it (``botocore/auth.py``, ``SigV4Auth``), which
is also what the other AWS SDKs send for a non-S3 service.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Protocol
from urllib.parse import quote, unquote_to_bytes

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

# Security limits.
MAX_SKEW = timedelta(minutes=15)
"""How far the signed time may be from the server's clock, either way (AWS: 15 minutes)."""
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
"""Longest ``X-Amz-Expires`` a presigned request may ask for (AWS: one week)."""
SIGNING_KEY_CACHE_SIZE = 1024
"""Derived signing keys kept per verifier; one per (secret, day, region, service)."""
UNSIGNED_X_AMZ_HEADERS = frozenset({"x-amz-cf-id"})
"""``x-amz-*`` headers allowed unsigned: CloudFront adds ``X-Amz-Cf-Id`` on its way to the origin,
after the client signed."""

MISSING_TOKEN_MESSAGE = "Request is missing Authentication Token"  # noqa: S105 (a message)
SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your"
    " AWS Secret Access Key and signing method. Consult the service documentation for details."
)
UNRECOGNIZED_CLIENT_MESSAGE = "The security token included in the request is invalid."
CONTENT_SHA256_MISMATCH_MESSAGE = (
    "The provided 'x-amz-content-sha256' header does not match what was computed."
)
HOST_NOT_SIGNED_MESSAGE = (
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
)
BOTH_AUTH_FORMS_MESSAGE = (
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
)

_ISO_BASIC = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_BOTOCORE_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([!-+\--<>-~]+), SignedHeaders=([!-+\--<>-~]+),"
    r" Signature=([!-+\--<>-~]+)"
)
"""The ``Authorization`` header as botocore (and every AWS SDK) writes it: taken without
:meth:`SigV4Verifier._parse_authorization`'s general split, to the same three values. Each value
is printable ASCII but the space, ``,`` and ``=``: a class of ranges, which the regex engine tests
from a bitmap (the whitespace category it replaces costs several times more a character); any
other value takes the general split, which reads the botocore form the same way."""
_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)+/?")
"""A path :func:`canonical_uri` leaves as it is: no empty, ``.`` or ``..`` segment, nothing
that ``quote`` encodes."""
_PLAIN_NAMES = re.compile(r"[!-@\[-~]*")
"""Signed header names that ``strip().lower()`` leaves as they are: printable ASCII but capitals
and the space."""
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_AUTH_PARAMETERS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)


@dataclass(slots=True)  # not frozen: built for every request, and a frozen __init__ costs more
class HttpRequest:
    method: str
    path: str
    """The path as received, still percent-encoded."""
    query_string: str
    """The raw query string, without ``?``; may be empty."""
    headers: Mapping[str, str]
    """Lower-case names; a repeated header's values joined with ``,``."""
    body: bytes
    body_sha256: str | None = None
    """The body's SHA-256 (lower-case hex) in place of ``body``, for a request known only by its
    hash (one a service forwards to the decision endpoint, :mod:`.decisions`)."""


@dataclass(frozen=True, slots=True)
class ResolvedCredential:
    secret_access_key: str
    account_id: str
    principal_arn: str
    session: object | None = None
    """Whatever the resolver wants handed back in :attr:`Caller.session`."""


@dataclass(slots=True)  # not frozen: one per signed request (see HttpRequest); never changed
class Caller:
    access_key_id: str
    account_id: str
    principal_arn: str
    region: str
    service: str
    session: object | None


class CredentialResolver(Protocol):
    async def __call__(
        self, access_key_id: str, session_token: str | None
    ) -> ResolvedCredential | None:
        """The key's secret and owner, or None when the key (or token) is unknown.

        May raise a :class:`~cognitoidentity.server.errors.ServiceError` of its own, e.g. for an
        expired session token."""
        ...


@dataclass(slots=True)  # not frozen: one per signed request (see HttpRequest); never changed
class _Signature:
    """What a request claims, from either its Authorization header or its query string."""

    credential: str
    signed_headers: str
    signature: str
    session_token: str | None
    presigned: bool


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso_basic(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@lru_cache(maxsize=256)
def _parse_iso_basic(value: str) -> datetime | None:
    # Memoized: the clients of one second all send the same X-Amz-Date.
    if _ISO_BASIC.fullmatch(value) is None:
        return None
    try:
        return datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[9:11]),
            int(value[11:13]),
            int(value[13:15]),
            tzinfo=UTC,
        )
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _good_scope(credential: str, day: str, service: str) -> tuple[str, str, str, str] | None:
    """``SigV4Verifier._check_scope``'s answer for a scope it accepts, None for any other (which
    it then words). Memoized: a client signs with the same scope all day."""
    parts = credential.split("/")
    if len(parts) != 5:
        return None
    access_key_id, scope_date, region, scope_service, terminator = parts
    if (
        not access_key_id
        or not region
        or scope_service != service
        or terminator != TERMINATOR
        or scope_date != day
    ):
        return None
    return access_key_id, scope_date, region, scope_service


def _parse_http_date(value: str) -> datetime | None:
    """A ``Date`` header: botocore, given one, sends it in RFC 1123 form and signs with it."""
    moment = _parse_iso_basic(value)
    if moment is not None:
        return moment
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_query(query: str) -> list[tuple[bytes, bytes]]:
    """Decoded (name, value) pairs, in order.

    ``+`` is a space, as in any form-encoded query: botocore's ``AWSRequest`` sends its ``params``
    that way (``urlencode``) while signing them with ``%20``."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append(
                (
                    unquote_to_bytes(name.replace("+", " ")),
                    unquote_to_bytes(value.replace("+", " ")),
                )
            )
    return pairs


def _query_value(pairs: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in pairs:
        if key == name:
            return value.decode("utf-8", "replace")
    return None


def canonical_uri(path: str) -> str:
    """The path, normalized and encoded once more.

    "Normalize URI paths according to RFC 3986. Remove redundant and relative path components.
    Each path segment must be URI-encoded twice (except for Amazon S3 which only gets URI-encoded
    once)." The path on the wire is encoded once already; like botocore (``normalize_url_path``
    then ``quote(path, safe='/~')``) we remove dot segments and empty segments and encode it again.
    """
    if path == "/" or _PLAIN_PATH.fullmatch(path) is not None:
        return path
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    normalized = "/".join(segments)
    if path.startswith("/"):
        normalized = "/" + normalized
    if path.endswith("/") and segments:
        normalized += "/"
    return quote(normalized or "/", safe="/~")


def canonical_query_string(pairs: list[tuple[bytes, bytes]], *, presigned: bool = False) -> str:
    """The query string as signed.

    AWS: "Percent-encode reserved characters, including the space character. Encode names and
    values separately. If there are empty parameters, append the equals sign to the parameter name
    before encoding. After encoding, sort the parameters alphabetically by key name." A presigned
    request leaves out ``X-Amz-Signature``, which cannot sign itself."""
    if not pairs:
        return ""
    encoded = sorted(
        (quote(name, safe="-_.~"), quote(value, safe="-_.~"))
        for name, value in pairs
        if not (presigned and name == b"X-Amz-Signature")
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def _sign(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode("utf-8"), "sha256")


class _Hmac(Protocol):
    def copy(self) -> _Hmac: ...

    def update(self, msg: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class _HmacKey:
    """HMAC-SHA256 with one key, the key set up once (the standard library's HMAC object,
    copied for each message): ``hmac.digest`` sets the key up again at every call."""

    __slots__ = ("_hmac",)

    def __init__(self, key: bytes) -> None:
        keyed = hmac.new(key, digestmod="sha256")
        # CPython keeps the C object (OpenSSL's) behind the HMAC object; copied directly, three
        # Python-level method calls go from each signature. Any other HMAC object is copied whole.
        inner = getattr(keyed, "_hmac", None)
        self._hmac: _Hmac = inner if inner is not None and hasattr(inner, "copy") else keyed

    def hexdigest(self, message: bytes) -> str:
        """``hmac.digest(key, message, "sha256").hex()``."""
        signer = self._hmac.copy()
        signer.update(message)
        return signer.hexdigest()


class SigV4Verifier:
    """Checks a request's SigV4 signature and says who signed it."""

    def __init__(
        self,
        resolver: CredentialResolver,
        *,
        service: str,
        clock: Callable[[], datetime] = _utc_now,
        max_skew: timedelta = MAX_SKEW,
        caches: bool = True,
    ) -> None:
        self._resolver = resolver
        self._service = service
        self._clock = clock
        self._max_skew = max_skew
        self._max_behind = -max_skew
        self._skew_text = f"{int(max_skew.total_seconds() // 60)} min."
        self._signing_keys: Cache[tuple[str, str, str, str], _HmacKey] = Cache(
            "signing keys",
            rule="keyed by the secret, day, region and service the key is derived from (a pure"
            " function of them): never invalidated; the oldest goes when full",
            max_entries=SIGNING_KEY_CACHE_SIZE,
            enabled=caches,
        )

    @staticmethod
    def is_signed(request: HttpRequest) -> bool:
        """Whether the request carries a signature of either form, good or bad."""
        if "authorization" in request.headers:
            return True
        query = request.query_string
        return bool(query) and any(name == b"X-Amz-Algorithm" for name, _ in _parse_query(query))

    async def verify(self, request: HttpRequest) -> Caller:
        """Who signed ``request``; otherwise the error AWS answers such a request with."""
        headers = request.headers
        authorization = headers.get("authorization")
        if request.query_string:
            pairs = _parse_query(request.query_string)
            presigned = any(name == b"X-Amz-Algorithm" for name, _ in pairs)
        else:
            pairs, presigned = [], False
        if authorization is not None and presigned:
            raise InvalidSignatureException(BOTH_AUTH_FORMS_MESSAGE)
        if authorization is not None:
            claim = self._parse_authorization(authorization, headers, pairs)
            date_header = "x-amz-date" if "x-amz-date" in headers else "date"
            date_value = headers[date_header]
        elif presigned:
            claim = self._parse_presigned(headers, pairs)
            date_header = None
            date_value = _query_value(pairs, b"X-Amz-Date") or ""
        else:
            raise MissingAuthenticationTokenException(MISSING_TOKEN_MESSAGE)

        listed = claim.signed_headers
        if _PLAIN_NAMES.fullmatch(listed) is not None:  # no whitespace, no capital: as sent
            signed_names = listed.split(";")
        else:
            signed_names = [name.strip().lower() for name in listed.split(";")]
        self._check_signed_headers(signed_names, headers, date_header)

        if date_header == "date":
            moment = _parse_http_date(date_value)
        else:
            moment = _parse_iso_basic(date_value)
        if moment is None:
            raise IncompleteSignatureException(
                f"Date must be in ISO-8601 'basic format'. Got '{date_value}'."
                " See http://en.wikipedia.org/wiki/ISO_8601"
            )
        # The string to sign always carries the ISO 8601 basic form, whatever the header's form.
        amz_date = _iso_basic(moment) if date_header == "date" else date_value
        if claim.presigned:
            self._check_presigned_time(moment, amz_date, _query_value(pairs, b"X-Amz-Expires"))
        else:
            self._check_time(moment, amz_date)

        access_key_id, scope_date, region, service = self._check_scope(claim.credential, amz_date)

        resolved = await self._resolver(access_key_id, claim.session_token)
        if resolved is None:
            raise UnrecognizedClientException(UNRECOGNIZED_CLIENT_MESSAGE)

        canonical = "\n".join(
            (
                request.method.upper(),
                canonical_uri(request.path or "/"),
                canonical_query_string(pairs, presigned=claim.presigned),
                self._canonical_headers(signed_names, headers),
                claim.signed_headers,
                self._payload_hash(request, pairs, presigned=claim.presigned),
            )
        )
        scope = f"{scope_date}/{region}/{service}/{TERMINATOR}"
        string_to_sign = (
            f"{ALGORITHM}\n{amz_date}\n{scope}\n"
            f"{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
        )
        key = self._signing_key(resolved.secret_access_key, scope_date, region, service)
        expected = key.hexdigest(string_to_sign.encode("utf-8"))
        if not hmac.compare_digest(expected.encode(), claim.signature.encode("utf-8", "replace")):
            raise InvalidSignatureException(SIGNATURE_MISMATCH_MESSAGE)
        return Caller(
            access_key_id,
            resolved.account_id,
            resolved.principal_arn,
            region,
            service,
            resolved.session,
        )

    def _parse_authorization(
        self, authorization: str, headers: Mapping[str, str], pairs: list[tuple[bytes, bytes]]
    ) -> _Signature:
        """Split ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``.

        AWS: "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/
        s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a..."
        """
        usual = _BOTOCORE_AUTHORIZATION.fullmatch(authorization)
        if usual is not None and ("x-amz-date" in headers or "date" in headers):
            credential, signed_headers, signature = usual.groups()
            token = headers.get("x-amz-security-token")
            if token is None and pairs:
                token = _query_value(pairs, b"X-Amz-Security-Token")
            return _Signature(credential, signed_headers, signature, token, False)
        algorithm, _, rest = authorization.strip().partition(" ")
        if algorithm != ALGORITHM:
            raise IncompleteSignatureException(f"Unsupported AWS 'algorithm': '{algorithm}'.")
        fields: dict[str, str] = {}
        for part in rest.split(","):
            part = part.strip()
            if not part:
                continue
            name, equals, value = part.partition("=")
            if not equals:
                raise IncompleteSignatureException(
                    f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization"
                    f" header: '{authorization}'"
                )
            fields[name.strip()] = value.strip()
        message = "".join(
            f"Authorization header requires '{name}' parameter. "
            for name in _AUTH_PARAMETERS
            if not fields.get(name)
        )
        if "x-amz-date" not in headers and "date" not in headers:
            message += (
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date'"
                " header. "
            )
        if message:
            raise IncompleteSignatureException(f"{message}Authorization={authorization}")
        token = headers.get("x-amz-security-token")
        if token is None:
            token = _query_value(pairs, b"X-Amz-Security-Token")
        return _Signature(
            credential=fields["Credential"],
            signed_headers=fields["SignedHeaders"],
            signature=fields["Signature"],
            session_token=token,
            presigned=False,
        )

    def _parse_presigned(
        self, headers: Mapping[str, str], pairs: list[tuple[bytes, bytes]]
    ) -> _Signature:
        values = {name: _query_value(pairs, name.encode()) for name in _QUERY_PARAMETERS}
        message = "".join(
            f"AWS query-string parameters must include '{name}'. "
            for name, value in values.items()
            if not value
        )
        if message:
            raise IncompleteSignatureException(f"{message}Re-examine the query-string parameters.")
        algorithm = values["X-Amz-Algorithm"]
        if algorithm != ALGORITHM:
            raise IncompleteSignatureException(f"Unsupported AWS 'algorithm': '{algorithm}'.")
        token = _query_value(pairs, b"X-Amz-Security-Token")
        if token is None:
            token = headers.get("x-amz-security-token")
        return _Signature(
            credential=values["X-Amz-Credential"] or "",
            signed_headers=values["X-Amz-SignedHeaders"] or "",
            signature=values["X-Amz-Signature"] or "",
            session_token=token,
            presigned=True,
        )

    @staticmethod
    def _check_signed_headers(
        signed_names: list[str], headers: Mapping[str, str], date_header: str | None
    ) -> None:
        """Refuse requests whose signature leaves out a header AWS requires to be signed.

        AWS: "You must include the host header (HTTP/1.1) or the :authority header (HTTP/2), and
        any x-amz-* headers in the signature." and "If you include a date or x-amz-date header, you
        must also include that header in the list of signed headers."

        Unsigned ``x-amz-*`` headers would let whoever replays a captured request change, say,
        ``X-Amz-Target`` (the operation) or ``X-Amz-Security-Token``."""
        signed = set(signed_names)
        if "host" not in signed and ":authority" not in signed:
            raise InvalidSignatureException(HOST_NOT_SIGNED_MESSAGE)
        # The few unsigned names first (Authorization, Content-Length...), by a set difference;
        # only when one of them is refused are all read in order, to name the first.
        for name in headers.keys() - signed:
            if (name.startswith("x-amz-") and name not in UNSIGNED_X_AMZ_HEADERS) or (
                name == date_header
            ):
                break
        else:
            return
        for name in headers:
            if (
                name.startswith("x-amz-")
                and name not in signed
                and name not in UNSIGNED_X_AMZ_HEADERS
            ) or (name == date_header and name not in signed):
                raise InvalidSignatureException(
                    f"'{name}' must be a 'SignedHeader' in the AWS Authorization."
                )

    def _check_time(self, moment: datetime, amz_date: str) -> None:
        now = self._now()
        ahead = moment - now
        if self._max_behind <= ahead <= self._max_skew:
            return
        earliest = now - self._max_skew
        latest = now + self._max_skew
        if moment < earliest:
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is now earlier than {_iso_basic(earliest)}"
                f" ({_iso_basic(now)} - {self._skew_text})"
            )
        if moment > latest:
            raise InvalidSignatureException(
                f"Signature not yet current: {amz_date} is still later than {_iso_basic(latest)}"
                f" ({_iso_basic(now)} + {self._skew_text})"
            )

    def _check_presigned_time(self, moment: datetime, amz_date: str, expires: str | None) -> None:
        """A presigned request is good from its date until ``X-Amz-Expires`` seconds later; without
        ``X-Amz-Expires`` it is held to the same skew as a header-signed one."""
        if expires is None:
            self._check_time(moment, amz_date)
            return
        if not expires.isdigit() or not expires.isascii():
            raise IncompleteSignatureException("X-Amz-Expires should be a number")
        seconds = int(expires)
        if seconds > MAX_PRESIGN_EXPIRES:
            raise IncompleteSignatureException(
                f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES}"
            )
        now = self._now()
        if moment + timedelta(seconds=seconds) < now:
            earliest = _iso_basic(now - timedelta(seconds=seconds))
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is now earlier than {earliest}"
                f" ({_iso_basic(now)} - {seconds} sec.)"
            )
        latest = now + self._max_skew
        if moment > latest:
            raise InvalidSignatureException(
                f"Signature not yet current: {amz_date} is still later than {_iso_basic(latest)}"
                f" ({_iso_basic(now)} + {self._skew_text})"
            )

    def _check_scope(self, credential: str, amz_date: str) -> tuple[str, str, str, str]:
        """Check the credential scope and return (key id, date, region, service).

        AWS: "Credential: <your-access-key-id>/<date>/<aws-region>/<aws-service>/aws4_request".

        The region is not checked against a list: a self-hosted server answers whatever region its
        clients are configured with, and hands the region back in :class:`Caller`."""
        good = _good_scope(credential, amz_date[:8], self._service)
        if good is not None:
            return good
        parts = credential.split("/")
        if len(parts) != 5:
            raise IncompleteSignatureException(
                "Credential must have exactly 5 slash-delimited elements, e.g."
                f" keyid/date/region/service/term, got '{credential}'"
            )
        access_key_id, scope_date, region, service, terminator = parts
        message = ""
        if not region:
            message += "Credential should be scoped to a valid region. "
        if service != self._service:
            message += f"Credential should be scoped to correct service: '{self._service}'. "
        if terminator != TERMINATOR:
            message += (
                f"Credential should be scoped with a valid terminator: '{TERMINATOR}',"
                f" not '{terminator}'. "
            )
        if scope_date != amz_date[:8]:
            message += (
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
                f" from HTTP: '{scope_date}' != '{amz_date[:8]}', from '{amz_date}'."
            )
        if message:
            raise InvalidSignatureException(message)
        if not access_key_id:
            raise UnrecognizedClientException(UNRECOGNIZED_CLIENT_MESSAGE)
        return access_key_id, scope_date, region, service

    @staticmethod
    def _canonical_headers(signed_names: list[str], headers: Mapping[str, str]) -> str:
        """The signed headers' ``name:value`` lines.

        AWS: "For the values, trim any leading or trailing spaces, convert sequential spaces to a
        single space, and separate the values for a multi-value header using commas." Each line
        ends with a newline, so the block ends with an empty line."""
        try:
            return "".join([f"{name}:{' '.join(headers[name].split())}\n" for name in signed_names])
        except KeyError:
            # The client signed a value we never received; no signature can match.
            raise InvalidSignatureException(SIGNATURE_MISMATCH_MESSAGE) from None

    @staticmethod
    def _payload_hash(
        request: HttpRequest, pairs: list[tuple[bytes, bytes]], *, presigned: bool
    ) -> str:
        """The canonical request's last line.

        AWS: "HashedPayload - A string created using the payload in the body of the HTTP request as
        input to a hash function." A declared ``x-amz-content-sha256`` is what the client signed,
        so it is what goes into the canonical request, once checked against the body.

        ``UNSIGNED-PAYLOAD`` is taken only from presigned requests, whose URL is made before the
        body is known; a header-signed request always signs its body."""
        declared = request.headers.get("x-amz-content-sha256")
        if declared is None and presigned:
            declared = _query_value(pairs, b"X-Amz-Content-Sha256")
        if presigned and declared == UNSIGNED_PAYLOAD:
            return declared
        body = request.body
        computed = request.body_sha256 or (
            hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        )
        if declared is None:
            return computed
        if declared.lower() != computed:
            raise InvalidSignatureException(CONTENT_SHA256_MISMATCH_MESSAGE)
        return declared

    def _signing_key(self, secret: str, date: str, region: str, service: str) -> _HmacKey:
        """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + kSecret, Date), Region), Service),
        "aws4_request"), ready to sign with; kept (the "signing keys" cache): four HMACs and
        the key's set-up a request saved for every client that signs more than once a day."""
        cache_key = (secret, date, region, service)
        key = self._signing_keys.get(cache_key)
        if key is None:
            derived = _sign(("AWS4" + secret).encode("utf-8"), date)
            key = _HmacKey(_sign(_sign(_sign(derived, region), service), TERMINATOR))
            self._signing_keys.put(cache_key, key)
        return key

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is UTC:
            return now
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
