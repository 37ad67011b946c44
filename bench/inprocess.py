"""The server's cost per request without sockets, load generator or kernel: an in-process driver.

``bench/run`` measures throughput over loopback with wrk, which on a shared 2-core machine mostly
measures the other load. This driver measures what the server itself spends on one request: the
tree's own application and HTTP/1.1 connection class, configured as ``cognitoidentity serve``
configures them (``bootstrap.start``/``mount`` in an ``Application``, ``http1.protocol_class``, a
``uvicorn.Config`` with the same options, on uvloop when it is installed, as ``loop="auto"``
chooses), fed by a fake transport. The set-up (pools, roles, an
identity, an IAM OIDC provider for an OpenID provider served from a thread on loopback, a login)
goes through the same connections as raw signed HTTP requests; then each scenario's one request
is replayed ``--requests`` times and the cost per request printed:

- CPU time (``time.process_time``: every thread of the process, the store's writer included),
  the best of ``--repeat`` runs; or
- with ``--instructions``, instructions counted by ``valgrind --tool=callgrind`` (insensitive to
  whatever else the machine runs): the driver runs itself under callgrind, which zeroes its counts
  when the driver calls ``getppid()`` just before a scenario's replay and dumps them when it
  calls ``getpgrp()`` just after (``--zero-before``/``--dump-before``); one replay per scenario.

It needs only the ``cognitoidentity`` package it imports, so ``PYTHONPATH`` can point it at another
checkout's ``src/`` to compare (``PYTHONPATH=/tmp/base/src .venv/bin/python -m bench.inprocess``,
or ``.venv/bin/python bench/inprocess.py``, from the repository root)::

    .venv/bin/python bench/inprocess.py                        # CPU µs per request, best of 3
    .venv/bin/python bench/inprocess.py --instructions         # instructions per request
    .venv/bin/python bench/inprocess.py --scenarios GetId --requests 5000 --connections 8
    .venv/bin/python bench/inprocess.py --instructions --connections 32 --keep-callgrind /tmp/cg
    .venv/bin/python bench/inprocess.py --connections 32 --count-calls /tmp/calls.json
    .venv/bin/python bench/inprocess.py --scenarios Decide --connections 32

``--keep-callgrind DIR`` keeps callgrind's dumps (``DIR/cg.out.N``: N = 2 is the first scenario's
replay) for ``callgrind_annotate`` (give it every dump of a run: the function names of a dump may
be spelled out in an earlier one). ``--count-calls FILE`` writes each scenario's Python and C
function calls per request (``sys.setprofile``, one replay): deterministic, so two trees' files
can be compared function by function.

``--connections C`` sends C requests (one per connection) in each event-loop turn, as a loaded
server receives them (wrk's 32 connections: ``--connections 32``); 1 (the default) is one client
calling in turn, where everything done once per turn (the store's change check) counts for every
request. The requests are those of ``bench/run``'s scenarios of the same names
(``bench/scenarios.py``); a call that does not answer 200 stops the run. Besides the five run by
default:

- ``GetId+oidc/fresh`` and ``GetCredentialsForIdentity+oidc/fresh``: a token never sent before at
  each call (minted before each replay, outside what is measured), so every call verifies an RS256
  signature;
- ``Decide``: the decision endpoint on ``bench/decisions.py``'s role, policies and session, followed
  by :data:`BARE`, the policy engine alone on what it decided, and their ratio (issue 13's target:
  at least 50 %). It needs this repository's ``bench`` package and a tree with decisions.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from joserfc import jws
from joserfc.jwk import RSAKey

REGION = "us-east-1"
ACCOUNT = "000000000000"
HOST = "127.0.0.1:8000"
"""The Host header of every request (signed by SigV4); no socket is ever opened on it."""
JSON_TYPE = "application/x-amz-json-1.1"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
DEVELOPER_PROVIDER = "login.bench.example"
OIDC_CLIENT_ID = "bench-client"
ROLES = {
    "authenticated": f"arn:aws:iam::{ACCOUNT}:role/BenchAuthenticated",
    "unauthenticated": f"arn:aws:iam::{ACCOUNT}:role/BenchUnauthenticated",
}
SCENARIOS = (
    "GetCredentialsForIdentity",
    "DescribeIdentityPool",
    "GetId+oidc",
    "GetCredentialsForIdentity+oidc",
    "GetId",
    "GetId+oidc/fresh",
    "GetCredentialsForIdentity+oidc/fresh",
    "Decide",
)
BARE = "bare policy evaluation"
"""Measured after Decide whenever it is: the policy engine's ``evaluate`` alone (as bench/run's
reference loop calls it) on Decide's policies and request, one call per "request"."""
DEFAULT_SCENARIOS = SCENARIOS[:5]
"""The scenarios run without ``--scenarios``: those every compared tree serves with one request."""
DECISIONS_PATH = "/_cognitoidentity/v1/decisions"
REPOSITORY = str(Path(__file__).resolve().parents[1])
"""Where ``bench`` (Decide's set-up, ``bench/decisions.py``) is imported from."""
ZERO_MARK = os.getppid
"""Called just before a measured replay: callgrind zeroes its counts there (``getppid``)."""
DUMP_MARK = os.getpgrp
"""Called just after: callgrind dumps the counts since the zero (``getpgrp``)."""


