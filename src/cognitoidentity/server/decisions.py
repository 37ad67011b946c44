"""The decision endpoint: may the signer of a request a self-hosted service received do this?

Modelled on API Gateway's ``AWS_IAM`` authorization (reference section 11): a client signs its
request to the service with our temporary credentials (SigV4, service ``execute-api`` by default);
the service forwards the request's method, path, query, headers and body (or the body's SHA-256)
with the action and resource it stands for, and gets back what API Gateway would have decided:

1. the signature, as API Gateway checks it: method, path, query, signed headers and body hash,
   the credential scope's service, and the time, **±5 minutes** (:data:`MAX_SKEW`; API Gateway's
   "Signature expired: ... (... - 5 min.)", where most AWS services allow 15). **Choice**: a
   request replayed outside that window is refused; one replayed inside it is accepted, as by
   API Gateway, which keeps no record of the requests it saw. Presigned URLs (``X-Amz-Expires``)
   are good for their stated lifetime.
2. the session: its token must open (``UnrecognizedClientException``, "The security token included
   in the request is invalid.") and be unexpired (``ExpiredTokenException``).
3. the account: the credentials must be of the account that asks for the decision (the one that
   signed the call to the endpoint). **Choice**: another account's credentials are denied, whatever
   its policies say, since a self-hosted service has no resource policy to grant them access.
4. the policies: the role's identity policies, intersected with the session policy (``Policy``,
   ``PolicyArns``) and the permissions boundary, evaluated by the policy engine with the session's
   request context (:func:`.session_context.session_context`: ``aws:PrincipalTag/*``,
   ``aws:userid``, ``cognito-identity.amazonaws.com:sub``, ``aws:SourceIp``, ``aws:CurrentTime``,
   ...), the same the authorization point builds for our own operations. **Choice**: a long-term access key of the account is its root user and is allowed, as IAM
   never denies the root user by identity policy; a role that is not in this server's IAM has no
   policies, so its sessions are denied.

The answer: ``Decision`` (``Allow``/``Deny``), the engine's ``Outcome`` and ``Explanation``, the
matched statements and missing context keys, the caller's identity as API Gateway hands it to a
Lambda proxy integration (``Identity``: ``cognitoIdentityId``, ``userArn``, ...; ``Iam``: the HTTP
API v2 form), and for a denial ``Refusal``: the status, ``x-amzn-ErrorType`` and body API Gateway
answers with. The wire format is in the README ("Decisions for your own services").
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from cognitoidentity.server.authorization import denial_message, session_policies
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.credentials import Session
from cognitoidentity.server.errors import (
    AccessDeniedException,
    ServiceError,
    ValidationException,
)
from cognitoidentity.server.policy import Decision, Match, Policy, Request, evaluate
from cognitoidentity.server.session_context import session_context
from cognitoidentity.server.sigv4 import Caller, CredentialResolver, HttpRequest, SigV4Verifier
from cognitoidentity.server.turns import TurnBatches

__all__ = [
    "DEFAULT_ACTION",
    "DEFAULT_API_ID",
    "DEFAULT_SIGNING_NAME",
    "DEFAULT_STAGE",
    "MAX_SKEW",
    "DecisionDesk",
    "default_resource",
]

DEFAULT_ACTION: Final = "execute-api:Invoke"
DEFAULT_SIGNING_NAME: Final = "execute-api"
DEFAULT_API_ID: Final = "local"
"""The API id of the default resource ARN (**Choice**: the request names none)."""
DEFAULT_STAGE: Final = "$default"
"""The stage of the default resource ARN: an HTTP API's default stage."""
MAX_SKEW: Final = timedelta(minutes=5)
"""How far a forwarded request's signing time may be from the server's clock: API Gateway's."""
REFUSAL_STATUS: Final = 403
"""API Gateway answers every ``AWS_IAM`` refusal with 403."""


def default_resource(
    *, region: str, account_id: str, api_id: str, stage: str, method: str, path: str
) -> str:
    """API Gateway's resource for ``execute-api:Invoke``: "arn:aws:execute-api:<region>:<account>:
    <api-id>/<stage>/<HTTP-VERB>/<resource-path>" (the path as received, without its leading
    ``/``)."""
    return (
        f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method.upper()}/"
        f"{path.removeprefix('/')}"
    )


