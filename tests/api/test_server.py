"""The server process: restarts keep data, first start gives credentials, the admin commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import Credentials, ServerProcess, cli, free_port


@pytest.mark.parametrize("fresh_server", ["sqlite", "postgresql"], indirect=True)
def test_data_survives_a_restart(fresh_server: ServerProcess) -> None:
    account = fresh_server.new_account()
    client = fresh_server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="durable", AllowUnauthenticatedIdentities=True, IdentityPoolTags={"t": "1"}
    )["IdentityPoolId"]
    identity_id = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    fresh_server.restart()
    client = fresh_server.client(account)  # the account's key survived too
    assert client.describe_identity_pool(IdentityPoolId=pool_id)["IdentityPoolTags"] == {"t": "1"}
    assert client.describe_identity(IdentityId=identity_id)["IdentityId"] == identity_id
    listed = client.list_identities(IdentityPoolId=pool_id, MaxResults=10)["Identities"]
    assert [i["IdentityId"] for i in listed] == [identity_id]


def test_two_processes_share_one_postgresql(tmp_path: Path) -> None:
    require_postgres()
    with temporary_schema() as url:
        first = ServerProcess(tmp_path, url).start()
        second = ServerProcess(tmp_path, url, root=first.root, master_key=first.master_key).start()
        try:
            account = first.new_account()
            pool_id = first.client(account).create_identity_pool(
                IdentityPoolName="shared", AllowUnauthenticatedIdentities=True
            )["IdentityPoolId"]
            identity_id = second.client(unsigned=True).get_id(IdentityPoolId=pool_id)["IdentityId"]
            described = first.client(account).describe_identity(IdentityId=identity_id)
            assert described["IdentityId"] == identity_id
            assert second.client(account).describe_identity_pool(IdentityPoolId=pool_id)
        finally:
            first.stop()
            second.stop()


def test_first_start_prints_generated_credentials_once(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COGNITOIDENTITY_"))}
    command = [
        sys.executable,
        "-m",
        "cognitoidentity.server.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
    ]

    def run_once() -> str:
        log = tmp_path / f"log-{time.monotonic_ns()}"
        with log.open("w") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            else:
                raise AssertionError(log.read_text())
        finally:
            process.terminate()
            process.wait(10)
        return log.read_text()

    first = run_once()
    assert f"AWS_ENDPOINT_URL_COGNITO_IDENTITY=http://127.0.0.1:{port}" in first
    key = re.search(r"AWS_ACCESS_KEY_ID=(AKIA[A-Z2-7]{16})", first)
    secret = re.search(r"AWS_SECRET_ACCESS_KEY=(\S{40})", first)
    assert key and secret, first
    master = tmp_path / "data" / "master.key"
    assert master.stat().st_mode & 0o777 == 0o600
    second = run_once()
    assert "AWS_SECRET_ACCESS_KEY" not in second  # shown only once
    assert "keys create" in second
    # The printed key works against the store it was made in.
    server = ServerProcess(tmp_path / "data", str(tmp_path / "data" / "cognitoidentity.db"))
    server.master_key = master.read_text().strip()
    server.start()
    try:
        creds = Credentials("000000000000", key.group(1), secret.group(1))
        assert server.client(creds).list_identity_pools(MaxResults=1)["IdentityPools"] == []
    finally:
        server.stop()


def test_admin_commands(fresh_server: ServerProcess) -> None:
    made = fresh_server.admin(
        "accounts", "create", "--name", "team-a", "--account-id", "210987654321"
    )
    assert made.split() == ["210987654321", "team-a"]
    listed = fresh_server.admin("accounts", "list")
    assert "210987654321\tteam-a" in listed
    assert fresh_server.root.account_id in listed
    key_out = fresh_server.admin("keys", "create", "--account", "210987654321")
    key_id = key_out.split("AWS_ACCESS_KEY_ID=")[1].split()[0]
    keys = fresh_server.admin("keys", "list", "--account", "210987654321")
    assert key_id in keys
    assert (
        "AWS_SECRET" not in keys
        and key_out.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0] not in keys
    )
    with pytest.raises(RuntimeError, match="exists already"):
        fresh_server.admin("accounts", "create", "--account-id", "210987654321")
    with pytest.raises(RuntimeError, match="12 digits"):
        fresh_server.admin("accounts", "create", "--account-id", "12345")
    with pytest.raises(RuntimeError, match="no account"):
        fresh_server.admin("keys", "create", "--account", "999999999999")
    fresh_server.admin("accounts", "delete", "210987654321")
    assert "210987654321" not in fresh_server.admin("accounts", "list")
    assert key_id not in fresh_server.admin("keys", "list")
    with pytest.raises(RuntimeError, match="no account"):
        cli(fresh_server.env, "accounts", "delete", "210987654321")
