"""Seeded, model-driven fuzz inputs for the server's three APIs, and the checks every answer must
pass (see ``tests/api/test_fuzz.py``).

Inputs come from the botocore service models: for each operation, a *valid-looking* input is built
from its input shape (required members always, optional ones at random, lengths and ranges inside
the model's bounds, real resource ids of the fuzzing account where a member names one, see
:class:`World`), then spoiled by one :data:`CATEGORIES` mutation. JSON 1.1 inputs are built as
Python values and written by :func:`dumps`, which can splice raw JSON text in (:class:`Raw`: deep
nesting that no encoder would write, ``NaN``, duplicate keys); Query inputs are the form botocore's
``QuerySerializer`` makes of a valid input, then mutated field by field, each field's shape found
from its flattened name (:func:`field_shape`).

Everything is drawn from one ``random.Random`` per operation (:func:`operation_rng`), so a seed
gives the same requests in the same order on every run and machine (and one operation's cases do
not change when another operation is added or removed).
"""

from __future__ import annotations

import base64
import json
import random
import re
import socket
import string
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.model import ListShape, MapShape, OperationModel, Shape, StringShape, StructureShape
from botocore.serialize import create_serializer

from tests.support.server import REGION, Credentials

JSON_TYPE: Final = "application/x-amz-json-1.1"
FORM_TYPE: Final = "application/x-www-form-urlencoded; charset=utf-8"
TARGET_PREFIX: Final = "AWSCognitoIdentityService"
MAX_BODY: Final = 1_048_576
"""The server's body limit (``Settings.max_body_bytes``): huge inputs stay just inside it."""
HUGE_SIZES: Final = {"huge_100k": 100_000, "huge_1m": 1_000_000}

MAX_HEADER_LINE: Final = 8192
"""``name: value`` of one answer header line: what common proxies and clients accept per line."""
MAX_HEAD: Final = 16_384
"""Status line and every header line of one answer: a few hundred bytes at most when sane."""

CATEGORIES: Final = (
    "valid",
    "missing",
    "wrong_type",
    "null",
    "empty",
    "bounds",
    "huge_100k",
    "huge_1m",
    "unicode",
    "deep",
    "extra",
    "big_collection",
    "raw",
    "protocol",
)
"""One mutation per case; each round of an operation's cases draws every category once."""

WEIRD_STRINGS: Final = (
    "\r\n",
    "line\r\nX-Injected: 1",
    "\x00",
    "nul\x00inside",
    "\x07\x08\x1b[2J\x7f",
    "\u202e\u200b\ufeff\u2028\u2029",
    "\U0001f600" * 40,
    "\ud800",
    "\udfff\ud800x",
    "e\u0301\u0327\u0316" * 20,
    "%0d%0a%00%ff",
    "\\",
    '"',
    "<a>&amp;</a>]]>",
    "\t \t",
    " ",
    "\u00ff\u00fe",
    "\uffff\ufffe",
    "\U0010ffff",
)
WRONG_FOR: Final[dict[str, tuple[Any, ...]]] = {
    "string": (0, -1, 1.5, True, False, [], {}, ["x"], {"a": "b"}),
    "boolean": ("true", "false", 1, 0, 1.0, [], {}, "", [True]),
    "integer": ("1", "", 1.5, True, [], {}, [1], "NaN"),
    "long": ("1", "", 1.5, False, [], {}, [1]),
    "float": ("1.5", True, [], {}),
    "double": ("1.5", True, [], {}),
    "timestamp": ("yesterday", "2024-13-45T99:99:99Z", True, [], {}, [0]),
    "blob": (1, True, [], {}, "!!not base64!!"),
    "structure": ("x", 1, 1.5, True, [], [{}], ""),
    "list": ("x", 1, True, {}, {"member": ["x"]}, ""),
    "map": ("x", 1, True, [], [["k", "v"]], ""),
}
QUERY_WRONG_FOR: Final[dict[str, tuple[str, ...]]] = {
    "integer": ("abc", "1.5", "", "1e3", "0x1F", " 7", "+7", "\u0663", "true", "NaN"),
    "long": ("abc", "1.5", "", "9" * 40, "-", "\u0663"),
    "boolean": ("yes", "1", "TRUE", "", "null", "tru"),
    "timestamp": ("yesterday", "2024-13-45T99:99:99Z", "1e20", "-1", "", "0000-00-00"),
    "blob": ("!!not base64!!", "=", "a", "%%%"),
}
OUT_OF_RANGE: Final = (2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**40, 1.0000001, 1e308, -0.0)
DEEP_DEPTHS: Final = (64, 500, 999, 1100, 100_000)

_LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
NASTY_XML: Final = (
    f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{_LAUGHS}]><d>&l9;</d>',
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
    "<a>" * 50_000 + "</a>" * 50_000,
    '<?xml version="1.0" encoding="UTF-7"?><d/>',
    "<d>" + "\x00" + "</d>",
    "not xml at all",
    "<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'/>",
)
"""XML that parsers must refuse or survive: entity expansion, an external entity (a local file,
never the network), 50,000 levels of nesting, a bogus encoding, a NUL, none at all."""

PROVIDER_KEYS: Final = (
    "graph.facebook.com",
    "accounts.google.com",
    "www.amazon.com",
    "api.twitter.com",
    "appleid.apple.com",
    "cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz",
)
"""Logins keys the fuzzer uses as valid-looking ones; the test points every provider host they name
at a closed loopback port (``COGNITOIDENTITY_PROVIDER_ENDPOINTS``), so no token leaves the machine.
Every other key is random text no pool knows, refused before any network access."""
PROVIDER_HOSTS: Final = (
    "graph.facebook.com",
    "accounts.google.com",
    "www.googleapis.com",
    "oauth2.googleapis.com",
    "www.amazon.com",
    "api.amazon.com",
    "api.twitter.com",
    "appleid.apple.com",
    "cognito-idp.us-east-1.amazonaws.com",
)


