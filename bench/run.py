"""Throughput benchmark: our server against moto_server, and against bare reference rates.

    .venv/bin/python bench/run.py [--duration S] [--connections N] [--store sqlite|postgresql]
                                  [--only ours|moto] [--scenarios NAMES|GROUPS] [--profile]

Load comes from wrk (one thread, so one of the two cores is left for the server) driven by a
generated Lua script per scenario; each request is built once here, SigV4-signed with botocore where
the operation is signed (valid 15 minutes, and replayable), and replayed by wrk as is. The reference
rates are measured here, single-threaded, once the servers have stopped: the store's one-row
commits, RS512 signing with ``cryptography`` (what our tokens cost), RS256 verification with the
library our OIDC login verifier uses. The OIDC logins scenarios use an OpenID provider served by this
script on loopback. See bench/README.md for what the figures mean and the targets.

To add a scenario, add one entry to SCENARIOS: the operation, whether it is signed, and how its
request body is made from the fixture (the pools, identities and logins set up in each server).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = BENCH / "results"
REPORT_LUA = BENCH / "wrk_report.lua"
OIDC_VERIFIER_SOURCE = ROOT / "src" / "cognitoidentity" / "server" / "logins" / "oidc.py"

REGION = "us-east-1"
ACCOUNT = "000000000000"
SIGNING_NAME = "cognito-identity"
TARGET_PREFIX = "AWSCognitoIdentityService."
CONTENT_TYPE = "application/x-amz-json-1.1"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

DEVELOPER_PROVIDER = "login.bench.example"
"""The pools' DeveloperProviderName."""
DEVELOPER_USER = "bench-developer-user"
"""The developer user identifier, registered once at set-up and then replayed."""
OIDC_CLIENT_ID = "bench-client"
OIDC_SUBJECT = "bench-oidc-user"
ID_TOKEN_LIFETIME = 24 * 3600
"""The bench's ID token outlives any run (exp is checked by the server at every call)."""
FRESH_TOKENS = 2 * 4096
"""Tokens the ``/fresh`` scenarios send in turn: twice the verified tokens a server process
remembers (``VERIFIED_TOKENS_MAX``, forgotten oldest first), so none is remembered when it returns."""
ROLES = {
    "authenticated": f"arn:aws:iam::{ACCOUNT}:role/BenchAuthenticated",
    "unauthenticated": f"arn:aws:iam::{ACCOUNT}:role/BenchUnauthenticated",
}

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
OTHER_LOAD_WARNING = 0.15
"""Cores kept busy by other processes during a run above which the report warns."""
MAX_BARE_INSERTS = 50_000_000
"""Upper bound on the bare insert loop besides its time limit."""
MAX_JWKS_FETCHES_DURING_LOAD = 1
"""The OIDC logins scenarios pass their JWKS check when the provider saw at most this many JWKS
requests during a scenario's load (warm-up and measured runs): the keys are cached, not fetched per
call (one fetch is allowed for a cache expiry falling inside the run)."""


# -- scenarios ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Fixture:
    """What each server is given before the load.

    - ``pool_id``: a pool allowing unauthenticated identities, with ``DeveloperProviderName``
      :data:`DEVELOPER_PROVIDER` and the :data:`ROLES` (SetIdentityPoolRoles; moto has no such
      operation and goes without); ``identity_id``: one unauthenticated identity in it; the
      developer user :data:`DEVELOPER_USER` registered once (GetOpenIdTokenForDeveloperIdentity).
    - OIDC logins (only when a ``logins`` scenario is selected): ``oidc_pool_id``, a pool naming an
      IAM OIDC provider created on the server for the bench's own provider, the :data:`ROLES`;
      ``login_key`` (the provider's URL without scheme), ``id_token`` (minted by the bench) and
      ``login_identity_id``, the identity GetId gave for that login at set-up;
      ``fresh_id_tokens``, :data:`FRESH_TOKENS` further tokens of that login, all different.
      ``logins_problem`` says why these are missing (the scenarios then read ``n/a``).
    """

    pool_id: str
    identity_id: str
    region: str = REGION
    oidc_pool_id: str = ""
    login_key: str = ""
    id_token: str = ""
    login_identity_id: str = ""
    fresh_id_tokens: tuple[str, ...] = ()
    """More ID tokens of the same login, each different (see :data:`FRESH_TOKENS`)."""
    logins_problem: str | None = "needs a logins scenario selected"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    signed: bool
    body: Callable[[Fixture], dict[str, Any]]
    group: str = "identities"
    """For ``--scenarios``, which takes scenario names and group names."""
    action: str | None = None
    """The operation (X-Amz-Target), when it is not ``name``."""
    vs_moto_target: float | None = 20.0
    """ours / moto req/s must reach this (None: the ratio is printed for information only)."""
    vs_bare: tuple[str, float | None] | None = None
    """(reference, target): ours req/s / that bare rate (:data:`BARE_REFERENCES`) must reach the
    target (a target None: for information; None: no such ratio)."""
    variants: Callable[[Fixture], list[dict[str, Any]]] | None = None
    """Request bodies that wrk sends in turn, one per call, instead of replaying ``body`` (which
    is still the set-up check's); unsigned scenarios only."""
    needs: Callable[[Fixture], str | None] | None = None
    """Why the scenario cannot run with this fixture (None: it can)."""

    @property
    def operation(self) -> str:
        return self.action or self.name


def _logins(f: Fixture) -> dict[str, str]:
    return {f.login_key: f.id_token}


def _fresh_logins(f: Fixture) -> list[dict[str, str]]:
    return [{f.login_key: token} for token in f.fresh_id_tokens]


