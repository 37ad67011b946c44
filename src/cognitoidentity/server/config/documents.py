"""IAM policy documents in a configuration file: written as TOML tables, or as JSON text.

**Choice**: a document is a TOML table, the document itself (``[accounts.roles.
AssumeRolePolicyDocument]``, then ``[[...Statement]]`` for each statement): TOML's own syntax,
checked by ``tomllib`` with the line of any slip, keys found at their lines when IAM's checks
refuse a value, comments beside statements, and no JSON to escape inside a TOML string. A string is
read as the document's JSON text, as the API takes it (for a policy pasted from the AWS
documentation or ``aws iam get-role``): the two cannot be confused, since a table is never a string.
``dump`` writes tables. TOML has every JSON value but ``null``, which no valid policy holds; what
TOML has and JSON has not (dates, times, ``inf`` and ``nan``) is refused at its key, so that an
unquoted ``Version = 2012-10-17`` (a TOML date) is told rather than sent on.

Documents are compared by what they mean, not by their text: parsed JSON, with every object's
keys in order, so that a document the file writes as a table and the store keeps as the text it
was given (IAM answers it URL-encoded and re-serialised) are the same when their JSON values are.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from cognitoidentity.server.config.locate import Path
from cognitoidentity.server.config.model_check import kind_of
from cognitoidentity.server.config.source import Problem

_INT64 = range(-(2**63), 2**63)
"""TOML's integers."""


def document_text(value: object, path: Path) -> str | Problem:
    """The JSON text of a document the file gives at ``path``: a table serialised, a string as it
    is (checked later, as IAM checks it); anything else, or a value JSON has not, is a problem."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return Problem(
            path, f"must be a table (the policy document) or a JSON string, not {kind_of(value)}"
        )
    found = _not_json(value, path)
    if found is not None:
        return found
    return json.dumps(value)


def _not_json(value: object, path: Path) -> Problem | None:
    if isinstance(value, dict):
        for key, item in value.items():
            found = _not_json(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _not_json(item, (*path, index))
            if found is not None:
                return found
    elif isinstance(value, datetime.date | datetime.time):
        return Problem(
            path,
            f'a TOML {type(value).__name__} is no JSON value: quote it ("{value.isoformat()}")',
        )
    elif isinstance(value, float) and not math.isfinite(value):
        return Problem(path, f"{value} is no JSON number")
    return None


def canonical(text: str) -> str | None:
    """``text``'s JSON value, written one way (keys sorted, no spaces), for comparing documents;
    None for text that is not JSON (a document stored before its checks, never one of ours)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def same_document(mine: str, theirs: str) -> bool:
    """Whether two documents mean the same: equal JSON values (text when either is not JSON)."""
    mine_value, their_value = canonical(mine), canonical(theirs)
    if mine_value is None or their_value is None:
        return mine == theirs
    return mine_value == their_value


def document_value(text: str) -> Any:
    """A stored document as a file declares it: its JSON value as a table when TOML can hold it,
    else its text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict) and _tomlable(value) else text


def _tomlable(value: object) -> bool:
    if isinstance(value, dict):
        return all(_tomlable(item) for item in value.values())
    if isinstance(value, list):
        return all(_tomlable(item) for item in value)
    if isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return value in _INT64
    if isinstance(value, float):
        return math.isfinite(value)
    return False