@dataclass(frozen=True, slots=True)
class World:
    """Real resources of the fuzzing account, so that valid-looking inputs reach the handlers'
    deeper paths (a pool that exists, an identity in it, IAM providers the pool names)."""

    account_id: str
    pool_id: str
    pool_arn: str
    identity_id: str
    developer_provider: str
    oidc_arn: str
    oidc_key: str
    saml_arn: str
    saml_metadata: str
    role_arn: str
    dead_url: str
    """``http://127.0.0.1:<closed port>``: where every identity provider is, for the server."""


@dataclass(frozen=True, slots=True)
class Raw:
    """JSON text spliced verbatim by :func:`dumps` (what no encoder would write)."""

    text: str


@dataclass(frozen=True, slots=True)
class Case:
    service: str
    """``cognito-identity``, ``sts`` or ``iam``: the model, and the SigV4 signing name."""
    operation: str
    category: str
    round: int
    method: str
    path: str
    """``/`` or ``/?<query string>``."""
    headers: dict[str, str]
    """Before signing."""
    body: bytes
    shown: str
    """A short repr of the input (long strings and collections cut), for failure messages."""

    def longest_head_line(self) -> int:
        """Bytes of the longest line of this request's head, request line included."""
        lines = [len(self.method) + len(self.path) + 10]
        lines += [len(k) + 2 + len(v) for k, v in self.headers.items()]
        return max(lines)

    def describe(self) -> str:
        heads = {k: short_text(v, 80) for k, v in self.headers.items()}
        return (
            f"{self.service} {self.operation} [{self.category}, round {self.round}]: "
            f"{self.method} {short_text(self.path, 120)} headers={heads} "
            f"body ({len(self.body)} bytes)={self.shown}"
        )


def operation_rng(seed: int, service: str, operation: str) -> random.Random:
    """The generator of one operation's cases: stable across runs, processes and machines (no
    ``hash()``, which is salted per process)."""
    return random.Random(seed * 1_000_003 + zlib.crc32(f"{service}/{operation}".encode()))


# -- short reprs ----------------------------------------------------------------------------------


def short_text(text: str, limit: int = 60) -> str:
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}…<{len(text)} chars>…{text[-8:]}"


def shorten(value: Any, depth: int = 0) -> Any:
    """``value`` with long strings, lists and maps cut, for a readable repr."""
    if isinstance(value, Raw):
        return Raw(short_text(value.text, 60))
    if isinstance(value, str):
        return short_text(value)
    if depth > 6:
        return "…"
    if isinstance(value, list):
        head = [shorten(v, depth + 1) for v in value[:4]]
        return [*head, f"…<{len(value)} items>"] if len(value) > 4 else head
    if isinstance(value, dict):
        items = list(value.items())
        out = {short_text(str(k), 40): shorten(v, depth + 1) for k, v in items[:8]}
        if len(items) > 8:
            out["…"] = f"<{len(items)} entries>"
        return out
    return value


def short_repr(value: Any, limit: int = 600) -> str:
    text = repr(shorten(value))
    return text if len(text) <= limit else text[:limit] + "…"


def short_bytes(data: bytes, limit: int = 300) -> str:
    if len(data) <= limit:
        return repr(data)
    return f"{data[: limit - 40]!r}…<{len(data)} bytes>…{data[-24:]!r}"


# -- JSON text ------------------------------------------------------------------------------------


