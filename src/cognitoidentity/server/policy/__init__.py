"""A pure IAM policy engine: parse and validate policy documents, evaluate requests against them.

No I/O, no store, no clock: time-dependent conditions read ``aws:CurrentTime``/``aws:EpochTime``
from the request context the caller builds. Semantics follow the IAM User Guide as digested in
``shared/reference/iam-roles-policies.md`` sections 4 to 8 and 12.

    PolicyError          a document that is not a valid policy of its kind (IAM's
                         MalformedPolicyDocument message in ``.message``)

Modules: :mod:`.document` (parse, validate, positions, sizes), :mod:`.matching` (wildcards,
ARNs, principals), :mod:`.conditions` (condition operators), :mod:`.variables` (policy
variables), :mod:`.evaluate` (decisions and explanations).
"""

from cognitoidentity.server.policy.document import context_keys, parse_policy, policy_size
from cognitoidentity.server.policy.evaluate import evaluate
from cognitoidentity.server.policy.model import (
    ContextValue,
    Decision,
    Match,
    Outcome,
    Policy,
    PolicyError,
    PolicyKind,
    Principal,
    Request,
    Statement,
)

__all__ = [
    "ContextValue",
    "Decision",
    "Match",
    "Outcome",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "Principal",
    "Request",
    "Statement",
    "context_keys",
    "evaluate",
    "parse_policy",
    "policy_size",
]