class DecisionDesk:
    """Answers ``Decide`` calls. ``resolver`` finds the forwarded request's credentials (temporary
    and long-term alike); ``clock`` is the runtime's; ``caches`` the setting."""

    def __init__(
        self,
        resolver: CredentialResolver,
        clock: Callable[[], datetime],
        *,
        caches: bool = True,
    ) -> None:
        self._resolver = resolver
        self._clock = clock
        self._caches = caches
        self._default_verifier = self._verifier(DEFAULT_SIGNING_NAME)
        self._turn = EvaluationTurn()

    def _verifier(self, signing_name: str) -> SigV4Verifier:
        return SigV4Verifier(
            self._resolver,
            service=signing_name,
            clock=self._clock,
            max_skew=MAX_SKEW,
            caches=self._caches,
        )

    async def decide(self, ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
        forwarded = forwarded_request(params["Request"])
        signing_name = params.get("SigningName", DEFAULT_SIGNING_NAME)
        verifier = (
            self._default_verifier
            if signing_name == DEFAULT_SIGNING_NAME
            else self._verifier(signing_name)
        )
        action: str = params.get("Action", DEFAULT_ACTION)
        try:
            caller = await verifier.verify(forwarded)
        except ServiceError as refused:
            resource = params.get("Resource") or _default_resource(
                params, forwarded, ctx.region or "us-east-1", ctx.account_id
            )
            return _refused(action, resource, refused, f"The request is refused: {refused}")
        resource = params.get("Resource") or _default_resource(
            params, forwarded, caller.region, ctx.account_id
        )
        if caller.account_id != ctx.account_id:
            return _refused(
                action,
                resource,
                _denial(caller.principal_arn, action, resource),
                f"The request is signed with credentials of account {caller.account_id}; this"
                f" endpoint decides for account {ctx.account_id} only.",
            )
        session = caller.session
        if not isinstance(session, Session):
            return _root(caller, action, resource, params, forwarded)
        identity = _identity(caller, session, params, forwarded)
        roles = ctx.runtime.roles
        # What the role directory keeps is found without a coroutine (as the trust check does).
        kept = roles.kept(session.account_id, session.role_arn)
        authority = (
            kept[1]
            if kept is not None
            else await roles.authority(session.account_id, session.role_arn)
        )
        context = session_context(
            session,
            now=self._clock(),
            source_ip=params.get("SourceIp"),
            secure=params.get("SecureTransport", False),
            region=caller.region,
            role_tags=authority.role.tags if authority is not None else None,
        )
        if authority is None:
            explanation = (
                f"The role {session.role_arn} is not in this server's IAM: its sessions have no"
                " permission policies.",
            )
            return _denied(action, resource, caller, identity, context, explanation)
        decision = await self._turn.evaluate(
            Request(action, resource, context),
            authority.permissions,
            await session_policies(ctx.runtime, session) if session.has_session_policy else None,
            authority.boundary,
        )
        return _decided(action, resource, caller, identity, context, decision)


class EvaluationTurn:
    """The evaluations asked for during one turn of the event loop, run together when it ends.

    Why: run back to back, the policy engine's code and data stay in the processor's caches from
    one evaluation to the next; run between the rest of each request's work (HTTP, signatures,
    answers), each evaluation was measured about a fifth slower (bench/README.md, issue 13). A
    decision waits for nothing but the end of the turn that asked for it."""

    __slots__ = ("_batches",)

    def __init__(self) -> None:
        self._batches: TurnBatches[_Asked] = TurnBatches(_evaluate_all)

    def evaluate(
        self,
        request: Request,
        permissions: Sequence[Policy],
        session: Sequence[Policy] | None,
        boundary: Sequence[Policy] | None,
    ) -> asyncio.Future[Decision]:
        """``evaluate``'s decision, at the end of this turn of the event loop."""
        decided: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._batches.add((decided, request, permissions, session, boundary))
        return decided


_Asked = tuple[
    "asyncio.Future[Decision]",
    Request,
    Sequence[Policy],
    Sequence[Policy] | None,
    Sequence[Policy] | None,
]
"""An evaluation asked for: its future, then ``evaluate``'s arguments."""


def _evaluate_all(asked: list[_Asked]) -> None:
    for decided, request, permissions, session, boundary in asked:
        if decided.cancelled():
            continue
        try:
            decision = evaluate(request, permissions, session_policies=session, boundary=boundary)
        except Exception as exc:  # the request's own failure, raised in its own task
            decided.set_exception(exc)
        else:
            decided.set_result(decision)


def forwarded_request(request: Mapping[str, Any]) -> HttpRequest:
    """The forwarded request as the SigV4 verifier reads it. Header names are folded to lower
    case (a name given twice in different cases: its values joined with ``,``, as a repeated
    header's are); the body is ``Body`` (UTF-8 text), ``BodyBase64``, or only its hash,
    ``BodySha256``; none of them: an empty body."""
    body = b""
    body_sha256: str | None = None
    if len(request) > 4:  # Method, Path and Headers are required: two bodies make five members
        given = [name for name in ("Body", "BodyBase64", "BodySha256") if name in request]
        if len(given) > 1:
            raise ValidationException(
                "Only one of Body, BodyBase64 and BodySha256 may be given, not"
                f" {' and '.join(given)}."
            )
    if "Body" in request:
        body = request["Body"].encode()
    elif "BodyBase64" in request:
        try:
            body = base64.b64decode(request["BodyBase64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationException("BodyBase64 is not valid base64.") from exc
    elif "BodySha256" in request:
        body_sha256 = request["BodySha256"].lower()
    given_headers: Mapping[str, str] = request["Headers"]
    headers = {name.lower(): value for name, value in given_headers.items()}
    if len(headers) != len(given_headers):  # a name given twice, in two cases
        headers = {}
        for name, value in given_headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    return HttpRequest(
        request["Method"].upper(),
        request["Path"],
        request.get("Query", "").removeprefix("?"),
        headers,
        body,
        body_sha256,
    )


def _default_resource(
    params: Mapping[str, Any], forwarded: HttpRequest, region: str, account_id: str
) -> str:
    return default_resource(
        region=region,
        account_id=account_id,
        api_id=params.get("ApiId", DEFAULT_API_ID),
        stage=params.get("Stage", DEFAULT_STAGE),
        method=forwarded.method,
        path=forwarded.path,
    )


def _denial(principal_arn: str, action: str, resource: str) -> AccessDeniedException:
    """API Gateway's policy denial: "User: <arn> is not authorized to perform: execute-api:Invoke
    on resource: <arn>", under a capital ``Message``."""
    return AccessDeniedException(denial_message(principal_arn, action, resource))


API_GATEWAY_MESSAGES: Final = {
    "MissingAuthenticationTokenException": "Missing Authentication Token"
}
"""Where API Gateway words a refusal otherwise than our front end: an unsigned request gets
``{"message": "Missing Authentication Token"}``."""


def _refusal(error: ServiceError) -> dict[str, Any]:
    """What API Gateway answers the client with: 403, ``x-amzn-ErrorType: <code>``, and a JSON
    body with the message (``message``; ``Message`` for a policy denial)."""
    message = API_GATEWAY_MESSAGES.get(error.code, error.message)
    return {
        "Status": REFUSAL_STATUS,
        "Headers": {"x-amzn-ErrorType": error.code},
        "Body": {error.message_key: message},
    }


def _refused(action: str, resource: str, error: ServiceError, reason: str) -> dict[str, Any]:
    """A request refused before any policy was read: its signature, its session or its account."""
    return {
        "Decision": "Deny",
        "Outcome": "implicitDeny",
        "Action": action,
        "Resource": resource,
        "Explanation": [reason],
        "MatchedStatements": [],
        "MissingContextValues": [],
        "Refusal": _refusal(error),
    }


def _root(
    caller: Caller,
    action: str,
    resource: str,
    params: Mapping[str, Any],
    forwarded: HttpRequest,
) -> dict[str, Any]:
    return {
        "Decision": "Allow",
        "Outcome": "allowed",
        "Action": action,
        "Resource": resource,
        "Explanation": [
            f"The request is signed with a long-term access key of account {caller.account_id}:"
            " the account's root user, whom identity policies never deny."
        ],
        "MatchedStatements": [],
        "MissingContextValues": [],
        "Identity": _base_identity(caller, caller.account_id, params, forwarded),
        "Iam": _iam(caller, caller.account_id, None),
    }


def _denied(
    action: str,
    resource: str,
    caller: Caller,
    identity: tuple[dict[str, Any], dict[str, Any]],
    context: Mapping[str, Any],
    explanation: Sequence[str],
) -> dict[str, Any]:
    return {
        "Decision": "Deny",
        "Outcome": "implicitDeny",
        "Action": action,
        "Resource": resource,
        "Explanation": list(explanation),
        "MatchedStatements": [],
        "MissingContextValues": [],
        "Identity": identity[0],
        "Iam": identity[1],
        "Context": dict(context),
        "Refusal": _refusal(_denial(caller.principal_arn, action, resource)),
    }


def _decided(
    action: str,
    resource: str,
    caller: Caller,
    identity: tuple[dict[str, Any], dict[str, Any]],
    context: dict[str, Any],
    decision: Decision,
) -> dict[str, Any]:
    """``context`` goes into the answer as it is: made for this decision alone."""
    out: dict[str, Any] = {
        "Decision": "Allow" if decision.allowed else "Deny",
        "Outcome": decision.outcome,
        "Action": action,
        "Resource": resource,
        "Explanation": list(decision.explanation),
        "MatchedStatements": [_statement(match) for match in decision.matched],
        "MissingContextValues": list(decision.missing_context),
        "Identity": identity[0],
        "Iam": identity[1],
        "Context": context,
    }
    if not decision.allowed:
        out["Refusal"] = _refusal(_denial(caller.principal_arn, action, resource))
    return out


def _statement(match: Match) -> dict[str, Any]:
    """A matched statement as IAM's simulator reports it (``Statement`` shape), plus its Sid and
    effect."""
    statement = match.statement
    return {
        "SourcePolicyId": match.policy.source_id,
        "SourcePolicyType": match.policy.source_type,
        "Sid": statement.sid,
        "Effect": statement.effect,
        "StartPosition": {"Line": statement.start[0], "Column": statement.start[1]},
        "EndPosition": {"Line": statement.end[0], "Column": statement.end[1]},
    }


def _base_identity(
    caller: Caller,
    principal_id: str,
    params: Mapping[str, Any],
    forwarded: HttpRequest,
    cognito: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None),
) -> dict[str, Any]:
    """API Gateway's ``requestContext.identity`` (REST API, Lambda proxy); ``cognito``: its
    Cognito members (pool id, identity id, authentication type and provider), None outside
    Cognito Identity."""
    pool_id, identity_id, authentication_type, provider = cognito
    return {
        "cognitoIdentityPoolId": pool_id,
        "cognitoIdentityId": identity_id,
        "cognitoAuthenticationType": authentication_type,
        "cognitoAuthenticationProvider": provider,
        "accountId": caller.account_id,
        "caller": principal_id,
        "user": principal_id,
        "userArn": caller.principal_arn,
        "accessKey": caller.access_key_id,
        "sourceIp": params.get("SourceIp"),
        "userAgent": forwarded.headers.get("user-agent"),
        "principalOrgId": None,
    }


def _identity(
    caller: Caller, session: Session, params: Mapping[str, Any], forwarded: HttpRequest
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The caller as API Gateway describes a role session made by Cognito Identity: ``caller`` and
    ``user`` are the session's ``aws:userid`` (``AROA…:CognitoIdentityCredentials``),
    ``cognitoAuthenticationProvider`` the token's ``amr`` providers joined with ``,`` (e.g.
    ``cognito-idp.<region>.amazonaws.com/<pool>,cognito-idp.<region>.amazonaws.com/<pool>:
    CognitoSignIn:<sub>``)."""
    principal_id = session.assumed_role_id
    if session.pool_id is None:
        return (
            _base_identity(caller, principal_id, params, forwarded),
            _iam(caller, principal_id, session),
        )
    authenticated = "authenticated" in session.amr or session.provider is not None
    providers = [entry for entry in session.amr if entry not in _AMR_KINDS]
    identity = _base_identity(
        caller,
        principal_id,
        params,
        forwarded,
        (
            session.pool_id,
            session.source_identity_id,
            "authenticated" if authenticated else "unauthenticated",
            ",".join(providers) or None,
        ),
    )
    return identity, _iam(caller, principal_id, session)


_AMR_KINDS: Final = frozenset({"authenticated", "unauthenticated"})


def _iam(caller: Caller, principal_id: str, session: Session | None) -> dict[str, Any]:
    """The HTTP API (payload v2) form: ``requestContext.authorizer.iam``."""
    return {
        "accessKey": caller.access_key_id,
        "accountId": caller.account_id,
        "callerId": principal_id,
        "userId": principal_id,
        "userArn": caller.principal_arn,
        "principalOrgId": None,
        "cognitoIdentity": None
        if session is None or session.pool_id is None
        else {
            "amr": list(session.amr),
            "identityId": session.source_identity_id,
            "identityPoolId": session.pool_id,
        },
    }