def dumps(value: Any, *, ascii_only: bool = True) -> str:
    """JSON text of ``value``: :class:`Raw` parts verbatim, lone surrogates escaped (or, with
    ``ascii_only=False``, written raw to become invalid UTF-8), NaN and huge integers as Python's
    encoder writes them."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                json.dumps(str(k), ensure_ascii=ascii_only) + ":" + dumps(v, ascii_only=ascii_only)
                for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(dumps(v, ascii_only=ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def nested_junk(depth: int, rng: random.Random) -> Raw:
    """``depth`` levels of arrays or objects, as text (no recursion, at any depth)."""
    if rng.random() < 0.5:
        return Raw("[" * depth + "1" + "]" * depth)
    return Raw('{"a":' * depth + "null" + "}" * depth)


# -- valid-looking values -------------------------------------------------------------------------


def _meta(shape: Shape) -> Mapping[str, Any]:
    meta: Mapping[str, Any] = shape.metadata
    return meta


def _members(shape: Shape) -> dict[str, Shape]:
    assert isinstance(shape, StructureShape)
    members: dict[str, Shape] = dict(shape.members)
    return members


def _required(shape: Shape) -> list[str]:
    assert isinstance(shape, StructureShape)
    return list(shape.required_members)


class ValueMaker:
    """Valid-looking values of shapes for one operation: in bounds, matching the models' patterns
    for the shapes they name, and real resources of :class:`World` where a member names one."""

    def __init__(self, rng: random.Random, world: World, operation: str, *, query: bool) -> None:
        self.rng = rng
        self.world = world
        self.operation = operation
        self.query = query
        # Deleting the shared resources would leave the rest of the run nothing to reach.
        self.real_ids = not operation.startswith("Delete")

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def alnum(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def nasty_xml(self) -> str:
        """One of :data:`NASTY_XML`, padded past the SAML metadata's 1,000-character minimum."""
        text = self.rng.choice(NASTY_XML)
        return text if len(text) >= 1000 else text + "<!--" + " " * 1000 + "-->"

    def token(self) -> str:
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        claims = {"iss": self.world.dead_url, "sub": self.alnum(8), "aud": "fuzz-client"}
        return self.rng.choice(
            [
                base64.b64encode(self.nasty_xml().encode("utf-8", "surrogatepass")).decode(),
                b64(b'{"alg":"RS256","kid":"../../../../etc/passwd","typ":"JWT"}')
                + "."
                + b64(json.dumps({**claims, "exp": 1e308, "iat": "now"}).encode())
                + "."
                + "A" * 2000,
                b64(b'{"alg":"none"}') + "." + b64(json.dumps(claims).encode()) + ".",
                b64(b'{"alg":"RS256","kid":"x"}')
                + "."
                + b64(json.dumps(claims).encode())
                + ".c2ln",
                "a.b.c",
                self.alnum(self.rng.randint(1, 64)),
            ]
        )

    def special(self, shape: Shape, context: str) -> Any:
        """A value for the shapes and members that name something; ``None`` for the others."""
        w = self.world
        r = self.rng
        real = self.real_ids and r.random() < 0.8
        name = shape.name
        if name == "IdentityPoolId" or context == "IdentityPoolId":
            return w.pool_id if real else f"{REGION}:{self.uuid()}"
        if name == "IdentityId" or context in ("IdentityId", "SourceIdentityId"):
            return w.identity_id if real else f"{REGION}:{self.uuid()}"
        if context in ("DestinationUserIdentifier", "SourceUserIdentifier"):
            return "user-" + self.alnum(4)
        if name == "DeveloperProviderName" or context == "DeveloperProviderName":
            return w.developer_provider
        if name == "IdentityProviderName":
            keys = (w.developer_provider, w.oidc_key, w.saml_arn, *PROVIDER_KEYS, self.alnum(9))
            return r.choice(keys)
        if name in ("IdentityProviderToken", "clientTokenType"):
            return self.token()
        if name == "CognitoIdentityProviderName":
            return PROVIDER_KEYS[-1]
        if name == "AccountId":
            return w.account_id
        if name == "RoleType":
            return r.choice(["authenticated", "unauthenticated"])
        if context == "ResourceArn":
            return w.pool_arn if real else f"{w.pool_arn[:-36]}{self.uuid()}"
        if context in ("OpenIdConnectProviderARNs", "OpenIDConnectProviderArn"):
            arn = f"arn:aws:iam::{w.account_id}:oidc-provider/127.0.0.1/{self.alnum(6)}"
            return w.oidc_arn if real else arn
        if context in ("SamlProviderARNs", "SAMLProviderArn", "PrincipalArn"):
            arn = f"arn:aws:iam::{w.account_id}:saml-provider/Fuzz{self.alnum(6)}"
            return w.saml_arn if real else arn
        if name in ("ARNString", "arnType"):
            return w.role_arn
        if name == "OpenIDConnectProviderUrlType":
            return f"{w.dead_url}/fuzz-{self.alnum(6)}"
        if name == "thumbprintType":
            return self.alnum(40, "0123456789abcdef")
        if name == "SAMLMetadataDocumentType":
            return w.saml_metadata if r.random() < 0.5 else self.nasty_xml()
        if name == "SAMLAssertionType":
            return base64.b64encode(self.nasty_xml().encode()).decode()
        if name in ("PaginationKey", "markerType"):
            return r.choice(
                [
                    self.alnum(r.randint(1, 40)),
                    base64.b64encode(r.randbytes(r.randint(1, 64))).decode(),
                    base64.urlsafe_b64encode(b'{"k":"x","v":1}').decode(),
                    "=",
                ]
            )
        if name in ("sessionPolicyDocumentType", "unrestrictedSessionPolicyDocumentType"):
            return '{"Version":"2012-10-17","Statement":[]}'
        if name == "privateKeyType":
            return "-----BEGIN PRIVATE KEY-----\n" + self.alnum(64) + "\n-----END PRIVATE KEY-----"
        if name == "IdentityProviderId":
            return self.alnum(12) if r.random() < 0.7 else f"{self.alnum(8)};{self.alnum(12)}"
        if name == "jwtAlgorithmType":
            return r.choice(["RS256", "ES384"])
        return None

    def string(self, shape: Shape, context: str) -> str:
        special = self.special(shape, context)
        if special is not None:
            return str(special)
        enum = shape.enum if isinstance(shape, StringShape) else None
        if enum:
            return str(self.rng.choice(enum))
        meta = _meta(shape)
        low = max(int(meta.get("min", 1)), 1)
        high = min(int(meta.get("max", low + 16)), low + 16)
        pattern = str(meta.get("pattern", ""))
        if pattern in ("\\d+", "[\\d]*"):
            alphabet = string.digits
        elif "A-Z0-9" in pattern:
            alphabet = string.ascii_uppercase + string.digits
        else:
            alphabet = string.ascii_letters + string.digits
        return self.alnum(self.rng.randint(low, high), alphabet)

    def value(self, shape: Shape, context: str = "", depth: int = 0) -> Any:
        kind = shape.type_name
        r = self.rng
        meta = _meta(shape)
        if kind == "string":
            return self.string(shape, context)
        if kind in ("integer", "long"):
            low = int(meta.get("min", 0))
            high = int(meta.get("max", low + 1000))
            return r.randint(low, min(high, low + 1000))
        if kind == "boolean":
            return r.random() < 0.5
        if kind in ("float", "double"):
            return round(r.uniform(0, 100), 3)
        if kind == "timestamp":
            # epoch seconds: a JSON number, or ISO 8601 once botocore's serializer has written it
            return 1_700_000_000 + r.randint(0, 10**8)
        if kind == "blob":
            raw = self.alnum(r.randint(1, 24)).encode()
            return raw if self.query else base64.b64encode(raw).decode()
        if kind == "list":
            assert isinstance(shape, ListShape)
            low = int(meta.get("min", 0))
            high = min(int(meta.get("max", low + 3)), low + 3)
            count = low if depth > 3 else r.randint(low, max(low, high))
            return [self.value(shape.member, context, depth + 1) for _ in range(count)]
        if kind == "map":
            assert isinstance(shape, MapShape)
            low = int(meta.get("min", 0))
            high = min(int(meta.get("max", low + 3)), low + 3)
            count = low if depth > 3 else r.randint(low, max(low, high))
            out: dict[str, Any] = {}
            for _ in range(count * 2):
                if len(out) >= count:
                    break
                out[str(self.value(shape.key, context, depth + 1))] = self.value(
                    shape.value, context, depth + 1
                )
            return out
        if kind == "structure":
            result: dict[str, Any] = {}
            required = set(_required(shape))
            for name, member in _members(shape).items():
                if name in required or (depth < 3 and r.random() < 0.5):
                    result[name] = self.value(member, name, depth + 1)
            return result
        return None

    def out_of_bounds(self, shape: Shape, context: str) -> Any:
        """A value just past one of the shape's bounds (or far past them)."""
        r = self.rng
        meta = _meta(shape)
        kind = shape.type_name
        if kind == "string":
            choices: list[Any] = []
            if "max" in meta and int(meta["max"]) <= 300_000:
                over = int(meta["max"]) + r.choice([1, 2, 100])
                choices.append("a" * min(over, 300_000))
            if int(meta.get("min", 0)) > 0:
                choices.append("a" * (int(meta["min"]) - 1))
            if "pattern" in meta:
                choices.append("!#$%^&*() ~`|")
            if isinstance(shape, StringShape) and shape.enum:
                choices.append(str(shape.enum[0]).lower() + "X")
            choices.append("a" * 70_000)
            return r.choice(choices)
        if kind in ("integer", "long"):
            choices = list(OUT_OF_RANGE)
            if "max" in meta:
                choices.append(int(meta["max"]) + 1)
            if "min" in meta:
                choices.append(int(meta["min"]) - 1)
            return r.choice(choices)
        if kind == "list":
            assert isinstance(shape, ListShape)
            count = int(meta["max"]) + 1 if "max" in meta else 1001
            item = self.value(shape.member, context, 4)
            return [item] * min(count, 5000)
        if kind == "map":
            assert isinstance(shape, MapShape)
            count = min(int(meta["max"]) + 1 if "max" in meta else 1001, 5000)
            item = self.value(shape.value, context, 4)
            return {f"k{i}": item for i in range(count)}
        if kind == "timestamp":
            return r.choice([-1e20, 1e20, 253402300800, -62135596801])
        return self.value(shape, context)


