"""A store that cannot take the work in time answers a throttling error the SDKs retry, quickly,
instead of holding the request and answering 500 InternalErrorException.

A server on a SQLite file, and another process's hold on that file: its write lock (writes wait),
or a WAL-index recovery in progress (reads wait too).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from cognitoidentity.server.store.sqlite import WRITE_LOCK_WAIT
from tests.api.test_pools import error_of
from tests.store.locks import sqlite_wal_recovery, sqlite_write_lock
from tests.support.server import ServerProcess

BUSY = "Too many requests: the store is busy, retry later."
SLACK = 2.0
"""Seconds an answer may take beyond the store's bound on a loaded test machine (it took 20)."""


def guest_pool(server: ServerProcess) -> str:
    pool_id: str = server.client().create_identity_pool(
        IdentityPoolName="guests", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    return pool_id


def unsigned(server: ServerProcess, retries: Config) -> Any:
    return server.client_with(None, Config(signature_version=UNSIGNED).merge(retries))


def busy_warnings(server: ServerProcess) -> list[str]:
    return [line for line in server.log_text().splitlines() if "the store is busy" in line]


def test_get_id_while_another_process_holds_the_write_lock(fresh_server: ServerProcess) -> None:
    pool_id = guest_pool(fresh_server)
    client = unsigned(fresh_server, Config(retries={"total_max_attempts": 1}))
    with sqlite_write_lock(fresh_server.database_url):
        started = time.monotonic()
        with pytest.raises(ClientError) as exc:
            client.get_id(IdentityPoolId=pool_id)
        elapsed = time.monotonic() - started
    assert error_of(exc) == ("TooManyRequestsException", BUSY, 400)
    assert elapsed < WRITE_LOCK_WAIT + SLACK
    # The operator sees why, once, without a traceback.
    (warning,) = busy_warnings(fresh_server)
    assert "GetId" in warning and "Traceback" not in fresh_server.log_text()

    # Once the lock is gone the same call succeeds; the refused one left no identity behind.
    identity_id = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    listed = fresh_server.client().list_identities(IdentityPoolId=pool_id, MaxResults=10)
    assert [i["IdentityId"] for i in listed["Identities"]] == [identity_id]


def test_botocore_retries_it_and_gets_through_once_the_lock_is_released(
    fresh_server: ServerProcess,
) -> None:
    pool_id = guest_pool(fresh_server)
    client = unsigned(fresh_server, Config(retries={"mode": "standard", "total_max_attempts": 3}))
    held = threading.Event()

    def hold_briefly() -> None:
        # Longer than one wait of the server, shorter than the SDK's attempts.
        conn = sqlite3.connect(fresh_server.database_url, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(WRITE_LOCK_WAIT + 0.3)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    try:
        assert held.wait(10)
        answer = client.get_id(IdentityPoolId=pool_id)
    finally:
        holder.join()
    assert answer["IdentityId"].startswith("us-east-1:")
    assert answer["ResponseMetadata"]["RetryAttempts"] >= 1
    assert len(busy_warnings(fresh_server)) == answer["ResponseMetadata"]["RetryAttempts"]


def test_sts_answers_throttling_while_the_store_cannot_be_read(
    fresh_server: ServerProcess,
) -> None:
    """The Query protocol's name for it: ``Throttling``, which botocore retries too."""
    account = fresh_server.new_account()  # its key is read from the store on its first call
    sts = fresh_server.client_with(
        account, Config(retries={"total_max_attempts": 1}), service="sts"
    )
    with sqlite_wal_recovery(Path(fresh_server.database_url)):
        started = time.monotonic()
        with pytest.raises(ClientError) as exc:
            sts.get_caller_identity()
        elapsed = time.monotonic() - started
    assert error_of(exc) == ("Throttling", BUSY, 400)
    error: Any = exc.value.response["Error"]  # botocore's type omits the Query protocol's Type
    assert error["Type"] == "Sender"
    assert elapsed < SLACK  # a read waits a fraction of a second, not ten
    assert "GetCallerIdentity" in busy_warnings(fresh_server)[0]
    assert sts.get_caller_identity()["Account"] == account.account_id
