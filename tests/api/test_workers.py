"""``serve --workers 2``: two server processes on one port, on each store.

Each process keeps its own caches, so what one writes must be what the other reads: every check
writes through whichever worker answers, then reads until both workers have answered since the
write, and every one of those reads must see it. The answering worker is told by the
``x-cognitoidentity-worker`` header that :data:`WORKER_HEADER_ENV` turns on, and each request goes
on a connection of its own (``Connection: close``), so the kernel hands it to either worker.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from cognitoidentity.server.workers import WORKER_HEADER, WORKER_HEADER_ENV
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import ServerProcess

KEY_CACHE_SECONDS = 1.0
DEV = "login.workers.example"
MAX_TRIES = 400
"""Requests after which a worker that never answered fails the test (each goes to either one)."""
HEADER = WORKER_HEADER.decode()


@pytest.fixture(params=["sqlite", "postgresql"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    env = {
        "COGNITOIDENTITY_WORKERS": "2",
        "COGNITOIDENTITY_KEY_CACHE_SECONDS": str(KEY_CACHE_SECONDS),
        WORKER_HEADER_ENV: "1",
    }
    with ExitStack() as stack:
        if request.param == "postgresql":
            require_postgres()
            url = stack.enter_context(temporary_schema())
        else:
            url = str(tmp_path / "store.db")
        proc = ServerProcess(tmp_path, url, extra_env=env).start()
        stack.callback(proc.stop)
        yield proc


def fresh_connections(client: Any) -> Any:
    """``client``, sending each request on a new connection, so that either worker may take it."""

    def close(request: Any, **_: Any) -> None:
        request.headers["Connection"] = "close"  # after signing: not a signed header

    client.meta.events.register("before-send", close)
    return client


def worker_of(response: Any) -> str:
    return str(response["ResponseMetadata"]["HTTPHeaders"][HEADER])


def answer(call: Callable[[], dict[str, Any]]) -> tuple[str, Any]:
    """Which worker answered, and its answer (an error as its code)."""
    try:
        response = call()
    except ClientError as exc:
        return worker_of(exc.response), exc.response["Error"]["Code"]
    return worker_of(response), {k: v for k, v in response.items() if k != "ResponseMetadata"}


def from_both(call: Callable[[], dict[str, Any]]) -> list[tuple[str, Any]]:
    """``call``'s answers until each of the two workers has given at least two."""
    answers: list[tuple[str, Any]] = []
    for _ in range(MAX_TRIES):
        answers.append(answer(call))
        counts: dict[str, int] = {}
        for worker, _answer in answers:
            counts[worker] = counts.get(worker, 0) + 1
        if len(counts) == 2 and min(counts.values()) >= 2:
            return answers
    workers = {worker for worker, _ in answers}
    raise AssertionError(f"worker {workers} answered all {MAX_TRIES} requests")


def test_one_worker_sees_what_the_other_wrote(workers: ServerProcess) -> None:
    account = workers.new_account()
    client = fresh_connections(workers.client_with(account, None))
    pool = client.create_identity_pool(
        IdentityPoolName="before", AllowUnauthenticatedIdentities=True, DeveloperProviderName=DEV
    )
    pool_id = pool["IdentityPoolId"]

    def describe() -> dict[str, Any]:
        return client.describe_identity_pool(IdentityPoolId=pool_id)  # type: ignore[no-any-return]

    # Both workers read the pool (and keep it) before either writes.
    before = from_both(describe)
    assert {a["IdentityPoolName"] for _, a in before} == {"before"}
    renamed_by, _ = answer(
        lambda: client.update_identity_pool(
            IdentityPoolId=pool_id,
            IdentityPoolName="after",
            AllowUnauthenticatedIdentities=True,
            DeveloperProviderName=DEV,
        )
    )
    after = from_both(describe)
    assert {a["IdentityPoolName"] for _, a in after} == {"after"}
    assert {w for w, _ in after} - {renamed_by}, "the other worker read it too"

    # A login's owner: linked through one worker, unlinked through one, re-made through one.
    def token_for(user: str) -> Callable[[], dict[str, Any]]:
        return lambda: client.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEV: user}
        )

    first = client.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "alice"}
    )["IdentityId"]
    assert {a["IdentityId"] for _, a in from_both(token_for("alice"))} == {first}
    client.unlink_developer_identity(
        IdentityId=first,
        IdentityPoolId=pool_id,
        DeveloperProviderName=DEV,
        DeveloperUserIdentifier="alice",
    )
    owners = {a["IdentityId"] for _, a in from_both(token_for("alice"))}
    assert len(owners) == 1, f"the workers disagree on who owns the login: {owners}"
    assert owners != {first}

    # /metrics, from either worker, counts the requests both answered.
    for _ in range(4):
        text = httpx.get(workers.url + "/metrics", headers={"Connection": "close"}).text
        counted = sum(
            float(n)
            for n in re.findall(
                r'^cognitoidentity_request_duration_seconds_count\{operation="DescribeIdentityPool"'
                r',status="200"\} (\S+)$',
                text,
                re.M,
            )
        )
        assert counted == len(before) + len(after)