SCENARIOS: list[Scenario] = [
    # Unsigned; every call creates (and durably commits) a new identity.
    Scenario(
        "GetId",
        signed=False,
        body=lambda f: {"IdentityPoolId": f.pool_id},
        vs_bare=("insert", 0.70),
    ),
    # Signed read: SigV4 verification plus one pool lookup.
    Scenario("DescribeIdentityPool", signed=True, body=lambda f: {"IdentityPoolId": f.pool_id}),
    # Unsigned; an RS512 token for the unauthenticated identity: one RSA-2048 signature per call.
    # moto answers a random string, not a JWT: its rate is for information.
    Scenario(
        "GetOpenIdToken",
        group="tokens",
        signed=False,
        body=lambda f: {"IdentityId": f.identity_id},
        vs_moto_target=None,
        vs_bare=("sign", 0.70),
    ),
    # Unsigned; sealed temporary credentials for the unauthenticated role (no JWT on this path).
    Scenario(
        "GetCredentialsForIdentity",
        group="tokens",
        signed=False,
        body=lambda f: {"IdentityId": f.identity_id},
    ),
    # Signed; the developer user is registered at set-up, so this finds its identity and signs a
    # token. moto answers a random string: for information.
    Scenario(
        "GetOpenIdTokenForDeveloperIdentity",
        group="developer",
        signed=True,
        body=lambda f: {
            "IdentityPoolId": f.pool_id,
            "Logins": {DEVELOPER_PROVIDER: DEVELOPER_USER},
        },
        vs_moto_target=None,
        vs_bare=("sign", 0.60),
    ),
    # Unsigned, with an OIDC ID token of the bench's provider (RS256) for the identity it already
    # has: one signature verification (keys cached) plus the login lookup. moto ignores Logins.
    Scenario(
        "GetId+oidc",
        action="GetId",
        group="logins",
        signed=False,
        body=lambda f: {"IdentityPoolId": f.oidc_pool_id, "Logins": _logins(f)},
        vs_moto_target=None,
        vs_bare=("verify", 0.35),
        needs=lambda f: f.logins_problem,
    ),
    # The same verification, then credentials for the authenticated role.
    Scenario(
        "GetCredentialsForIdentity+oidc",
        action="GetCredentialsForIdentity",
        group="logins",
        signed=False,
        body=lambda f: {"IdentityId": f.login_identity_id, "Logins": _logins(f)},
        vs_bare=("verify", 0.35),
        needs=lambda f: f.logins_problem,
    ),
]


def _with_fresh_tokens(scenario: Scenario) -> Scenario:
    """``scenario`` with a different token of the bench's login at each call (more tokens than
    the server remembers as verified), so that every call checks a signature. For information."""

    def variants(f: Fixture) -> list[dict[str, Any]]:
        return [{**scenario.body(f), "Logins": logins} for logins in _fresh_logins(f)]

    return replace(
        scenario,
        name=scenario.name + "/fresh",
        variants=variants,
        vs_moto_target=None,
        vs_bare=("verify", None),
    )


SCENARIOS += [_with_fresh_tokens(s) for s in SCENARIOS if s.group == "logins"]


# -- servers -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, bytes]:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Server:
    """A server process on loopback; ``kind`` is ``ours`` or ``moto``."""

    kind: str
    label: str
    command: list[str]
    env: dict[str, str]
    access_key_id: str
    secret_access_key: str
    health_path: str
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*self.command, "--port" if self.kind == "ours" else "-p", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited at start:\n{self.log_tail()}")
            with suppress(OSError):
                status, _ = http(self.port, "GET", self.health_path, {}, b"")
                if status < 500:
                    return
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.label} did not start in {START_TIMEOUT:.0f}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def client(self, service: str = "cognito-identity") -> Any:
        import boto3
        from botocore.config import Config

        make: Any = boto3.client  # its overloads want a literal service name
        return make(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    def set_roles(self, client: Any, pool_id: str) -> None:
        """SetIdentityPoolRoles; moto has no such operation (its GetCredentialsForIdentity needs
        none), so there a refusal is ignored."""
        try:
            client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=ROLES)
        except Exception:
            if self.kind == "ours":
                raise

    def fixture(self, provider: OidcProvider | None) -> Fixture:
        """The pools and identities every scenario needs (see :class:`Fixture`); the OIDC logins
        part only with a ``provider`` (a logins scenario is selected)."""
        client = self.client()
        pool = client.create_identity_pool(
            IdentityPoolName="bench",
            AllowUnauthenticatedIdentities=True,
            DeveloperProviderName=DEVELOPER_PROVIDER,
        )
        pool_id = pool["IdentityPoolId"]
        self.set_roles(client, pool_id)
        identity = client.get_id(IdentityPoolId=pool_id)
        # Register the developer user once: the scenario then finds its identity.
        client.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEVELOPER_PROVIDER: DEVELOPER_USER}
        )
        fixture = Fixture(pool_id, identity["IdentityId"])
        if provider is None:
            return fixture
        return replace(fixture, **self.oidc_fixture(client, provider))

    def oidc_fixture(self, client: Any, provider: OidcProvider) -> dict[str, Any]:
        """An IAM OIDC provider for ``provider`` (through our IAM endpoint; moto's pool just names
        an ARN, it never verifies logins), a pool naming it, and the identity of the bench's login.
        When a step fails on our server, ``logins_problem`` says which."""
        if self.kind == "ours":
            try:
                arn = self.client("iam").create_open_id_connect_provider(
                    Url=provider.url, ClientIDList=[OIDC_CLIENT_ID]
                )["OpenIDConnectProviderArn"]
            except Exception as exc:
                return {"logins_problem": f"needs IAM CreateOpenIDConnectProvider ({exc})"}
        else:
            arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{provider.login_key}"
        try:
            pool = client.create_identity_pool(
                IdentityPoolName="bench_oidc",
                AllowUnauthenticatedIdentities=False,
                OpenIdConnectProviderARNs=[arn],
            )
            self.set_roles(client, pool["IdentityPoolId"])
        except Exception as exc:
            return {"logins_problem": f"needs a pool naming an IAM OIDC provider ({exc})"}
        logins = {provider.login_key: provider.id_token}
        try:
            identity = client.get_id(IdentityPoolId=pool["IdentityPoolId"], Logins=logins)
        except Exception as exc:
            return {"logins_problem": f"needs OIDC login verification (GetId with Logins: {exc})"}
        return {
            "oidc_pool_id": pool["IdentityPoolId"],
            "login_key": provider.login_key,
            "id_token": provider.id_token,
            "login_identity_id": identity["IdentityId"],
            "fresh_id_tokens": provider.fresh_id_tokens,
            "logins_problem": None,
        }


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COGNITOIDENTITY_"))}


