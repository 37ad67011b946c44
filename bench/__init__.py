"""Throughput benchmark: our server against moto_server, and against bare reference rates.

``bench/run`` (``python -m bench`` from the repository root) runs :func:`bench.main.main`. What the
figures mean and the targets: bench/README.md. The modules, one concern each:

- :mod:`bench.options`: the command line.
- :mod:`bench.scenarios`: the scenarios (one list) and ``--scenarios`` selection.
- :mod:`bench.fixture`: the pools, identities and logins set up in each server before the load.
- :mod:`bench.login`: the bench's OpenID provider (tests/support's) and its ID tokens.
- :mod:`bench.servers`: our server and moto_server as processes (tests/support's).
- :mod:`bench.calls`: each scenario's HTTP request, built (and signed) once.
- :mod:`bench.load`: wrk: its Lua scripts, its runs, its JSON line.
- :mod:`bench.cpu`: the cores kept busy during a run, from /proc.
- :mod:`bench.measure`: every selected scenario on one server.
- :mod:`bench.references`: the bare rates: store inserts, RS512 signing, RS256 verification.
- :mod:`bench.profiling`: py-spy runs and their top frames (``--profile``).
- :mod:`bench.report`: the ratios, the printed table and the results file.
- :mod:`bench.http_layer`: our HTTP layer against granian, alternating (``python -m
  bench.http_layer``); :mod:`bench.granian_app`: the application, for granian.
"""