# --- the fake transport ---------------------------------------------------------------------


class FakeTransport(asyncio.Transport):
    """What a connection writes to, collected; :meth:`answer` waits for the next whole answer
    (``content-length`` framed, as every answer of this server is)."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._waiter: asyncio.Future[bytes] | None = None
        self._closed = False
        self._extra = {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", port)}

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._extra.get(name, default)

    def is_closing(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._buffer += data
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            answer = self._take()
            if answer is not None:
                self._waiter = None
                waiter.set_result(answer)

    def answer(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[bytes]:
        waiter: asyncio.Future[bytes] = loop.create_future()
        answer = self._take()
        if answer is not None:
            waiter.set_result(answer)
        else:
            self._waiter = waiter
        return waiter

    def _take(self) -> bytes | None:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        found = re.search(rb"\r\ncontent-length: *(\d+)", bytes(buffer[:end]), re.IGNORECASE)
        size = end + 4 + (int(found.group(1)) if found else 0)
        if len(buffer) < size:
            return None
        answer = bytes(buffer[:size])
        del buffer[:size]
        return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def body_of(answer: bytes) -> bytes:
    return answer.partition(b"\r\n\r\n")[2]


# --- requests -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Keys:
    access_key_id: str
    secret_access_key: str


def raw_request(headers: dict[str, str], body: bytes, path: str = "/") -> bytes:
    """The bytes of a POST, as wrk sends a replayed request: Host, the headers, Content-Length."""
    lines = [b"POST " + path.encode() + b" HTTP/1.1", b"Host: " + HOST.encode()]
    lines += [f"{k}: {v}".encode() for k, v in headers.items() if k.lower() != "host"]
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def signed(
    headers: dict[str, str], body: bytes, keys: Keys, service: str, path: str = "/"
) -> dict[str, str]:
    request = AWSRequest(
        method="POST", url=f"http://{HOST}{path}", data=body, headers={"Host": HOST, **headers}
    )
    credentials = Credentials(keys.access_key_id, keys.secret_access_key)
    SigV4Auth(credentials, service, REGION).add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "content-length"}


def json_call(operation: str, params: dict[str, Any], keys: Keys | None = None) -> bytes:
    """A Cognito Identity JSON 1.1 call, signed with ``keys`` when given."""
    body = json.dumps(params, separators=(",", ":")).encode()
    headers = {"Content-Type": JSON_TYPE, "X-Amz-Target": f"AWSCognitoIdentityService.{operation}"}
    if keys is not None:
        headers = signed(headers, body, keys, "cognito-identity")
    return raw_request(headers, body)


def iam_call(action: str, params: dict[str, str], keys: Keys) -> bytes:
    body = urlencode({"Action": action, "Version": "2010-05-08", **params}).encode()
    return raw_request(signed({"Content-Type": FORM_TYPE}, body, keys, "iam"), body)


# --- the OpenID provider --------------------------------------------------------------------


class OidcProvider:
    """Discovery and a JWKS (one RSA-2048 key) on a free loopback port, served from a thread."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, private=True)
        self.kid = secrets.token_hex(8)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith("/openid-configuration"):
                    document: dict[str, Any] = {
                        "issuer": provider.url,
                        "jwks_uri": provider.url + "/jwks",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                else:
                    jwk = provider.key.as_dict(private=False)
                    jwk.update(kid=provider.kid, use="sig", alg="RS256")
                    document = {"keys": [jwk]}
                data = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def mint(self, **extra: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": "bench-oidc-user",
            "aud": OIDC_CLIENT_ID,
            "iat": now,
            "exp": now + 24 * 3600,
            "email": "bench@example.com",
            "email_verified": True,
            **extra,
        }
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        return jws.serialize_compact(
            header, json.dumps(claims).encode(), self.key, algorithms=["RS256"]
        )

    def __enter__(self) -> OidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- the server -----------------------------------------------------------------------------


class InProcessServer:
    """The application and connection class as ``cognitoidentity serve`` builds them, on this
    event loop; :meth:`connect` opens a connection on a :class:`FakeTransport`."""

    def __init__(self, data_dir: Path, keys: Keys) -> None:
        os.environ.update(
            COGNITOIDENTITY_DATA_DIR=str(data_dir),
            COGNITOIDENTITY_DATABASE_URL=str(data_dir / "cognitoidentity.db"),
            COGNITOIDENTITY_MASTER_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            COGNITOIDENTITY_ROOT_ACCESS_KEY_ID=keys.access_key_id,
            COGNITOIDENTITY_ROOT_SECRET_ACCESS_KEY=keys.secret_access_key,
            COGNITOIDENTITY_ROOT_ACCOUNT_ID=ACCOUNT,
            COGNITOIDENTITY_LOG_LEVEL="warning",
        )
        self._lifespan: asyncio.Task[None] | None = None
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ports = iter(range(40000, 60000))
        self.config: Any = None
        self.state: Any = None

    async def start(self) -> None:
        # Imported here: PYTHONPATH chooses the checkout measured.
        import uvicorn
        from uvicorn.server import ServerState

        from cognitoidentity.server import bootstrap
        from cognitoidentity.server.app import Application
        from cognitoidentity.server.http1 import protocol_class
        from cognitoidentity.server.settings import settings_from_env

        settings = settings_from_env()
        try:
            from cognitoidentity.server.logs import configure  # type: ignore[attr-defined,unused-ignore]

            configure(settings.log_level, getattr(settings, "log_format", "text"))
        except ImportError:  # older trees: cli.serve's basicConfig
            logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr)

        async def mount() -> Any:
            return bootstrap.mount(await bootstrap.start(settings))

        async def unmount(mounted: Any) -> None:
            await bootstrap.stop(mounted.runtime)

        app = Application(mount, unmount)
        self.config = uvicorn.Config(
            app,
            http=protocol_class(settings.max_body_bytes),
            lifespan="on",
            access_log=False,
            log_level=settings.log_level,
            log_config=None,
            server_header=False,
            proxy_headers=False,
            # Set-up (RSA keys under valgrind) may outlast uvicorn's 5 s between two requests.
            timeout_keep_alive=3600,
        )
        self.config.load()
        self.state = ServerState()
        self.state.default_headers = [
            (b"date", formatdate(usegmt=True).encode()),
            *self.config.encoded_headers,
        ]
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        self._lifespan = asyncio.get_running_loop().create_task(
            app(scope, self._to_app.get, self._from_app.put)
        )
        await self._to_app.put({"type": "lifespan.startup"})
        message = await self._from_app.get()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"start-up failed: {message}")

    async def stop(self) -> None:
        await self._to_app.put({"type": "lifespan.shutdown"})
        await self._from_app.get()
        if self._lifespan is not None:
            await self._lifespan

    def connect(self) -> tuple[Any, FakeTransport]:
        loop = asyncio.get_running_loop()
        connection = self.config.http_protocol_class(
            config=self.config, server_state=self.state, app_state={}, _loop=loop
        )
        transport = FakeTransport(next(self._ports))
        connection.connection_made(transport)
        return connection, transport

    async def call(self, request: bytes) -> bytes:
        """One request on a connection of its own; its answer, which must be 200."""
        loop = asyncio.get_running_loop()
        connection, transport = self.connect()
        waiter = transport.answer(loop)
        connection.data_received(request)
        answer = await waiter
        connection.connection_lost(None)
        if status_of(answer) != 200:
            raise RuntimeError(f"set-up call failed: {answer[:2000]!r}")
        return answer