def test_an_identity_deleted_through_one_worker_is_gone_in_both_at_once(
    workers: ServerProcess,
) -> None:
    """Identities are exact, with no bound: each worker keeps the identity it read (PostgreSQL
    until the store's change count moves), and the first request after the delete was answered
    already finds it gone, whichever worker takes it."""
    account = workers.new_account()
    client = fresh_connections(workers.client_with(account, None))
    pool_id = client.create_identity_pool(
        IdentityPoolName="exact", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    for _ in range(3):
        identity_id = client.get_id(IdentityPoolId=pool_id)["IdentityId"]

        def describe(identity_id: str = identity_id) -> dict[str, Any]:
            return client.describe_identity(IdentityId=identity_id)  # type: ignore[no-any-return]

        assert {a["IdentityId"] for _, a in from_both(describe)} == {identity_id}
        client.delete_identities(IdentityIdsToDelete=[identity_id])
        assert {a for _, a in from_both(describe)} == {"ResourceNotFoundException"}


def test_a_deleted_key_stops_working_in_every_worker(workers: ServerProcess) -> None:
    account = workers.new_account()
    client = fresh_connections(workers.client_with(account, None))

    def listing() -> dict[str, Any]:
        return client.list_identity_pools(MaxResults=5)  # type: ignore[no-any-return]

    assert {str(a) for _, a in from_both(listing)} == {"{'IdentityPools': []}"}
    workers.admin("keys", "delete", account.access_key_id)
    time.sleep(KEY_CACHE_SECONDS + 0.2)  # the documented bound of a worker's trust in a key
    assert {a for _, a in from_both(listing)} == {"UnrecognizedClientException"}


def test_banner_once_and_sigterm_lands_acknowledged_writes(workers: ServerProcess) -> None:
    assert workers.log_text().count("cognitoidentity listening on") == 1
    assert workers.log_text().count("Root credentials") == 0  # the environment's key: never shown
    account = workers.new_account()
    pool_id = workers.client(account).create_identity_pool(
        IdentityPoolName="busy", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    made: list[str] = []
    stop = threading.Event()

    def guests() -> None:
        client = fresh_connections(workers.client_with(account, None))
        while not stop.is_set():
            try:
                made.append(client.get_id(IdentityPoolId=pool_id)["IdentityId"])
            except Exception:
                return  # the server stopped listening: no answer, so nothing was promised

    threads = [threading.Thread(target=guests) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    assert workers.process is not None
    workers.process.send_signal(signal.SIGTERM)
    assert workers.process.wait(20) == 0, workers.log_text()
    stop.set()
    for thread in threads:
        thread.join(10)
    assert made, "no request was answered before the stop"
    assert "exited with status" not in workers.log_text()

    workers.start()
    client = workers.client_with(account, None)
    for identity_id in made:  # every identity the clients were given was committed
        assert client.describe_identity(IdentityId=identity_id)["IdentityId"] == identity_id


def test_workers_setting_is_checked() -> None:
    from cognitoidentity.server.settings import parse_workers

    assert parse_workers("3") == 3
    assert parse_workers("auto") >= 1
    for wrong in ("0", "-1", "many"):
        with pytest.raises(ValueError, match="positive number or 'auto'"):
            parse_workers(wrong)


def test_a_worker_that_dies_stops_the_whole(workers: ServerProcess) -> None:
    """Restarting is the service manager's (``Restart=on-failure``): the supervisor exits 1."""
    pid = int(httpx.get(workers.url + "/health").headers[HEADER])
    os.kill(pid, signal.SIGKILL)
    assert workers.process is not None
    assert workers.process.wait(20) == 1
    assert f"worker {pid} exited with status -9: stopping the others" in workers.log_text()