# -- sites of a JSON document ---------------------------------------------------------------------


@dataclass(slots=True)
class Site:
    """A place in a document: present (``container[key]`` holds a value of ``shape``) or an absent
    optional member of a structure; the root has no container."""

    shape: Shape | None
    container: dict[str, Any] | list[Any] | None
    key: str | int | None
    present: bool
    required: bool
    context: str


def sites(shape: Shape | None, document: Any) -> list[Site]:
    out = [Site(shape, None, None, True, True, "")]

    def walk(shape: Shape, value: Any, depth: int) -> None:
        if depth > 8:
            return
        if shape.type_name == "structure" and isinstance(value, dict):
            required = set(_required(shape))
            for name, member in _members(shape).items():
                present = name in value
                out.append(Site(member, value, name, present, name in required, name))
                if present:
                    walk(member, value[name], depth + 1)
        elif shape.type_name == "list" and isinstance(value, list):
            assert isinstance(shape, ListShape)
            for index, item in enumerate(value):
                out.append(Site(shape.member, value, index, True, False, ""))
                walk(shape.member, item, depth + 1)
        elif shape.type_name == "map" and isinstance(value, dict):
            assert isinstance(shape, MapShape)
            for key, item in value.items():
                out.append(Site(shape.value, value, key, True, False, ""))
                walk(shape.value, item, depth + 1)

    if shape is not None:
        walk(shape, document, 0)
    return out


def put(document: Any, site: Site, value: Any) -> Any:
    """``document`` with ``value`` at ``site`` (the new root when the site is the root)."""
    if site.container is None:
        return value
    if isinstance(site.container, list):
        assert isinstance(site.key, int)
        site.container[site.key] = value
    else:
        site.container[str(site.key)] = value
    return document


# -- JSON 1.1 cases -------------------------------------------------------------------------------