# --- set-up and scenarios -------------------------------------------------------------------


Requests = Callable[[int], Iterator[bytes]]
"""A scenario's requests: given how many a replay sends, the iterator it sends them from (made
just before the replay, outside what is measured)."""


def same(request: bytes) -> Requests:
    return lambda count: itertools.repeat(request, count)


async def set_up(
    server: InProcessServer,
    keys: Keys,
    provider: OidcProvider,
    scenarios: list[str],
    bare: list[Callable[[], object]],
) -> dict[str, Requests]:
    """The pools, identities and login of ``bench/run``'s fixture; each scenario's requests.
    With Decide, its bare evaluation is added to ``bare``."""

    async def json_answer(request: bytes) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(body_of(await server.call(request)))
        return answer

    pool = await json_answer(
        json_call(
            "CreateIdentityPool",
            {
                "IdentityPoolName": "bench",
                "AllowUnauthenticatedIdentities": True,
                "DeveloperProviderName": DEVELOPER_PROVIDER,
            },
            keys,
        )
    )
    pool_id = pool["IdentityPoolId"]
    await server.call(
        json_call("SetIdentityPoolRoles", {"IdentityPoolId": pool_id, "Roles": ROLES}, keys)
    )
    identity_id = (await json_answer(json_call("GetId", {"IdentityPoolId": pool_id})))["IdentityId"]
    created = body_of(
        await server.call(
            iam_call(
                "CreateOpenIDConnectProvider",
                {"Url": provider.url, "ClientIDList.member.1": OIDC_CLIENT_ID},
                keys,
            )
        )
    )
    found = re.search(rb"<OpenIDConnectProviderArn>([^<]+)<", created)
    if found is None:
        raise RuntimeError(f"no provider ARN in {created!r}")
    oidc_arn = found.group(1).decode()
    oidc_pool = await json_answer(
        json_call(
            "CreateIdentityPool",
            {
                "IdentityPoolName": "bench_oidc",
                "AllowUnauthenticatedIdentities": False,
                "OpenIdConnectProviderARNs": [oidc_arn],
            },
            keys,
        )
    )
    oidc_pool_id = oidc_pool["IdentityPoolId"]
    await server.call(
        json_call("SetIdentityPoolRoles", {"IdentityPoolId": oidc_pool_id, "Roles": ROLES}, keys)
    )
    login_key = provider.url.removeprefix("http://")
    logins = {login_key: provider.mint()}
    login_identity_id = (
        await json_answer(json_call("GetId", {"IdentityPoolId": oidc_pool_id, "Logins": logins}))
    )["IdentityId"]
    # The first signing key is made in the background at start: wait for it here (a token needs
    # it), so that its RSA generation is not measured with a scenario.
    await server.call(json_call("GetOpenIdToken", {"IdentityId": identity_id}))

    def fresh(operation: str, params: dict[str, Any]) -> Requests:
        # A token never sent before at each call, so that every call verifies a signature, as
        # bench/run's /fresh scenarios do with more tokens than the server remembers.
        def requests(count: int) -> Iterator[bytes]:
            tokens = [provider.mint(jti=secrets.token_hex(8)) for _ in range(count)]
            return iter(
                [json_call(operation, {**params, "Logins": {login_key: t}}) for t in tokens]
            )

        return requests

    requests = {
        "GetCredentialsForIdentity": same(
            json_call("GetCredentialsForIdentity", {"IdentityId": identity_id})
        ),
        "DescribeIdentityPool": same(
            json_call("DescribeIdentityPool", {"IdentityPoolId": pool_id}, keys)
        ),
        "GetId+oidc": same(json_call("GetId", {"IdentityPoolId": oidc_pool_id, "Logins": logins})),
        "GetCredentialsForIdentity+oidc": same(
            json_call(
                "GetCredentialsForIdentity", {"IdentityId": login_identity_id, "Logins": logins}
            )
        ),
        "GetId": same(json_call("GetId", {"IdentityPoolId": pool_id})),
        "GetId+oidc/fresh": fresh("GetId", {"IdentityPoolId": oidc_pool_id}),
        "GetCredentialsForIdentity+oidc/fresh": fresh(
            "GetCredentialsForIdentity", {"IdentityId": login_identity_id}
        ),
    }
    if "Decide" in scenarios:
        requests["Decide"], evaluation = await set_up_decide(
            server, keys, provider, oidc_arn, json_answer
        )
        bare.append(evaluation)
    return requests


