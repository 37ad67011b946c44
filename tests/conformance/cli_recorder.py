"""An AWS CLI v1 plugin that records every request the CLI sends, for the conformance coverage
check: one JSON line ``{"service", "operation", "status"}`` per answered request, appended to the
file named by ``CONFORMANCE_CLI_RECORD`` (nothing is recorded when it is unset).

Loaded through the ``[plugins]`` section of the CLI's config file (``recorder =
tests.conformance.cli_recorder``); the CLI calls :func:`awscli_initialize` with its session's event
emitter, and botocore emits ``after-call`` once a response has been received and parsed. It only
observes: nothing the CLI sends or prints changes.
"""

from __future__ import annotations

import json
import os
from typing import Any

RECORD_VARIABLE = "CONFORMANCE_CLI_RECORD"


def _record(model: Any, http_response: Any, **_: Any) -> None:
    path = os.environ.get(RECORD_VARIABLE)
    if not path:
        return
    entry = {
        "service": model.service_model.service_name,
        "operation": model.name,
        "status": http_response.status_code,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def awscli_initialize(cli: Any) -> None:
    cli.register("after-call", _record)