class JsonCases:
    """Cases for one operation of the JSON 1.1 API (Cognito Identity)."""

    def __init__(self, op: OperationModel, rng: random.Random, world: World) -> None:
        self.op = op
        self.rng = rng
        self.world = world
        self.values = ValueMaker(rng, world, op.name, query=False)

    def case(self, category: str, round_: int) -> Case:
        r = self.rng
        shape = self.op.input_shape
        document: Any = self.values.value(shape) if shape is not None else {}
        target = f"{TARGET_PREFIX}.{self.op.name}"
        headers = {"Content-Type": JSON_TYPE, "X-Amz-Target": target}
        method = "POST"
        ascii_only = True
        raw_body: bytes | None = None
        places = sites(shape, document)
        present = [s for s in places if s.present]
        [s for s in present if s.container is not None] or present

        if category == "missing":
            required = [s for s in places if s.present and s.required and s.container is not None]
            if required:
                site = r.choice(required)
                assert isinstance(site.container, dict)
                del site.container[str(site.key)]
            else:
                document = {}
        elif category == "wrong_type":
            site = r.choice(places[1:] or places)
            kind = site.shape.type_name if site.shape is not None else "structure"
            document = put(document, site, r.choice(WRONG_FOR.get(kind, WRONG_FOR["string"])))
        elif category == "null":
            site = r.choice(places)
            document = put(document, site, None)
        elif category == "empty":
            site = r.choice(places)
            kind = site.shape.type_name if site.shape is not None else "structure"
            empty = {"structure": {}, "map": {}, "list": [], "string": ""}.get(kind, {})
            document = put(document, site, r.choice([empty, {}, []]))
        elif category == "bounds":
            candidates = [
                s
                for s in places[1:]
                if s.shape is not None
                and (
                    _meta(s.shape).keys() & {"min", "max", "pattern"}
                    or s.shape.type_name in ("integer", "long")
                )
            ]
            site = r.choice(candidates or places[1:] or places)
            if site.shape is not None and site.container is not None:
                document = put(document, site, self.values.out_of_bounds(site.shape, site.context))
            else:
                document = {"Unknown": "a" * 70_000}
        elif category in HUGE_SIZES:
            size = HUGE_SIZES[category]
            strings = [
                s for s in places[1:] if s.shape is not None and s.shape.type_name == "string"
            ]
            site = r.choice(strings or places[1:] or places)
            filler = r.choice(["a", "\u00e9", "\\"]) if size < 500_000 else "a"
            text = filler * (size // len(json.dumps(filler)[1:-1].encode()))
            document = {"Filler": text} if site.container is None else put(document, site, text)
        elif category == "unicode":
            ascii_only = r.random() < 0.7
            site = r.choice(places[1:] or places)
            weird = r.choice(WEIRD_STRINGS)
            current = self._at(document, site) if site.present else None
            if isinstance(current, str) and r.random() < 0.5:
                weird = current + weird
            if site.container is None:
                document = {weird: weird}
            elif r.random() < 0.2 and isinstance(site.container, dict):
                site.container[weird] = "x"
            else:
                document = put(document, site, weird)
        elif category == "deep":
            site = r.choice(places)
            document = put(document, site, nested_junk(r.choice(DEEP_DEPTHS), r))
        elif category == "extra":
            site = r.choice(
                [s for s in present if isinstance(self._at(document, s), dict)] or present
            )
            target_value = self._at(document, site)
            extras = {
                "Unknown": "x",
                "": 1,
                "__proto__": {"polluted": True},
                "a" * 1000: [1, 2],
                "IdentityPoolId ": "x",
            }
            if isinstance(target_value, dict):
                for k, v in r.sample(list(extras.items()), 2):
                    target_value[k] = v
            else:
                document = {**extras}
            if r.random() < 0.3 and isinstance(document, dict) and document:
                # a duplicate key (the last one wins in most parsers)
                key = next(iter(document))
                document = Raw(dumps(document)[:-1] + "," + json.dumps(key) + ":null}")
        elif category == "big_collection":
            collections = [
                s
                for s in places
                if s.shape is not None and s.shape.type_name in ("list", "map", "structure")
            ]
            site = r.choice(collections or places)
            kind = site.shape.type_name if site.shape is not None else "structure"
            count = r.choice([2_000, 10_000])
            if kind == "list":
                document = put(document, site, ["a"] * count)
            else:
                document = put(document, site, {f"k{i}": "v" for i in range(count)})
        elif category == "raw":
            raw_body = r.choice(
                [
                    b"",
                    b" ",
                    b"{",
                    b"}",
                    b"null",
                    b"[]",
                    b"[{}]",
                    b"1",
                    b"-0",
                    b"1e999",
                    b'"text"',
                    b"true",
                    b"\xff\xfe\x00",
                    b"\xef\xbb\xbf{}",
                    b"{}garbage",
                    b'{"a":1,}',
                    b"NaN",
                    b'{"MaxResults": NaN, "IdentityPoolId": Infinity}',
                    b"\x00" * 100,
                    b"{}" + b" " * 1_000_000,
                    b"{" + b'"a":1,' * 150_000 + b'"b":2}',
                    dumps(document).encode()[:-1],
                    b"x" * (MAX_BODY + 1),
                ]
            )
        elif category == "protocol":
            variant = r.randrange(8)
            if variant >= 6:
                self_signed_junk(headers, r, variant)
            elif variant == 0:
                headers["X-Amz-Target"] = r.choice(
                    [
                        target.lower(),
                        f"{TARGET_PREFIX}.",
                        TARGET_PREFIX,
                        self.op.name,
                        f"{TARGET_PREFIX}.{self.op.name}.{self.op.name}",
                        f"{TARGET_PREFIX}%2E{self.op.name}",
                        "",
                    ]
                )
            elif variant == 1:
                # An unknown target long enough to matter if it is echoed into a header.
                headers["X-Amz-Target"] = f"{TARGET_PREFIX}." + "X" * r.choice([9000, 50_000])
            elif variant == 2:
                headers["Content-Type"] = r.choice(
                    ["application/json", "text/plain", "application/x-amz-json-1.0", FORM_TYPE, ""]
                )
            elif variant == 3:
                del headers["Content-Type"]
            elif variant == 4:
                method = r.choice(["GET", "PUT", "DELETE", "PATCH"])
            else:
                del headers["X-Amz-Target"]
        elif category != "valid":
            raise AssertionError(category)

        body = (
            raw_body
            if raw_body is not None
            else dumps(document, ascii_only=ascii_only).encode("utf-8", "surrogatepass")
        )
        shown = short_bytes(raw_body) if raw_body is not None else short_repr(document)
        return Case(
            "cognito-identity", self.op.name, category, round_, method, "/", headers, body, shown
        )

    @staticmethod
    def _at(document: Any, site: Site) -> Any:
        if site.container is None:
            return document
        return site.container[site.key]  # type: ignore[index]


# -- Query cases ----------------------------------------------------------------------------------


def _serialized_name(shape: Shape, default: str) -> str:
    name: str = shape.serialization.get("name", default)
    return name


def field_shape(shape: Shape | None, key: str) -> Shape | None:
    """The shape of a flattened Query field name (``Tags.member.2.Key``), or ``None`` if it names
    nothing of the model."""
    parts = key.split(".")
    current = shape
    i = 0
    while i < len(parts):
        if current is None:
            return None
        if isinstance(current, StructureShape):
            found = None
            for name, member in current.members.items():
                if _serialized_name(member, name) == parts[i]:
                    found = member
                    break
            current = found
            i += 1
        elif isinstance(current, ListShape):
            i += 1 if current.serialization.get("flattened") else 2
            current = current.member
        elif isinstance(current, MapShape):
            i += 1 if current.serialization.get("flattened") else 2
            if i >= len(parts):
                return None
            key_name = _serialized_name(current.key, "key")
            current = current.key if parts[i] == key_name else current.value
            i += 1
        else:
            return None
    return current


def encode_pairs(pairs: list[tuple[str, str | None]], r: random.Random) -> bytes:
    """``a=b&c=d``, percent-encoded as botocore does (a pair whose value is ``None`` is written as
    the bare key); non-encodable text (lone surrogates) becomes the bytes it would take."""

    def enc(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="-_.~")

    out = []
    for key, value in pairs:
        out.append(enc(key) if value is None else f"{enc(key)}={enc(value)}")
    return "&".join(out).encode()


class QueryCases:
    """Cases for one operation of a Query API (STS, IAM)."""

    def __init__(self, service: str, op: OperationModel, rng: random.Random, world: World) -> None:
        self.service = service
        self.op = op
        self.rng = rng
        self.world = world
        self.values = ValueMaker(rng, world, op.name, query=True)
        self.serializer = create_serializer("query", include_validation=False)
        self.version: str = op.service_model.metadata["apiVersion"]

    def valid_pairs(self) -> list[tuple[str, str | None]]:
        shape = self.op.input_shape
        params = self.values.value(shape) if shape is not None else {}
        request = self.serializer.serialize_to_request(params, self.op)
        body: Mapping[str, Any] = request["body"]
        return [(str(k), str(v)) for k, v in body.items()]

    def case(self, category: str, round_: int) -> Case:
        r = self.rng
        shape = self.op.input_shape
        pairs = self.valid_pairs()
        headers = {"Content-Type": FORM_TYPE}
        method = "POST"
        path = "/"
        raw_body: bytes | None = None
        params = [i for i, (k, _) in enumerate(pairs) if k not in ("Action", "Version")]
        members = _members(shape) if shape is not None else {}

        def shape_at(i: int) -> Shape | None:
            return field_shape(shape, pairs[i][0])

        def add_member_pair(make: Callable[[Shape, str], str]) -> None:
            if members:
                name, member = r.choice(list(members.items()))
                pairs.append((_serialized_name(member, name), make(member, name)))
            else:
                pairs.append(("Unknown", make_scalar_junk()))

        def make_scalar_junk() -> str:
            return r.choice(["x", "", "a" * 5000])

        if category == "missing":
            required = _required(shape) if shape is not None else []
            if required:
                name = r.choice(required)
                wire = _serialized_name(members[name], name)
                pairs = [(k, v) for k, v in pairs if k != wire and not k.startswith(wire + ".")]
            else:
                pairs = [(k, v) for k, v in pairs if k != r.choice(["Version", "Action"])]
        elif category == "wrong_type":
            typed = [
                i
                for i in params
                if (s := shape_at(i)) is not None and s.type_name in QUERY_WRONG_FOR
            ]
            if typed and r.random() < 0.6:
                i = r.choice(typed)
                s = shape_at(i)
                assert s is not None
                pairs[i] = (pairs[i][0], r.choice(QUERY_WRONG_FOR[s.type_name]))
            elif params and r.random() < 0.5:
                i = r.choice(params)
                key, value = pairs[i]
                # a scalar spelled as a list or structure, or a list member spelled as a scalar
                new_key = (
                    re.sub(r"\.member\.\d+.*$", "", key)
                    if ".member." in key
                    else key + r.choice([".member.1", ".Sub", ".1"])
                )
                pairs[i] = (new_key, value)
            else:
                typed_members = [
                    (n, m) for n, m in members.items() if m.type_name in QUERY_WRONG_FOR
                ]
                if typed_members:
                    n, m = r.choice(typed_members)
                    pairs.append((_serialized_name(m, n), r.choice(QUERY_WRONG_FOR[m.type_name])))
                else:
                    add_member_pair(lambda m, n: "x")
                    k, v = pairs[-1]
                    pairs[-1] = (k + ".member.1.Key", v)
        elif category == "null":
            if params and r.random() < 0.7:
                i = r.choice(params)
                pairs[i] = (pairs[i][0], r.choice(["", None]))
            else:
                add_member_pair(lambda m, n: "")
                if r.random() < 0.5:
                    pairs[-1] = (pairs[-1][0], None)
        elif category == "empty":
            if r.random() < 0.5:
                pairs = pairs[:2]
            collections = [
                (n, m) for n, m in members.items() if m.type_name in ("list", "map", "structure")
            ]
            if collections:
                n, m = r.choice(collections)
                wire = _serialized_name(m, n)
                pairs = [(k, v) for k, v in pairs if not k.startswith(wire + ".")]
                pairs.append((wire, ""))
        elif category == "bounds":
            bounded = [
                i
                for i in params
                if (s := shape_at(i)) is not None
                and (
                    _meta(s).keys() & {"min", "max", "pattern"}
                    or s.type_name in ("integer", "long")
                )
            ]
            if bounded and r.random() < 0.7:
                i = r.choice(bounded)
                s = shape_at(i)
                assert s is not None
                value = self.values.out_of_bounds(s, "")
                pairs[i] = (pairs[i][0], str(value) if not isinstance(value, list | dict) else "x")
            else:
                lists = [(n, m) for n, m in members.items() if m.type_name == "list"]
                if lists:
                    n, m = r.choice(lists)
                    wire = _serialized_name(m, n)
                    assert isinstance(m, ListShape)
                    count = min(int(_meta(m).get("max", 1000)) + 1, 5000)
                    item = self.values.value(m.member, n, 4)
                    pairs = [(k, v) for k, v in pairs if not k.startswith(wire + ".")]
                    one = self.serializer.serialize_to_request({n: [item]}, self.op)["body"]
                    fields = [(k, str(v)) for k, v in one.items() if k.startswith(wire + ".")]
                    for index in range(1, count + 1):
                        for k, v in fields:
                            pairs.append((k.replace(".member.1", f".member.{index}", 1), v))
                else:
                    add_member_pair(lambda m, n: "a" * 5000)
        elif category in HUGE_SIZES:
            size = HUGE_SIZES[category]
            if params and r.random() < 0.7:
                i = r.choice(params)
                pairs[i] = (pairs[i][0], "a" * size)
            else:
                add_member_pair(lambda m, n: "a" * size)
        elif category == "unicode":
            weird = r.choice(WEIRD_STRINGS)
            if params and r.random() < 0.6:
                i = r.choice(params)
                key, value = pairs[i]
                pairs[i] = (key, (value or "") + weird if r.random() < 0.5 else weird)
            elif r.random() < 0.5:
                pairs.append((weird, "x"))
            else:
                pairs[0] = ("Action", self.op.name + weird)
            if r.random() < 0.3:
                # percent sequences no encoder writes, spliced after encoding
                raw_body = encode_pairs(pairs, r) + r.choice(
                    [
                        b"&Bad=%ff%fe",
                        b"&Bad=%zz",
                        b"&Bad=%",
                        b"&Bad=%0d%0a",
                        b"&%00=%00",
                        b"&Bad=%ED%A0%80",
                    ]
                )
        elif category == "deep":
            if params and r.random() < 0.5:
                key, value = pairs[r.choice(params)]
                pairs.append((key + ".member.1" * r.choice([50, 500, 5000]), value or "x"))
            else:
                depth = r.choice([100, 1000, 50_000])
                pairs.append(("A" + ".B" * depth, "x"))
        elif category == "extra":
            extras: list[tuple[str, str | None]] = [
                ("Unknown", "x"),
                ("", "x"),
                ("Action", r.choice(["GetCallerIdentity", "CreateSAMLProvider", self.op.name])),
                ("Version", "2011-06-15" if self.service == "iam" else "2010-05-08"),
                ("Tags.member.1.Unknown", "x"),
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Signature", "00"),
            ]
            pairs.extend(r.sample(extras, 2))
            if params:
                pairs.append(pairs[r.choice(params)])  # the same field twice
        elif category == "big_collection":
            count = r.choice([2_000, 10_000])
            lists = [(n, m) for n, m in members.items() if m.type_name == "list"]
            if lists and r.random() < 0.6:
                n, m = r.choice(lists)
                wire = _serialized_name(m, n)
                pairs.extend((f"{wire}.member.{i}", "a") for i in range(1, count + 1))
            elif r.random() < 0.5:
                pairs.extend((f"F{i}", "v") for i in range(count))
            else:
                key = "L"
                if members:
                    name, member = next(iter(members.items()))
                    key = _serialized_name(member, name)
                pairs.extend(
                    (f"{key}.member.{r.choice([0, -1, 10**12, 'abc', ''])}", "a") for _ in range(5)
                )
        elif category == "raw":
            form = f"Action={self.op.name}&Version={self.version}".encode()
            raw_body = r.choice(
                [
                    b"",
                    b"&",
                    b"=",
                    b"%",
                    b"%zz",
                    b"Action",
                    b"Action=",
                    b"\xff\xfe",
                    form + b"&" * 100_000,
                    form + b"&a=" + b"%" * 100_000,
                    b"{}",
                    b"Action=%E0%80%AF",
                    form + b"\x00",
                    form + b"&=&==&&=x",
                    form + b";a=b",
                    b"x" * (MAX_BODY + 1),
                ]
            )
        elif category == "protocol":
            variant = r.randrange(8)
            if variant >= 6:
                self_signed_junk(headers, r, variant)
            elif variant == 0:
                version = r.choice(["", "2006-03-01", "9" * 100_000, "2011-06-15\r\n", None])
                pairs = [(k, v) for k, v in pairs if k != "Version"]
                if version is not None:
                    pairs.append(("Version", version))
            elif variant == 1:
                action = r.choice(
                    [
                        self.op.name.lower(),
                        "X" * 100_000,
                        self.op.name + "\r\nX: 1",
                        "",
                        "\u00c4ction",
                    ]
                )
                pairs[0] = ("Action", action)
            elif variant == 2:
                headers["Content-Type"] = r.choice(
                    [
                        "text/plain",
                        "application/json",
                        "multipart/form-data; boundary=x",
                        "application/x-www-form-urlencoded; charset=ISO-8859-1",
                        JSON_TYPE,
                    ]
                )
            elif variant == 3:
                del headers["Content-Type"]
            elif variant == 4 and len(query := encode_pairs(pairs, r).decode()) < 30_000:
                # the form in the query string of a GET (httpx takes URLs up to 64 KiB)
                method = "GET"
                path = "/?" + query
                pairs = []
                del headers["Content-Type"]
            else:
                path = "/?" + encode_pairs(pairs[:1], r).decode()
                pairs = pairs[1:]
        elif category != "valid":
            raise AssertionError(category)

        body = raw_body if raw_body is not None else encode_pairs(pairs, r)
        shown = short_bytes(body, 400)
        return Case(
            self.service, self.op.name, category, round_, method, path, headers, body, shown
        )


def self_signed_junk(headers: dict[str, str], r: random.Random, variant: int) -> None:
    """Authentication headers no SDK would send: a session token that is no token of this server's
    (variant 6; signed along with the rest when the case is sent signed), or a made-up
    ``Authorization`` (variant 7; a signed send replaces it)."""
    if variant == 6:
        headers["X-Amz-Security-Token"] = r.choice(
            [
                "x",
                base64.b64encode(r.randbytes(200)).decode(),
                "A" * 6000,
                "IQoJb3JpZ2luX2VjE" + "A" * 300,
                "%00%0d%0a",
                "=",
            ]
        )
    else:
        scope = f"AKIA{'A' * 16}/20240101/{REGION}/sts/aws4_request"
        headers["Authorization"] = r.choice(
            [
                "AWS4-HMAC-SHA256",
                f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=00",
                f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=, Signature=",
                "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=host;;;, Signature=zz",
                "AWS4-HMAC-SHA256 Credential=" + "A" * 6000 + ", SignedHeaders=host, Signature=0",
                "AWS4-HMAC-SHA256 Credential=a, Credential=b, SignedHeaders=host, Signature=0",
                "Bearer x",
                "AWS AKIAEXAMPLE:c2ln",
                "",
            ]
        )
        headers["X-Amz-Date"] = r.choice(["20240101T000000Z", "yesterday", "", "99999999T999999Z"])


# -- sending --------------------------------------------------------------------------------------


def signed_headers(
    url: str, method: str, body: bytes, headers: Mapping[str, str], creds: Credentials, service: str
) -> dict[str, str]:
    """The headers botocore's SigV4 would send for this exact request."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(
        BotoCredentials(creds.access_key_id, creds.secret_access_key), service, REGION
    ).add_auth(request)
    return dict(request.headers.items())


@dataclass(slots=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    error: str | None = None
    """A transport failure: no answer at all."""
    note: str | None = None
    """Why httpx could not read this answer (read over a plain socket instead)."""

    def describe(self) -> str:
        if self.error is not None:
            return f"no readable answer: {self.error}"
        heads = [
            f"{n.decode('latin-1')}: {short_text(v.decode('latin-1'), 100)}"
            for n, v in self.headers
        ]
        text = f"HTTP {self.status} headers={heads} body={short_bytes(self.body, 300)}"
        return text if self.note is None else f"{text} ({self.note})"

    def code(self) -> str:
        """The error code of an error answer, else ``-``."""
        try:
            document = json.loads(self.body)
            if isinstance(document, dict) and isinstance(document.get("__type"), str):
                return str(document["__type"])
        except ValueError:
            pass
        found = re.search(rb"<Code>([^<]*)</Code>", self.body)
        return found.group(1).decode("latin-1") if found else "-"


def raw_exchange(
    port: int, method: str, path: str, headers: Mapping[str, str], body: bytes
) -> Answer:
    """One request over a plain socket, reading the whole answer whatever its head's size (httpx
    refuses heads over 100 KiB): used to show what an unreadable answer was."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
    lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    received = bytearray()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            sock.sendall(data)
            while len(received) < 8 * MAX_BODY:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
    except OSError as exc:
        return Answer(0, [], bytes(received), f"{type(exc).__name__}: {exc}")
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    parts = status_line.split(b" ")
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    parsed = [(n.strip(), v.strip()) for n, _, v in (h.partition(b":") for h in header_lines)]
    return Answer(status, parsed, rest)