async def set_up_decide(
    server: InProcessServer,
    keys: Keys,
    provider: OidcProvider,
    oidc_arn: str,
    json_answer: Callable[[bytes], Awaitable[dict[str, Any]]],
) -> tuple[Requests, Callable[[], object]]:
    """bench/run's Decide scenario (``bench/decisions.py``): a role with its trust policy and 3
    policies of 10 statements, a pool mapping the login's claims to principal tags, a session of
    it; the decision request, its forwarded request signed when a replay's requests are made (it
    is accepted for 5 minutes), and checked to be an Allow; and the bare evaluation of what it
    decided (``bench/references.py``'s loop)."""
    # Imported here: the older trees compared by the other scenarios have no decisions.
    sys.path.insert(0, REPOSITORY)
    from botocore.credentials import Credentials as BotoCredentials

    from bench.decisions import (
        ALLOWED,
        DECISION_METHOD,
        DECISION_PATH,
        DECISION_ROLE,
        POLICIES,
        SOURCE_IP,
        TAG_CLAIMS,
        TAGS,
        bare_policies,
        forwarded_headers,
        trust_policy,
    )

    login_key = provider.url.removeprefix("http://")
    pool_id = (
        await json_answer(
            json_call(
                "CreateIdentityPool",
                {
                    "IdentityPoolName": "bench_decisions",
                    "AllowUnauthenticatedIdentities": False,
                    "OpenIdConnectProviderARNs": [oidc_arn],
                },
                keys,
            )
        )
    )["IdentityPoolId"]
    await server.call(
        json_call(
            "SetPrincipalTagAttributeMap",
            {
                "IdentityPoolId": pool_id,
                "IdentityProviderName": login_key,
                "UseDefaults": False,
                "PrincipalTags": TAG_CLAIMS,
            },
            keys,
        )
    )
    trust = trust_policy(
        pool_id, "authenticated", ("sts:AssumeRoleWithWebIdentity", "sts:TagSession")
    )
    created = body_of(
        await server.call(
            iam_call(
                "CreateRole", {"RoleName": DECISION_ROLE, "AssumeRolePolicyDocument": trust}, keys
            )
        )
    )
    role = re.search(rb"<Arn>([^<]+)<", created)
    if role is None:
        raise RuntimeError(f"no role ARN in {created!r}")
    for policy in POLICIES:
        if policy.kind == "inline":
            await server.call(
                iam_call(
                    "PutRolePolicy",
                    {
                        "RoleName": DECISION_ROLE,
                        "PolicyName": policy.name,
                        "PolicyDocument": policy.document,
                    },
                    keys,
                )
            )
            continue
        made = body_of(
            await server.call(
                iam_call(
                    "CreatePolicy",
                    {"PolicyName": policy.name, "PolicyDocument": policy.document},
                    keys,
                )
            )
        )
        arn = re.search(rb"<Arn>([^<]+)<", made)
        if arn is None:
            raise RuntimeError(f"no policy ARN in {made!r}")
        await server.call(
            iam_call(
                "AttachRolePolicy",
                {"RoleName": DECISION_ROLE, "PolicyArn": arn.group(1).decode()},
                keys,
            )
        )
    await server.call(
        json_call(
            "SetIdentityPoolRoles",
            {"IdentityPoolId": pool_id, "Roles": {"authenticated": role.group(1).decode()}},
            keys,
        )
    )
    logins = {login_key: provider.mint(**{TAG_CLAIMS[t]: v for t, v in TAGS.items()})}
    identity_id = (
        await json_answer(json_call("GetId", {"IdentityPoolId": pool_id, "Logins": logins}))
    )["IdentityId"]
    issued = (
        await json_answer(
            json_call("GetCredentialsForIdentity", {"IdentityId": identity_id, "Logins": logins})
        )
    )["Credentials"]
    session = BotoCredentials(issued["AccessKeyId"], issued["SecretKey"], issued["SessionToken"])

    def decision() -> bytes:
        body = json.dumps(
            {
                "Request": {
                    "Method": DECISION_METHOD,
                    "Path": DECISION_PATH,
                    "Headers": forwarded_headers(session),
                },
                "SourceIp": SOURCE_IP,
            },
            separators=(",", ":"),
        ).encode()
        headers = signed(
            {"Content-Type": "application/json"}, body, keys, "cognito-identity", DECISIONS_PATH
        )
        return raw_request(headers, body, DECISIONS_PATH)

    answer = body_of(await server.call(decision()))
    if ALLOWED.encode() not in answer:
        raise RuntimeError(f"the decision set up is not an Allow: {answer[:2000]!r}")
    from cognitoidentity.server.policy import Request, evaluate

    decided = json.loads(answer)
    policies = bare_policies()
    action, resource, context = decided["Action"], decided["Resource"], decided["Context"]
    if evaluate(Request(action, resource, context), policies).outcome != decided["Outcome"]:
        raise RuntimeError("the bare engine does not decide as the endpoint did")
    return (
        lambda count: itertools.repeat(decision(), count),
        lambda: evaluate(Request(action, resource, context), policies),
    )


