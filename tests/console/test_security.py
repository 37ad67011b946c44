"""The console's security over HTTP, on the in-process server (one per module, SQLite; the
console calls the same operations whatever the store): sign-in with an access key, the session
cookie's attributes, its expiry and sign-out, CSRF refusals, one account never seeing nor
changing another's pool, escaping, the security headers, and the setting that turns it off."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from cognitoidentity.server.console.http import CONTENT_SECURITY_POLICY
from cognitoidentity.server.console.sessions import SESSION_COOKIE, SESSION_LIFETIME
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.store.base import IdentityPool
from tests.console.support import ConsoleSession, csrf_token
from tests.support.inprocess import URL, InProcessServer
from tests.support.server import Credentials

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    data_dir = tmp_path_factory.mktemp("console")
    running = InProcessServer(data_dir, str(data_dir / "store.db")).start()
    try:
        yield running
    finally:
        running.stop()


def session(server: InProcessServer) -> ConsoleSession:
    """A browser of its own (its own cookies) on the in-process server."""
    assert server.http is not None
    return ConsoleSession(httpx.Client(transport=server.http._transport, base_url=URL))


def signed_in(server: InProcessServer, account: Credentials | None = None) -> ConsoleSession:
    browser = session(server)
    answer = browser.sign_in(account or server.new_account())
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/"
    return browser


def create_pool(browser: ConsoleSession, name: str = "console pool") -> str:
    answer = browser.post("/console/pools/new", {"name": name, "allow_unauthenticated": "on"})
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location.removeprefix("/console/pools/")


def test_signed_out_pages_send_to_sign_in(server: InProcessServer) -> None:
    browser = session(server)
    for path in ("/console/", "/console/pools", "/console/iam/roles"):
        answer = browser.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/signin"


def test_sign_in_sets_a_strict_http_only_cookie(server: InProcessServer) -> None:
    browser = session(server)
    form = browser.get("/console/signin")
    account = server.new_account()
    answer = browser.http.post(
        "/console/signin",
        data={
            "csrf_token": csrf_token(form.text),
            "access_key_id": account.access_key_id,
            "secret_access_key": account.secret_access_key,
        },
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = {part.strip().split("=")[0] for part in cookie.split(";")[1:]}
    assert {"Path", "Max-Age", "HttpOnly", "SameSite"} <= attributes
    assert "Path=/console;" in cookie
    assert "SameSite=Strict" in cookie
    assert f"Max-Age={int(SESSION_LIFETIME.total_seconds())}" in cookie
    assert "Secure" not in attributes  # plain HTTP: a Secure cookie would never come back
    assert account.secret_access_key not in cookie  # sealed, not readable
    dashboard = browser.get("/console/")
    assert dashboard.status_code == 200
    assert f"Account {account.account_id}" in dashboard.text


def test_cookie_is_secure_over_https(server: InProcessServer) -> None:
    browser = session(server)
    answer = browser.get("https://cognito-identity.test/console/signin")
    assert answer.status_code == 200
    assert "; Secure" in answer.headers["set-cookie"]


def test_wrong_secret_or_unknown_key_refused(server: InProcessServer) -> None:
    account = server.new_account()
    browser = session(server)
    wrong = browser.sign_in(account, secret=account.secret_access_key[:-1] + "x")
    assert wrong.status_code == 401
    assert "The access key ID or the secret access key is not valid." in wrong.text
    assert account.secret_access_key[:-1] not in wrong.text  # the secret is never shown back
    unknown = browser.sign_in(dataclasses.replace(account, access_key_id="AKIAUNKNOWN000000000"))
    assert unknown.status_code == 401
    assert browser.get("/console/").status_code == 303  # still signed out


def test_security_headers_on_every_page(server: InProcessServer) -> None:
    browser = signed_in(server)
    for answer in (
        browser.get("/console/signin"),
        browser.get("/console/"),
        browser.get("/console/no-such-page"),
    ):
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        assert "x-amzn-requestid" in answer.headers
        assert "<script" not in answer.text  # the console has no script at all
    assert browser.get("/console/no-such-page").status_code == 404
    css = browser.get("/console/static/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_csrf_refused(server: InProcessServer) -> None:
    account = server.new_account()
    browser = signed_in(server, account)
    other = signed_in(server)
    form = {"name": "forged", "allow_unauthenticated": "on"}
    missing = browser.http.post("/console/pools/new", data=form)
    wrong = browser.post("/console/pools/new", form, token="x" * 43)
    stolen = browser.post("/console/pools/new", form, token=other.token)
    for answer in (missing, wrong, stolen):
        assert answer.status_code == 403
        assert "CSRF" in answer.text
    cross_site = browser.http.post(
        "/console/pools/new",
        data={"csrf_token": browser.token, **form},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    assert server.client(account).list_identity_pools(MaxResults=10)["IdentityPools"] == []
    # The same form with the session's own token goes through.
    assert browser.post("/console/pools/new", form).status_code == 303


def test_another_accounts_pool_is_invisible_and_unchangeable(server: InProcessServer) -> None:
    owner = server.new_account()
    pool_id = create_pool(signed_in(server, owner), "owned")
    intruder = signed_in(server)
    assert "owned" not in intruder.get("/console/pools").text
    searched = intruder.get(f"/console/pools?q={pool_id}").text
    assert f'href="/console/pools/{pool_id}"' not in searched
    assert "No identity pool matches." in searched
    for path in ("", "/edit", "/roles", "/identities", "/explain", "/delete"):
        answer = intruder.get(f"/console/pools/{pool_id}{path}")
        assert answer.status_code == 404, path
        assert f"IdentityPool &#39;{pool_id}&#39; not found." in answer.text
    edited = intruder.post(f"/console/pools/{pool_id}/edit", {"name": "taken"})
    deleted = intruder.post(f"/console/pools/{pool_id}/delete", {"confirm_name": "owned"})
    roles = intruder.post(f"/console/pools/{pool_id}/roles", {"authenticated": ""})
    assert [edited.status_code, deleted.status_code, roles.status_code] == [404, 404, 404]
    pool = server.client(owner).describe_identity_pool(IdentityPoolId=pool_id)
    assert pool["IdentityPoolName"] == "owned"


def test_pool_delete_needs_its_name(server: InProcessServer) -> None:
    account = server.new_account()
    browser = signed_in(server, account)
    pool_id = create_pool(browser, "doomed")
    refused = browser.post(f"/console/pools/{pool_id}/delete", {"confirm_name": "doom"})
    assert refused.status_code == 400
    done = browser.post(f"/console/pools/{pool_id}/delete", {"confirm_name": "doomed"})
    assert done.status_code == 303
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        server.client(account).describe_identity_pool(IdentityPoolId=pool_id)


def test_markup_in_names_is_rendered_inert(server: InProcessServer) -> None:
    account = server.new_account()
    browser = signed_in(server, account)
    # The API refuses such a name (its pattern); the refusal quotes it, escaped.
    refused = browser.post("/console/pools/new", {"name": SCRIPT})
    assert refused.status_code == 400
    assert "ValidationException" in refused.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
    assert SCRIPT not in refused.text
    # A store may hold one all the same (written before the pattern was checked, or by hand).
    pool_id = "us-east-1:0b9f6d2e-3c1a-4e5b-8f7a-1d2c3b4a5e6f"
    pool = IdentityPool(
        pool_id, account.account_id, SCRIPT, True, datetime.now(UTC), tags={"x": SCRIPT}
    )
    server.run(server.store.create_pool(pool, max_pools=1000))
    for path in ("/console/pools", f"/console/pools/{pool_id}", f"/console/pools/{pool_id}/edit"):
        page = browser.get(path)
        assert page.status_code == 200
        assert SCRIPT not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_session_expires(server: InProcessServer) -> None:
    browser = signed_in(server)
    pool_id = create_pool(browser)
    server.clock.advance(SESSION_LIFETIME + timedelta(seconds=1))
    try:
        page = browser.get(f"/console/pools/{pool_id}")
        assert page.status_code == 303
        assert page.headers["location"] == "/console/signin"
        assert "Max-Age=0" in page.headers["set-cookie"]
        assert browser.post("/console/pools/new", {"name": "late"}).status_code == 403
    finally:
        server.clock.reset()


def test_sign_out(server: InProcessServer) -> None:
    browser = signed_in(server)
    assert browser.http.post("/console/signout").status_code == 403  # a form like the others
    answer = browser.post("/console/signout", {})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/signin"
    assert re.search(rf"{SESSION_COOKIE}=;.*Max-Age=0", answer.headers["set-cookie"])
    assert browser.get("/console/").status_code == 303


def test_deleted_key_ends_its_sessions(server: InProcessServer) -> None:
    account = server.new_account()
    with server.moved_clock() as clock:
        browser = signed_in(server, account)
        assert browser.get("/console/").status_code == 200
        server.run(server.store.delete_access_key(account.access_key_id))
        clock.advance(timedelta(seconds=server.settings.key_cache_seconds + 1))
        assert browser.get("/console/").status_code == 303


class ConsoleOffServer(InProcessServer):
    @property
    def settings(self) -> Settings:
        return dataclasses.replace(super().settings, console=False)


def test_console_off_answers_404(tmp_path: Path) -> None:
    off = ConsoleOffServer(tmp_path, str(tmp_path / "store.db")).start()
    try:
        assert off.http is not None
        for path in ("/console/", "/console/signin", "/console/static/console.css"):
            assert off.http.get(path).status_code == 404
        assert off.http.post("/console/signin", data={"x": "y"}).status_code == 404
        assert off.http.get("/health").status_code == 200
    finally:
        off.stop()