def problems_of(answer: Answer, case: Case) -> list[str]:
    """What is wrong with one answer: a 5xx, an error that is no AWS error, an oversized head.

    One exception: a request whose head has a line over :data:`MAX_HEADER_LINE` may be refused by
    the HTTP layer itself, before any protocol is known, with a plain 414 or 431 (``http1/``)."""
    if answer.error is not None:
        return [f"no answer ({answer.error})"]
    if answer.status in (414, 431) and case.longest_head_line() > MAX_HEADER_LINE:
        return []
    found: list[str] = []
    if answer.status >= 500:
        found.append(f"HTTP {answer.status}")
    elif not 200 <= answer.status < 500:
        found.append(f"HTTP {answer.status} (neither success nor client error)")
    head = len(f"HTTP/1.1 {answer.status} Reason\r\n") + 2
    long_line = False
    for name, value in answer.headers:
        line = len(name) + 2 + len(value)
        head += line + 2
        if line > MAX_HEADER_LINE:
            long_line = True
            found.append(
                f"header {name.decode('latin-1')} line is {line} bytes (> {MAX_HEADER_LINE})"
            )
    if head > MAX_HEAD and not long_line:
        found.append(f"answer head is {head} bytes (> {MAX_HEAD})")
    content_type = next(
        (v.decode("latin-1") for n, v in answer.headers if n.lower() == b"content-type"), ""
    )
    is_error = answer.status >= 300
    if content_type.startswith("text/xml"):
        try:
            root = ElementTree.fromstring(answer.body)
        except ElementTree.ParseError as exc:
            found.append(f"XML body does not parse ({exc})")
            return found
        local = root.tag.rsplit("}", 1)[-1]
        if is_error:
            code = root.find("{*}Error/{*}Code")
            if local != "ErrorResponse" or code is None or not (code.text or "").strip():
                found.append("XML error without <ErrorResponse><Error><Code>")
        elif not local.endswith("Response"):
            found.append(f"XML success body is <{local}>")
    elif content_type.startswith(JSON_TYPE) or content_type.startswith("application/json"):
        try:
            document = json.loads(answer.body) if answer.body else None
        except ValueError as exc:
            found.append(f"JSON body does not parse ({exc})")
            return found
        if is_error:
            kind = document.get("__type") if isinstance(document, dict) else None
            if not isinstance(kind, str) or not kind:
                found.append("JSON error without a non-empty __type")
        elif not isinstance(document, dict):
            found.append("JSON success body is not an object")
    elif is_error or answer.body:
        found.append(f"answer of content-type {content_type!r}: neither JSON 1.1 nor XML")
    if not found and answer.note is not None and not answer.note.startswith("httpx: WriteError"):
        found.append(f"answer unreadable by httpx ({answer.note})")
    return found