async def replay(
    server: InProcessServer, requests: Iterator[bytes], rounds: int, connections: int
) -> None:
    """``rounds`` turns of ``connections`` requests, one per connection, each turn's answers
    awaited before the next."""
    loop = asyncio.get_running_loop()
    opened = [server.connect() for _ in range(connections)]
    try:
        for _ in range(rounds):
            waiters = []
            for connection, transport in opened:
                waiters.append(transport.answer(loop))
                connection.data_received(next(requests))
            for waiter in waiters:
                answer = await waiter
                if answer[9:12] != b"200":
                    raise RuntimeError(f"the scenario's call failed: {answer[:2000]!r}")
    finally:
        for connection, _ in opened:
            connection.connection_lost(None)


@contextmanager
def gc_collected() -> Iterator[None]:
    import gc

    gc.collect()
    yield


@contextmanager
def calls_counted(counts: dict[str, int]) -> Iterator[None]:
    """Python and C function calls (``sys.setprofile``'s ``call`` and ``c_call`` events) while
    inside, every thread's, added to ``counts`` by ``file:line name``; deterministic, so two
    trees' counts per request can be compared function by function."""

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            key = f"{code.co_filename}:{code.co_firstlineno} {code.co_qualname}"
        elif event == "c_call":
            key = (
                f"<c> {getattr(arg, '__module__', None) or ''}.{getattr(arg, '__qualname__', arg)}"
            )
        else:
            return
        counts[key] = counts.get(key, 0) + 1

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(None)
        threading.setprofile(None)