def ours(work: Path, database_url: str | None) -> Server:
    key_id = "AKIA" + secrets.token_hex(8).upper()
    secret = secrets.token_urlsafe(30)
    env = base_env()
    env.update(
        COGNITOIDENTITY_ROOT_ACCESS_KEY_ID=key_id,
        COGNITOIDENTITY_ROOT_SECRET_ACCESS_KEY=secret,
        COGNITOIDENTITY_ROOT_ACCOUNT_ID=ACCOUNT,
        COGNITOIDENTITY_MASTER_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    data_dir = work / "ours-data"
    command = [
        str(VENV_BIN / "cognitoidentity"),
        "serve",
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warning",
    ]
    if database_url is not None:
        command += ["--database-url", database_url]
    return Server(
        "ours", "cognitoidentity", command, env, key_id, secret, "/health", work / "ours.log"
    )


def moto(work: Path) -> Server:
    env = base_env()
    env.update(AWS_DEFAULT_REGION=REGION)
    command = [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1"]
    return Server(
        "moto",
        "moto_server",
        command,
        env,
        "AKIAMOTOBENCH0000000",
        "moto-secret",
        "/moto-api/",
        work / "moto.log",
    )


# -- the bench's OpenID provider ---------------------------------------------------------------
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def new_rsa_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_jwt(private_key: Any, alg: str, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWS compact serialization, RS256/RS384/RS512 (PKCS#1 v1.5), signed with ``cryptography``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}[alg]
    signing_input = (
        b64url(compact_json({**header, "alg": alg})) + "." + b64url(compact_json(claims))
    )
    signature = private_key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return signing_input + "." + b64url(signature)


class OidcProvider:
    """An OpenID provider on loopback, served by this process (a thread): the discovery document
    at ``/.well-known/openid-configuration`` and a JWKS with one RSA-2048 key the bench owns at
    ``/jwks.json``. It counts the requests it answers, per path, so that the report can say how
    often the server fetched them. ``id_token`` is one RS256 ID token minted with that key:
    ``iss`` the provider URL, ``aud`` :data:`OIDC_CLIENT_ID`, valid :data:`ID_TOKEN_LIFETIME`."""

    KID = "bench-oidc-key-1"
    DISCOVERY_PATH = "/.well-known/openid-configuration"
    JWKS_PATH = "/jwks.json"

    def __init__(self) -> None:
        self.private_key = new_rsa_key()
        numbers = self.private_key.public_key().public_numbers()
        self.jwk: dict[str, str | list[str]] = {
            "kty": "RSA",
            "kid": self.KID,
            "use": "sig",
            "alg": "RS256",
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        }
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._documents = self.documents()
        self.id_token = self.mint()
        self.fresh_id_tokens = tuple(self.mint(jti=str(n)) for n in range(FRESH_TOKENS))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def mint(self, **extra: Any) -> str:
        """An ID token of the bench's login, with ``extra`` claims."""
        now = int(time.time())
        return sign_jwt(
            self.private_key,
            "RS256",
            {"typ": "JWT", "kid": self.KID},
            {
                "iss": self.url,
                "sub": OIDC_SUBJECT,
                "aud": OIDC_CLIENT_ID,
                "iat": now,
                "exp": now + ID_TOKEN_LIFETIME,
                "email": "bench@example.com",
                "email_verified": True,
                **extra,
            },
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def login_key(self) -> str:
        """The ``Logins`` key: the provider's URL without its scheme."""
        return f"127.0.0.1:{self.port}"

    def documents(self) -> dict[str, bytes]:
        discovery = {
            "issuer": self.url,
            "jwks_uri": self.url + self.JWKS_PATH,
            "authorization_endpoint": self.url + "/authorize",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        return {
            self.DISCOVERY_PATH: compact_json(discovery),
            self.JWKS_PATH: compact_json({"keys": [self.jwk]}),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                body = provider._documents.get(path)
                with provider._lock:
                    provider.counts[path if body is not None else "other"] += 1
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def snapshot(self) -> dict[str, int]:
        """Requests answered so far: ``discovery``, ``jwks`` and ``other``."""
        with self._lock:
            return {
                "discovery": self.counts[self.DISCOVERY_PATH],
                "jwks": self.counts[self.JWKS_PATH],
                "other": self.counts["other"],
            }

    def __enter__(self) -> OidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- requests and wrk --------------------------------------------------------------------------
def encode_body(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def build_request(
    server: Server, scenario: Scenario, fixture: Fixture
) -> tuple[dict[str, str], bytes]:
    """The exact headers and body that wrk replays; signed once here when the scenario is signed."""
    body = encode_body(scenario.body(fixture))
    headers = {
        "Host": server.host,
        "Content-Type": CONTENT_TYPE,
        "X-Amz-Target": TARGET_PREFIX + scenario.operation,
    }
    if scenario.signed:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        request = AWSRequest(method="POST", url=server.url + "/", data=body, headers=headers)
        credentials = Credentials(server.access_key_id, server.secret_access_key)
        SigV4Auth(credentials, SIGNING_NAME, fixture.region).add_auth(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    return headers, body


def lua_string(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    out = []
    for byte in raw:
        char = chr(byte)
        if char in '"\\' or not 32 <= byte < 127:
            out.append(f"\\{byte:03d}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def write_script(
    path: Path, headers: dict[str, str], body: bytes, variants: list[bytes] | None = None
) -> None:
    """wrk's script: ``body`` replayed, or with ``variants`` each of them in turn (wrk's
    ``request()`` formats the next one; the headers stay, Content-Length follows the body)."""
    lines = ['wrk.method = "POST"', 'wrk.path = "/"', f"wrk.body = {lua_string(body)}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
    if variants:
        lines.append("local bodies = {")
        lines += [f"  {lua_string(v)}," for v in variants]
        lines += [
            "}",
            "local next_body = 0",
            "function request()",
            "   next_body = next_body % #bodies + 1",
            "   return wrk.format(nil, nil, nil, bodies[next_body])",
            "end",
        ]
    path.write_text("\n".join(lines) + "\n\n" + REPORT_LUA.read_text())


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    detail: dict[str, Any]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far, all cores, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return (total - idle) / CLOCK_TICKS


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) used by process ``pid`` so far."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            after_name = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(after_name[11]) + int(after_name[12])) / CLOCK_TICKS


def named_processes_cpu(name: str) -> float:
    """CPU seconds used so far by every live process whose command name is ``name``."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        head, _, tail = text.rpartition(")")
        if head.partition("(")[2] == name:
            fields = tail.split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


@dataclass
class CpuUse:
    """Cores busy on average during a measured run: the server, wrk, the database server
    (PostgreSQL store only; every ``postgres`` process), and everything else."""

    server: float
    wrk: float
    database: float
    other: float


def run_wrk_measured(
    url: str, script: Path, server_pid: int, database: str | None, **options: Any
) -> tuple[WrkResult, CpuUse]:
    def db_cpu() -> float:
        return named_processes_cpu(database) if database else 0.0

    busy0, server0, db0, children0 = machine_cpu(), process_cpu(server_pid), db_cpu(), os.times()
    started = time.perf_counter()
    result = run_wrk(url, script, **options)
    elapsed = time.perf_counter() - started
    busy1, server1, db1, children1 = machine_cpu(), process_cpu(server_pid), db_cpu(), os.times()
    server = (server1 - server0) / elapsed
    wrk = (
        children1.children_user
        + children1.children_system
        - children0.children_user
        - children0.children_system
    ) / elapsed
    db = (db1 - db0) / elapsed
    machine = (busy1 - busy0) / elapsed
    return result, CpuUse(server, wrk, db, max(0.0, machine - server - wrk - db))


def run_wrk(
    url: str, script: Path, *, seconds: float, connections: int, threads: int, timeout: float
) -> WrkResult:
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout))}s",
        f"--script={script}",
        url + "/",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    detail = json.loads(line.removeprefix("WRK_JSON "))
    errors = detail["errors"]
    total_errors = (
        errors["non_2xx"] + errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    )
    duration = detail["duration_us"] / 1e6
    latency = detail["latency_us"]
    return WrkResult(
        requests=detail["requests"],
        duration_s=duration,
        rps=detail["requests"] / duration if duration > 0 else 0.0,
        p50_ms=(latency["p50"] or 0) / 1000,
        p99_ms=(latency["p99"] or 0) / 1000,
        errors=total_errors,
        detail=detail,
    )


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit(
            "wrk is not installed: run `sudo apt-get install -y wrk` (Debian/Ubuntu), then retry."
        )
    print("wrk not found: installing it with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for step in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        subprocess.run(step, check=True, env=env, stdout=subprocess.DEVNULL, timeout=600)
    if not shutil.which("wrk"):
        sys.exit("apt-get did not install wrk")


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (
        (done.stdout or done.stderr).splitlines()[0].strip()
        if (done.stdout or done.stderr)
        else "?"
    )


# -- profiling (optional) ----------------------------------------------------------------------
def py_spy() -> str | None:
    path = VENV_BIN / "py-spy"
    return str(path) if path.exists() else shutil.which("py-spy")


OUTER_FRAMES = (
    "<module>",
    "uvicorn/",
    "asyncio/",
    "threading.py",
    "server/cli.py",
    "server/app.py",
)
"""Frames that every request passes through (the event loop, uvicorn, our ASGI application): left
out of the "handler" list, which shows where the operations themselves spend their time."""


def top_frames(raw: Path, limit: int = 15) -> dict[str, list[tuple[str, float]]]:
    """Self and inclusive shares of samples per frame, from py-spy's collapsed ("raw") output;
    ``handler``: the inclusive ones without :data:`OUTER_FRAMES`."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = frames[0].split(": ", 1)[-1] if frames[0].startswith("thread ") else "?"
        frames = [f for f in frames if not f.startswith(("process ", "thread "))] or ["(native)"]
        total += count
        threads[thread] += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if total == 0:
        return {"threads": [], "self": [], "inclusive": [], "handler": []}
    handler = [(f, n) for f, n in inclusive.most_common() if not any(o in f for o in OUTER_FRAMES)]
    return {
        "threads": [(t, n / total) for t, n in threads.most_common()],
        "self": [(f, n / total) for f, n in own.most_common(limit)],
        "inclusive": [(f, n / total) for f, n in inclusive.most_common(limit)],
        "handler": [(f, n / total) for f, n in handler[:limit]],
    }


# -- bare reference rates: store inserts, RS512 signing, RS256 verification --------------------
SQLITE_DDL = """
CREATE TABLE identity_pools (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    pool_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE identities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id TEXT NOT NULL UNIQUE,
    pool_id TEXT NOT NULL REFERENCES identity_pools (pool_id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    last_modified_at REAL NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX identities_by_pool ON identities (pool_id, seq);
"""
"""The identities table as in the store's SQLite migration (0001_initial.sql), and the pool table
its foreign key points at."""

POSTGRES_DDL = """
CREATE TABLE identity_pools (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    document JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE identities (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    identity_id TEXT NOT NULL UNIQUE,
    pool_id TEXT NOT NULL REFERENCES identity_pools (pool_id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    last_modified_at TIMESTAMPTZ NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX identities_by_pool ON identities (pool_id, seq);
"""

BARE_POOL = "us-east-1:00000000-0000-4000-8000-000000000000"


@dataclass
class BareResult:
    """One single-threaded loop of this process, run when the servers have stopped."""

    reference: str
    """``insert``, ``sign``, ``verify`` (what scenarios compare with) or ``verify-cryptography``."""
    label: str
    count: int
    duration_s: float
    rate: float


BARE_REFERENCES = {
    "insert": "bare insert (1/txn)",
    "sign": "bare RS512 sign",
    "verify": "bare RS256 verify",
}
"""The references a scenario's ``vs_bare`` can name, as the report labels them."""


def bare_insert_sqlite(path: Path, seconds: float) -> BareResult:
    """One identity row per transaction (BEGIN IMMEDIATE ... COMMIT), WAL and synchronous=FULL as in
    the store, through stdlib sqlite3 only."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(SQLITE_DDL)
        conn.execute(
            "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
            " VALUES (?, ?, ?, '{}', ?)",
            (BARE_POOL, ACCOUNT, REGION, time.time()),
        )
        sql = (
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (?, ?, ?, ?, 0)"
        )
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while count < MAX_BARE_INSERTS and time.perf_counter() < deadline:
            now = time.time()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, (f"{REGION}:{uuid.uuid4()}", BARE_POOL, now, now))
            conn.execute("COMMIT")
            count += 1
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return BareResult("insert", "sqlite", count, elapsed, count / elapsed)


def bare_insert_postgres(url: str, seconds: float) -> BareResult:
    """One identity row per transaction (autocommit INSERT), in a schema of its own."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True)
    try:
        conn.execute(POSTGRES_DDL)
        conn.execute(
            "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
            " VALUES (%s, %s, %s, '{}', now())",
            (BARE_POOL, ACCOUNT, REGION),
        )
        sql = (
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (%s, %s, %s, %s, false)"
        )
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while count < MAX_BARE_INSERTS and time.perf_counter() < deadline:
            now = datetime.now(UTC)
            conn.execute(sql, (f"{REGION}:{uuid.uuid4()}", BARE_POOL, now, now), prepare=True)
            count += 1
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return BareResult("insert", "postgresql", count, elapsed, count / elapsed)


def bare_sign(seconds: float) -> BareResult:
    """RS512 signatures of a JWT-sized signing input (the header and claims of one of our
    GetOpenIdToken tokens) with a fresh RSA-2048 key: ``cryptography``, PKCS#1 v1.5 + SHA-512,
    what our token issuer does per token."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = new_rsa_key()
    now = int(time.time())
    identity = f"{REGION}:{uuid.uuid4()}"
    header = {"kid": b64url(secrets.token_bytes(32)), "typ": "JWS", "alg": "RS512"}
    claims = {
        "sub": identity,
        "aud": f"{REGION}:{uuid.uuid4()}",
        "amr": ["unauthenticated"],
        "iss": "http://127.0.0.1:65535",
        "exp": now + 600,
        "iat": now,
    }
    signing_input = (b64url(compact_json(header)) + "." + b64url(compact_json(claims))).encode()
    pkcs1v15, sha512 = padding.PKCS1v15(), hashes.SHA512()
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        key.sign(signing_input, pkcs1v15, sha512)
        count += 1
    elapsed = time.perf_counter() - started
    return BareResult("sign", "cryptography", count, elapsed, count / elapsed)


def oidc_verifier_library() -> str:
    """``joserfc`` when our OIDC login verifier checks signatures with joserfc's ``jws``, else
    ``cryptography`` (read from its source, since it may change)."""
    try:
        source = OIDC_VERIFIER_SOURCE.read_text()
    except OSError:
        return "joserfc"
    return "joserfc" if "from joserfc import jws" in source else "cryptography"


def bare_verify(seconds: float, provider: OidcProvider, library: str) -> BareResult:
    """Verifications of the bench's ID token (RS256, RSA-2048) against its public key, with
    ``library``: ``joserfc`` as our OIDC verifier calls it (``jws.deserialize_compact`` with an
    imported ``RSAKey``, which parses the token too), or bare ``cryptography`` (PKCS#1 v1.5 +
    SHA-256 over the signing input, the token split beforehand)."""
    token = provider.id_token
    count = 0
    if library == "joserfc":
        from joserfc import jws
        from joserfc.jwk import RSAKey

        key = RSAKey.import_key(provider.jwk)
        algorithms = ["RS256"]
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            jws.deserialize_compact(token, key, algorithms=algorithms)
            count += 1
    else:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        public = provider.private_key.public_key()
        signing_input, _, signature = token.rpartition(".")
        data = signing_input.encode()
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        pkcs1v15, sha256 = padding.PKCS1v15(), hashes.SHA256()
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            public.verify(raw, data, pkcs1v15, sha256)
            count += 1
    elapsed = time.perf_counter() - started
    return BareResult("verify", library, count, elapsed, count / elapsed)


@contextmanager
def postgres_schema(base_url: str, prefix: str) -> Iterator[str]:
    """A fresh schema, yielded as a URL whose search_path is that schema; dropped afterwards."""
    import psycopg
    from psycopg import sql

    schema = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(base_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        sep = "&" if "?" in base_url else "?"
        yield base_url + sep + urlencode({"options": f"-csearch_path={schema}"}, quote_via=quote)
    finally:
        with psycopg.connect(base_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# -- the run -----------------------------------------------------------------------------------
@dataclass
class Measured:
    scenario: str
    server: str
    result: WrkResult | None = None
    failure: str | None = None
    skipped: str | None = None
    """Why the scenario could not run here ("needs ..."): not a failure."""
    cpu: CpuUse | None = None
    attempts: list[float] = field(default_factory=list)
    """req/s of every measured run (--repeat); ``result`` is the fastest."""
    provider_requests: dict[str, int] | None = None
    """OIDC logins scenarios: requests the bench's provider answered during the load (warm-up
    and measured runs), and ``before``: what it had answered until then (set-up included)."""
    profile: dict[str, Any] | None = None


def measure_server(
    server: Server,
    args: argparse.Namespace,
    scripts: Path,
    provider: OidcProvider | None,
    unavailable: dict[str, str],
) -> list[Measured]:
    """Every selected scenario on ``server``. ``unavailable`` maps the scenarios our server could
    not run to why: moto skips those too (ours runs first), and ours adds to it."""
    out: list[Measured] = []
    print(f"== {server.label}: starting on {server.url}", flush=True)
    server.start()
    fixture = server.fixture(provider)
    for scenario in selected_scenarios(args):
        row = Measured(scenario.name, server.kind)
        out.append(row)
        missing = scenario.needs(fixture) if scenario.needs else None
        missing = missing or unavailable.get(scenario.name)
        if missing:
            row.skipped = missing
            if server.kind == "ours":
                unavailable[scenario.name] = missing
            print(f"   {scenario.name}: n/a: {missing}", flush=True)
            continue
        headers, body = build_request(server, scenario, fixture)
        status, answer = http(server.port, "POST", "/", headers, body)
        if not 200 <= status < 300:
            row.failure = f"check request answered {status}: {answer[:300]!r}"
            print(f"   {scenario.name}: {row.failure}", flush=True)
            continue
        script = scripts / f"{server.kind}-{scenario.name.replace('/', '-')}.lua"
        variants = (
            [encode_body(v) for v in scenario.variants(fixture)] if scenario.variants else None
        )
        write_script(script, headers, body, variants)
        wrk = dict(connections=args.connections, threads=args.threads, timeout=args.timeout)
        counting = provider is not None and scenario.group == "logins" and server.kind == "ours"
        before = provider.snapshot() if counting and provider else None
        if args.warmup > 0:
            run_wrk(server.url, script, seconds=args.warmup, **wrk)
        database = "postgres" if server.kind == "ours" and args.store == "postgresql" else None
        attempts = [
            run_wrk_measured(server.url, script, server.pid, database, seconds=args.duration, **wrk)
            for _ in range(args.repeat)
        ]
        row.attempts = [a[0].rps for a in attempts]
        # The fastest run counts (interference only slows a run down), unless one had errors:
        # then the one with the most errors does, so that they are reported.
        row.result, row.cpu = max(attempts, key=lambda a: (a[0].errors, a[0].rps))
        r, cpu = row.result, row.cpu
        if args.repeat > 1:
            print(f"   {scenario.name}: runs " + ", ".join(f"{x:,.0f}" for x in row.attempts))
        print(
            f"   {scenario.name}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms,"
            f" {r.errors} errors; cores busy: server {cpu.server:.2f}, wrk {cpu.wrk:.2f},"
            + (f" postgres {cpu.database:.2f}," if database else "")
            + f" other {cpu.other:.2f}",
            flush=True,
        )
        if r.errors and r.detail.get("sample"):
            print(f"     first non-2xx: {r.detail['sample']}", flush=True)
        if before is not None and provider is not None:
            after = provider.snapshot()
            row.provider_requests = {k: after[k] - before[k] for k in after}
            row.provider_requests["before"] = before["discovery"] + before["jwks"]
            print(
                f"   {scenario.name}: the OIDC provider answered, during the load,"
                f" {row.provider_requests['discovery']} discovery and"
                f" {row.provider_requests['jwks']} JWKS requests (before it:"
                f" {before['discovery']} discovery, {before['jwks']} JWKS)",
                flush=True,
            )
        if args.profile and server.kind == "ours":
            raw = scripts / f"{scenario.name.replace('/', '-')}.collapsed"
            row.profile = profile_run(server, script, args, raw)
    return out


def profile_run(
    server: Server, script: Path, args: argparse.Namespace, raw: Path
) -> dict[str, Any]:
    """A further wrk run of the same length with py-spy sampling the server; not in the table."""
    spy = py_spy()
    if spy is None:
        print("   (--profile: py-spy not found; `.venv/bin/pip install py-spy`)", flush=True)
        return {"error": "py-spy not found"}
    seconds = max(1, round(args.duration))
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(server.pid),
            "--duration",
            str(seconds),
            "--rate",
            "250",
            "--nonblocking",
            "--threads",
            "--format",
            "raw",
            "--output",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        result = run_wrk(
            server.url,
            script,
            seconds=seconds,
            connections=args.connections,
            threads=args.threads,
            timeout=args.timeout,
        )
        _, err = recorder.communicate(timeout=seconds + 60)
    finally:
        if recorder.poll() is None:
            recorder.send_signal(signal.SIGINT)
            try:
                recorder.wait(10)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()
    if not raw.exists():
        return {"error": f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}"}
    frames = top_frames(raw)
    shares = ", ".join(f"{t} {share:.0%}" for t, share in frames["threads"])
    print(
        f"   profiled run (py-spy attached): {result.rps:,.0f} req/s; samples by thread:"
        f" {shares}; top self time:",
        flush=True,
    )
    for frame, share in frames["self"][:10]:
        print(f"     {share:6.1%}  {frame}", flush=True)
    print("   top inclusive time below the ASGI application:", flush=True)
    for frame, share in frames["handler"][:10]:
        print(f"     {share:6.1%}  {frame}", flush=True)
    return {"rps_while_profiled": result.rps, **frames}


def scenario_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for scenario in SCENARIOS:
        groups.setdefault(scenario.group, []).append(scenario.name)
    return groups


def selected_scenarios(args: argparse.Namespace) -> list[Scenario]:
    if not args.scenarios:
        return SCENARIOS
    groups = scenario_groups()
    wanted: set[str] = set()
    for item in (s.strip() for s in args.scenarios.split(",")):
        if not item:
            continue
        if item in groups:
            wanted.update(groups[item])
        elif any(s.name == item for s in SCENARIOS):
            wanted.add(item)
        else:
            sys.exit(
                f"unknown scenario or group: {item} (scenarios: "
                + ", ".join(s.name for s in SCENARIOS)
                + "; groups: "
                + ", ".join(groups)
                + ")"
            )
    return [s for s in SCENARIOS if s.name in wanted]


def bare_needed(args: argparse.Namespace) -> list[str]:
    """The reference rates the selected scenarios compare with, in :data:`BARE_REFERENCES`
    order."""
    wanted = {s.vs_bare[0] for s in selected_scenarios(args) if s.vs_bare}
    return [name for name in BARE_REFERENCES if name in wanted]


def ratio_rows(
    rows: list[Measured], bares: dict[str, BareResult], args: argparse.Namespace
) -> list[dict[str, Any]]:
    def rate(scenario: str, server: str) -> tuple[float | None, str | None]:
        row = next((r for r in rows if r.scenario == scenario and r.server == server), None)
        if row is None:
            return None, "not run"
        if row.skipped:
            return None, row.skipped
        if row.result is None:
            return None, "failed"
        if row.result.errors:
            return None, "errors"
        return row.result.rps, None

    out: list[dict[str, Any]] = []
    for scenario in selected_scenarios(args):  # every "vs moto" ratio first
        ours_rate, ours_problem = rate(scenario.name, "ours")
        moto_rate, moto_problem = rate(scenario.name, "moto")
        if scenario.vs_moto_target is None and (ours_problem or moto_problem):
            continue  # an information ratio is left out when a side is missing
        out.append(
            ratio(
                f"{scenario.name} ours / moto",
                ours_rate,
                moto_rate,
                scenario.vs_moto_target,
                ours_problem or moto_problem,
                "x",
            )
        )
    for scenario in selected_scenarios(args):
        if scenario.vs_bare is None:
            continue
        reference, target = scenario.vs_bare
        ours_rate, ours_problem = rate(scenario.name, "ours")
        bare = bares.get(reference)
        out.append(
            ratio(
                f"{scenario.name} ours / {BARE_REFERENCES[reference].removeprefix('bare ')}",
                ours_rate,
                bare.rate if bare else None,
                target,
                ours_problem or (None if bare else "not run"),
                "%",
            )
        )
    for row in rows:
        if row.provider_requests is None:
            continue
        fetched = row.provider_requests["jwks"]
        out.append(
            {
                "name": f"{row.scenario} JWKS requests during the load",
                "value": fetched,
                "target": MAX_JWKS_FETCHES_DURING_LOAD,
                "unit": "requests",
                "verdict": "PASS" if fetched <= MAX_JWKS_FETCHES_DURING_LOAD else "MISS",
            }
        )
    return out


def ratio(
    name: str,
    num: float | None,
    den: float | None,
    target: float | None,
    problem: str | None,
    unit: str,
) -> dict[str, Any]:
    """``num / den`` against ``target`` (at least); ``target`` None: for information."""
    value = num / den if (num is not None and den) else None
    if value is None:
        verdict = f"n/a ({problem or 'no data'})"
    elif target is None:
        verdict = "(information)"
    else:
        verdict = "PASS" if value >= target else "MISS"
    return {"name": name, "value": value, "target": target, "unit": unit, "verdict": verdict}


def fmt_ratio(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value:.0%}"
    if unit == "x":
        return f"{value:.1f}x"
    return f"{value:g}"


def fmt_target(target: float | None, unit: str) -> str:
    if target is None:
        return ""
    if unit == "%":
        return f">= {target:.0%}"
    if unit == "x":
        return f">= {target:g}x"
    return f"<= {target:g}"


def print_report(
    rows: list[Measured],
    bares: dict[str, BareResult],
    extra_bares: list[BareResult],
    ratios: list[dict[str, Any]],
    args: argparse.Namespace,
) -> None:
    print()
    print(
        f"wrk: {args.threads} thread, {args.connections} connections, {args.duration:g} s per"
        f" scenario after {args.warmup:g} s warm-up"
        + (f", fastest of {args.repeat} runs" if args.repeat > 1 else "")
        + f"; store {args.store}"
    )
    bare_rows = [
        (BARE_REFERENCES[name], bares[name]) for name in BARE_REFERENCES if name in bares
    ] + [(f"bare RS256 verify ({b.label}, info)", b) for b in extra_bares]
    width = max([22, *(len(r.scenario) for r in rows), *(len(label) for label, _ in bare_rows)])
    header = (
        f"{'scenario':<{width}} {'server':<16} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'errors':>7}  {'srv cpu':>7} {'other':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        label = "cognitoidentity" if row.server == "ours" else "moto_server"
        if row.skipped:
            print(f"{row.scenario:<{width}} {label:<16} {'n/a':>10}: {row.skipped}")
            continue
        if row.result is None:
            print(f"{row.scenario:<{width}} {label:<16} {'FAILED':>10}  {row.failure}")
            continue
        r = row.result
        cpu = row.cpu or CpuUse(0, 0, 0, 0)
        print(
            f"{row.scenario:<{width}} {label:<16} {r.rps:>10,.0f} {r.p50_ms:>8.2f}"
            f" {r.p99_ms:>8.2f} {r.errors:>7}  {cpu.server:>7.2f} {cpu.other:>6.2f}"
        )
    for label, bare in bare_rows:
        print(f"{label:<{width}} {bare.label:<16} {bare.rate:>10,.0f}")
    busiest = max((r.cpu.other for r in rows if r.cpu), default=0.0)
    print(
        "(srv cpu, other: cores kept busy on average during the run by the server process, and"
        " by everything but the server, wrk"
        + (" and PostgreSQL" if args.store == "postgresql" else "")
        + "; bare rows: one thread of this script, after the servers stopped)"
    )
    for row in rows:
        if row.provider_requests is not None:
            p = row.provider_requests
            print(
                f"OIDC provider, {row.scenario} load: {p['discovery']} discovery and {p['jwks']}"
                f" JWKS requests ({p['before']} before it, set-up included)"
            )
    if busiest > OTHER_LOAD_WARNING:
        print(
            f"WARNING: other processes kept up to {busiest:.2f} cores busy during a run: the"
            " machine was shared and these figures are low and noisy; run again when it is"
            " quiet."
        )
    print()
    name_width = max((len(r["name"]) for r in ratios), default=10)
    for q in ratios:
        target = fmt_target(q["target"], q["unit"])
        target_text = f"target {target:<8}" if target else f"{'':<15}"
        print(
            f"{q['name']:<{name_width}}  {fmt_ratio(q['value'], q['unit']):>8}  {target_text}"
            f"  {q['verdict']}"
        )


def git_commit() -> str | None:
    with suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout.strip()
    return None


def write_results(
    rows: list[Measured],
    bares: dict[str, BareResult],
    extra_bares: list[BareResult],
    ratios: list[dict[str, Any]],
    args: argparse.Namespace,
    started: datetime,
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    document = {
        "started_at": started.isoformat(),
        "settings": {k: v for k, v in vars(args).items()},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "wrk": wrk_version(),
            "git_commit": git_commit(),
        },
        "runs": [
            {
                "scenario": r.scenario,
                "server": r.server,
                "failure": r.failure,
                **({"skipped": r.skipped} if r.skipped else {}),
                **({"result": asdict(r.result)} if r.result else {}),
                **({"cpu_cores": asdict(r.cpu)} if r.cpu else {}),
                "rps_of_each_run": r.attempts,
                **({"oidc_provider_requests": r.provider_requests} if r.provider_requests else {}),
                **({"profile": r.profile} if r.profile else {}),
            }
            for r in rows
        ],
        "bare": {name: asdict(b) for name, b in bares.items()},
        "bare_information": [asdict(b) for b in extra_bares],
        "ratios": ratios,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--timeout", type=float, default=5.0, help="wrk per-request timeout (5 s)")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help=f"database for --store postgresql ({POSTGRES_URL})",
    )
    parser.add_argument("--only", choices=["ours", "moto"], help="measure one server only")
    groups = scenario_groups()
    parser.add_argument(
        "--scenarios",
        help="comma-separated scenarios or groups; groups: "
        + "; ".join(f"{g} = {', '.join(names)}" for g, names in groups.items())
        + " (all)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measured runs per scenario (and bare loops); the fastest counts (1)",
    )
    parser.add_argument(
        "--insert-seconds",
        type=float,
        default=5.0,
        help="length of the bare store insert loop (5 s; 0 skips it)",
    )
    parser.add_argument(
        "--crypto-seconds",
        type=float,
        default=3.0,
        help="length of each bare RS512 sign and RS256 verify loop (3 s; 0 skips them)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after each of our scenarios, one more run under py-spy; top frames",
    )
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.connections < 1 or args.threads < 1 or not 1 <= args.repeat <= 20:
        parser.error("--duration, --connections, --threads must be positive, --repeat 1 to 20")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    return args


def run_bares(
    args: argparse.Namespace, work: Path, provider: OidcProvider | None, failed: list[str]
) -> tuple[dict[str, BareResult], list[BareResult]]:
    """The reference loops the selected scenarios need (fastest of --repeat each), and, next to
    the RS256 verification rate of our verifier's library, bare ``cryptography``'s for
    information when that library is another one."""
    bares: dict[str, BareResult] = {}
    extra: list[BareResult] = []

    def fastest(make: Callable[[int], BareResult]) -> BareResult:
        return max((make(attempt) for attempt in range(args.repeat)), key=lambda b: b.rate)

    for name in bare_needed(args):
        try:
            if name == "insert":
                if args.insert_seconds <= 0:
                    continue
                print(
                    f"== bare {args.store} insert, one row per transaction,"
                    f" {args.insert_seconds:g} s",
                    flush=True,
                )

                def insert(attempt: int) -> BareResult:
                    if args.store == "sqlite":
                        return bare_insert_sqlite(work / f"bare-{attempt}.db", args.insert_seconds)
                    with postgres_schema(args.postgres_url, "bench_bare") as url:
                        return bare_insert_postgres(url, args.insert_seconds)

                bares[name] = fastest(insert)
                b = bares[name]
                print(f"   {b.rate:,.0f} inserts/s ({b.count} in {b.duration_s:.1f} s)", flush=True)
            elif name == "sign":
                if args.crypto_seconds <= 0:
                    continue
                print(
                    f"== bare RS512 signing (cryptography, RSA-2048, PKCS#1 v1.5 + SHA-512),"
                    f" {args.crypto_seconds:g} s",
                    flush=True,
                )
                bares[name] = fastest(lambda _: bare_sign(args.crypto_seconds))
                b = bares[name]
                print(f"   {b.rate:,.0f} signatures/s", flush=True)
            elif name == "verify":
                if args.crypto_seconds <= 0 or provider is None:
                    continue
                library = oidc_verifier_library()
                libraries = [library] + (["cryptography"] if library != "cryptography" else [])
                for lib in libraries:
                    print(
                        f"== bare RS256 verification ({lib}, RSA-2048), {args.crypto_seconds:g} s"
                        + ("" if lib == library else " (information)"),
                        flush=True,
                    )

                    def verify(_: int, lib: str = lib) -> BareResult:
                        assert provider is not None
                        return bare_verify(args.crypto_seconds, provider, lib)

                    b = fastest(verify)
                    if lib == library:
                        bares[name] = b
                    else:
                        extra.append(replace(b, reference="verify-cryptography"))
                    print(f"   {b.rate:,.0f} verifications/s", flush=True)
        except Exception as exc:
            failed.append(f"bare {name}: {exc}")
            print(f"   FAILED: {exc}", flush=True)
    return bares, extra


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A plain `kill` still stops the servers: SystemExit unwinds through the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_wrk()
    started = datetime.now(UTC)
    rows: list[Measured] = []
    bares: dict[str, BareResult] = {}
    extra_bares: list[BareResult] = []
    failed: list[str] = []
    unavailable: dict[str, str] = {}
    logins = any(s.group == "logins" for s in selected_scenarios(args))
    with (
        tempfile.TemporaryDirectory(prefix="cognitoidentity-bench-") as tmp,
        OidcProvider() if logins else nullcontext() as provider,
    ):
        work = Path(tmp)
        scripts = work / "scripts"
        scripts.mkdir()
        if provider is not None:
            print(f"== OIDC provider (this script) on {provider.url}", flush=True)
        kinds = [args.only] if args.only else ["ours", "moto"]
        for kind in kinds:
            try:
                with store_url(args, kind) as url:
                    server = ours(work, url) if kind == "ours" else moto(work)
                    try:
                        rows += measure_server(server, args, scripts, provider, unavailable)
                    except Exception as exc:
                        failed.append(f"{server.label}: {exc}")
                        print(f"   {server.label} FAILED: {exc}\n{server.log_tail()}", flush=True)
                    finally:
                        server.stop()
            except Exception as exc:  # e.g. PostgreSQL unreachable
                failed.append(f"{kind}: {exc}")
                print(f"== {kind}: FAILED: {exc}", flush=True)
        if "ours" in kinds:
            bares, extra_bares = run_bares(args, work, provider, failed)
        profiles = sorted(scripts.glob("*.collapsed"))
        if profiles:  # py-spy's collapsed stacks outlive the run, for flame graphs
            kept = RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}-profiles"
            kept.mkdir(parents=True, exist_ok=True)
            for raw in profiles:
                shutil.copy(raw, kept / raw.name)
    ratios = ratio_rows(rows, bares, args)
    print_report(rows, bares, extra_bares, ratios, args)
    path = write_results(rows, bares, extra_bares, ratios, args, started)
    print(f"\nresults: {path.relative_to(ROOT)}")
    if profiles:
        print(f"py-spy stacks (collapsed): {kept.relative_to(ROOT)}/")
    errors = [
        f"{r.scenario} on {r.server}: {r.result.errors} errors"
        for r in rows
        if r.result is not None and r.result.errors
    ]
    failures = [f"{r.scenario} on {r.server}: {r.failure}" for r in rows if r.failure]
    problems = failed + failures + errors
    if problems:
        print("\nNOT A VALID BENCHMARK — failed or erroring runs:", *problems, sep="\n  ")
        return 1
    return 0


@contextmanager
def store_url(args: argparse.Namespace, kind: str) -> Iterator[str | None]:
    """Our server's --database-url: None (SQLite in the data dir) or a throwaway PostgreSQL
    schema."""
    if kind != "ours" or args.store == "sqlite":
        yield None
        return
    with postgres_schema(args.postgres_url, "bench") as url:
        yield url


if __name__ == "__main__":
    sys.exit(main())