@dataclass(slots=True)
class Sender:
    """Sends cases over one keep-alive httpx client, unsigned or signed with ``creds``."""

    base_url: str
    port: int
    creds: Credentials
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(20.0), headers={"User-Agent": "fuzz"})

    def close(self) -> None:
        self.client.close()

    def headers_for(self, case: Case, signed: bool) -> dict[str, str]:
        if not signed:
            return dict(case.headers)
        return signed_headers(
            self.base_url + case.path,
            case.method,
            case.body,
            case.headers,
            self.creds,
            case.service,
        )

    def send(self, case: Case, signed: bool) -> Answer:
        headers = self.headers_for(case, signed)
        try:
            response = self.client.request(
                case.method, self.base_url + case.path, content=case.body, headers=headers
            )
        except httpx.LocalProtocolError:
            raise  # a request httpx will not send: the generator's fault, not the server's
        except httpx.HTTPError as exc:
            # httpx refuses answer heads over 100 KiB, and fails to write an oversized body that
            # the server answered (and closed) before reading: read that answer over a socket.
            raw = raw_exchange(self.port, case.method, case.path, headers, case.body)
            note = f"httpx: {type(exc).__name__}: {exc}"
            if raw.error is not None:
                return Answer(0, [], b"", f"{note}; over a plain socket: {raw.error}")
            raw.note = note
            return raw
        return Answer(response.status_code, list(response.headers.raw), response.content)
