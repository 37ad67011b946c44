"""The console's only way to read or change anything: the API's own operations, called as the
signed-in account.

A call goes through the steps of the request pipeline (``app.py``) after authentication, in the
same order: the parameters are validated against the service's model (the same messages as the
API: :func:`..protocol.shapes.parse`), the call is authorized at the one authorization point
(:func:`..authorization.authorize`), and the operation's function runs with a
:class:`~..context.RequestContext` whose caller is the signed-in account. So the console and the
API never disagree, and a page can reach only what the account's own access key could: another
account's pool is ``ResourceNotFoundException``, as it is over the API.

Errors are the operations' :class:`~..errors.ServiceError`, which pages show as they are.

Where no operation exists, a page says so in a **Choice** of its own and reads the runtime after
an operation has answered for the account: identities found by a login (:mod:`.pages.identities`),
and the server's signing keys, the root account's only (:mod:`.pages.signing_keys`).

**Choice**: the caller's region is the server's ``region`` setting (``COGNITOIDENTITY_REGION``): the
console shows the pools of that region, as an SDK configured with it would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cognitoidentity.server.authorization import authorize
from cognitoidentity.server.context import RequestContext, Runtime
from cognitoidentity.server.errors import UnsupportedOperationException
from cognitoidentity.server.protocol import shapes
from cognitoidentity.server.protocol.base import Operation
from cognitoidentity.server.services import Service
from cognitoidentity.server.sigv4 import Caller

COGNITO: str = "cognito-identity"
IAM: str = "iam"
NATIVE: str = "cognitoidentity"
"""This server's own endpoints (:mod:`..native_api`): ExplainRoleChoice."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who the console acts for: a signed-in account and the access key it signed in with."""

    account_id: str
    access_key_id: str


class ConsoleApi:
    """The operations of ``services`` by service and name (built once per server)."""

    def __init__(self, runtime: Runtime, services: Sequence[Service]) -> None:
        self.runtime = runtime
        self._services: dict[str, tuple[Service, Mapping[str, Operation]]] = {}
        for service in services:
            operations: Mapping[str, Operation] = getattr(service.protocol, "operations", {})
            self._services[service.name] = (service, operations)

    def session(
        self, principal: Principal, request_id: str, source_ip: str | None, secure: bool
    ) -> ApiSession:
        return ApiSession(self, principal, request_id, source_ip, secure)

    async def call(
        self,
        principal: Principal,
        service_name: str,
        operation: str,
        params: Mapping[str, Any],
        *,
        request_id: str,
        source_ip: str | None,
        secure: bool,
    ) -> Any:
        service, operations = self._services[service_name]
        op = operations[operation]
        handler = service.handlers.get(operation)
        if handler is None:
            raise UnsupportedOperationException(
                f"{operation} is not implemented by this server yet."
            )
        parsed = shapes.parse(op.model.input_shape, dict(params))
        caller = Caller(
            access_key_id=principal.access_key_id,
            account_id=principal.account_id,
            principal_arn=f"arn:aws:iam::{principal.account_id}:root",
            region=self.runtime.settings.region,
            service=op.service,
            session=None,
        )
        await authorize(
            caller,
            op.service,
            operation,
            not op.signed,
            parsed,
            runtime=self.runtime,
            source_ip=source_ip,
            secure=secure,
        )
        ctx = RequestContext(self.runtime, request_id, operation, caller)
        return await handler(ctx, parsed)


@dataclass(frozen=True, slots=True)
class ApiSession:
    """:class:`ConsoleApi` for one request of one signed-in account."""

    api: ConsoleApi
    principal: Principal
    request_id: str
    source_ip: str | None
    secure: bool

    async def cognito(self, operation: str, **params: Any) -> Any:
        return await self._call(COGNITO, operation, params)

    async def iam(self, operation: str, **params: Any) -> Any:
        return await self._call(IAM, operation, params)

    async def native(self, operation: str, **params: Any) -> Any:
        return await self._call(NATIVE, operation, params)

    async def _call(self, service: str, operation: str, params: Mapping[str, Any]) -> Any:
        return await self.api.call(
            self.principal,
            service,
            operation,
            params,
            request_id=self.request_id,
            source_ip=self.source_ip,
            secure=self.secure,
        )

    @property
    def account_id(self) -> str:
        return self.principal.account_id

    @property
    def region(self) -> str:
        return self.api.runtime.settings.region