async def measure(
    args: argparse.Namespace, scenarios: list[str], called: dict[str, dict[str, float]]
) -> dict[str, float]:
    """CPU µs per request by scenario (best of ``--repeat``), or, with ``--markers``, nothing:
    callgrind counts between the marks. With ``--count-calls``, each scenario's calls per request
    are added to ``called``."""
    keys = Keys("AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="inprocess-") as work, OidcProvider() as provider:
        server = InProcessServer(Path(work), keys)
        await server.start()
        try:
            bare: list[Callable[[], object]] = []
            requests = await set_up(server, keys, provider, scenarios, bare)

            async def send(name: str, rounds: int) -> Callable[[], Awaitable[None]]:
                # What a measured window runs, made before it.
                if name == BARE:

                    async def evaluations() -> None:
                        for _ in range(rounds * args.connections):
                            bare[0]()

                    return evaluations
                sending = requests[name](rounds * args.connections)
                return lambda: replay(server, sending, rounds, args.connections)

            rounds = max(1, args.requests // args.connections)
            # One replay, not counted, before the measured ones: under callgrind the first window
            # between the marks counted ~18 million instructions more than the next ones of the
            # same scenario (whichever scenario came first, with or without a replay before it
            # outside the marks), while the Python calls, reads and collections were the same.
            # So the first window is a scenario's replay between the marks, and is dropped.
            first = await send(scenarios[0], rounds)
            if args.markers:
                ZERO_MARK()
            await first()
            if args.markers:
                DUMP_MARK()
            for name in scenarios:
                await (await send(name, max(1, args.warmup // args.connections)))()
                best = float("inf")
                counts: dict[str, int] = {}
                for _ in range(1 if args.markers or args.count_calls else args.repeat):
                    window = await send(name, rounds)
                    with (
                        gc_collected(),
                        calls_counted(counts) if args.count_calls else nullcontext(),
                    ):
                        if args.markers:
                            ZERO_MARK()
                        started = time.process_time()
                        await window()
                        elapsed = time.process_time() - started
                        if args.markers:
                            DUMP_MARK()
                    best = min(best, elapsed)
                results[name] = best * 1e6 / (rounds * args.connections)
                if args.count_calls:
                    per_request = rounds * args.connections
                    called[name] = {k: v / per_request for k, v in counts.items()}
        finally:
            await server.stop()
    return results


def with_serve_loop(work: Coroutine[Any, Any, dict[str, float]]) -> dict[str, float]:
    """``work`` run on the event loop ``cognitoidentity serve`` runs on: uvicorn's
    ``loop="auto"``, uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


# --- callgrind ------------------------------------------------------------------------------


def under_callgrind(
    argv: list[str], scenarios: list[str], requests: int, keep: str | None
) -> dict[str, float]:
    """Run this driver under callgrind with ``--markers``: instructions per request by scenario.
    With ``keep``, callgrind's output files are kept in that directory (``cg.out.N``, one per
    dump: N = 2 is the first scenario's, in ``--scenarios`` order) for ``callgrind_annotate``."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("--instructions needs valgrind (`sudo apt-get install valgrind`)")
    if keep is not None:
        Path(keep).mkdir(parents=True, exist_ok=True)
    with (
        nullcontext(keep) if keep is not None else tempfile.TemporaryDirectory(prefix="callgrind-")
    ) as out:
        command = [
            valgrind,
            "--tool=callgrind",
            f"--zero-before={ZERO_MARK.__name__}",
            f"--dump-before={DUMP_MARK.__name__}",
            f"--callgrind-out-file={out}/cg.out",
            sys.executable,
            str(Path(__file__).resolve()),
            *without_options(argv, {"--instructions": 0, "--keep-callgrind": 1}),
            "--markers",
        ]
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        parts: dict[int, int] = {}
        for path in Path(out).glob("cg.out*"):
            text = path.read_text(errors="replace")
            part = re.search(r"^part: (\d+)", text, re.MULTILINE)
            totals = re.search(r"^totals: (\d+)", text, re.MULTILINE)
            if part and totals:
                parts[int(part.group(1))] = int(totals.group(1))
    # The dumps in order: the dropped first window, one per scenario's replay, then the rest of
    # the run (last).
    counted = [parts[k] for k in sorted(parts)][1 : len(scenarios) + 1]
    if len(parts) != len(scenarios) + 2:
        print(
            f"warning: {len(parts)} callgrind dumps for {len(scenarios)} scenarios", file=sys.stderr
        )
    return {name: total / requests for name, total in zip(scenarios, counted, strict=True)}


def without_options(argv: list[str], options: dict[str, int]) -> list[str]:
    """``argv`` without ``options`` (name: how many values follow it; ``--name=value`` too)."""
    kept: list[str] = []
    skip = 0
    for arg in argv:
        if skip:
            skip -= 1
        elif arg in options:
            skip = options[arg]
        elif arg.split("=", 1)[0] not in options:
            kept.append(arg)
    return kept


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scenarios",
        default=",".join(DEFAULT_SCENARIOS),
        help=f"comma-separated, of {', '.join(SCENARIOS)} (default: the first five)",
    )
    parser.add_argument("--requests", type=int, default=3000, help="per measured replay")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="replays; the fastest counts")
    parser.add_argument("--connections", type=int, default=1, help="requests per loop turn")
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument(
        "--keep-callgrind", metavar="DIR", help="with --instructions: keep callgrind's files in DIR"
    )
    parser.add_argument(
        "--count-calls",
        metavar="FILE",
        help="write each scenario's Python and C calls per request to FILE (JSON; one replay)",
    )
    parser.add_argument("--markers", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]} (one of {', '.join(SCENARIOS)})")
    if "Decide" in scenarios:
        scenarios.insert(scenarios.index("Decide") + 1, BARE)
    requests = max(1, args.requests // args.connections) * args.connections
    if args.instructions:
        figures = under_callgrind(argv, scenarios, requests, args.keep_callgrind)
        unit = "instructions/request"
        shown: Callable[[float], str] = lambda v: f"{v:,.0f}"  # noqa: E731
    else:
        called: dict[str, dict[str, float]] = {}
        figures = with_serve_loop(measure(args, scenarios, called))
        if args.count_calls:
            Path(args.count_calls).write_text(json.dumps(called, indent=1, sort_keys=True))
        if args.markers:
            return 0
        repeat = 1 if args.count_calls else args.repeat
        unit = f"CPU µs/request (best of {repeat}{', calls profiled' if args.count_calls else ''})"
        shown = lambda v: f"{v:.1f}"  # noqa: E731
    import cognitoidentity

    print(
        f"{Path(cognitoidentity.__file__).parent.parent}: {requests} requests, "
        f"{args.connections} connection(s), {unit}"
    )
    for name, value in figures.items():
        print(f"  {name:36} {shown(value):>12}")
    if "Decide" in figures:
        # Issue 13's target, as bench/run prints it: Decide's rate over the bare engine's.
        print(f"  {'Decide / ' + BARE + ', rate':36} {figures[BARE] / figures['Decide']:>12.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
