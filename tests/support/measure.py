"""Coverage of the server processes: when the test run is measured (``pytest --cov``, as
``scripts/test`` runs it), the servers it starts are measured too, and their data is combined with
the run's at the end. Other subprocesses (the AWS CLI, admin commands, Node) are not: coverage's
start-up in each would cost more than they add."""

from __future__ import annotations

import os


def _measuring() -> dict[str, str]:
    try:
        import coverage
    except ImportError:
        return {}
    current = coverage.Coverage.current()
    if current is None or not current.config.config_file:
        return {}
    return {
        "COVERAGE_PROCESS_START": os.path.abspath(current.config.config_file),
        "COVERAGE_FILE": os.path.abspath(current.config.data_file),
    }


# Asked once, at collection, where coverage runs: a test's own coverage may be paused later
# (``no_cover``), while the servers it starts are still measured.
_ENV = _measuring()


def coverage_env() -> dict[str, str]:
    """The environment that makes a Python subprocess measure itself as this test run does
    (through the ``.pth`` hook coverage installs, which reads ``COVERAGE_PROCESS_START``; the
    configuration must say ``parallel`` and ``sigterm``); empty when the run is not measured."""
    return dict(_ENV)
