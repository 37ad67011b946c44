"""A signed-in console session over HTTP (httpx): sign in with an access key, read a page's CSRF
token, send forms as a browser would; on the in-process server, a browser of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.inprocess import URL, InProcessServer
from tests.support.server import Credentials

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class ConsoleSession:
    """``http`` keeps the session cookie (an :class:`httpx.Client` of its own)."""

    http: httpx.Client
    token: str = ""

    def sign_in(self, key: Credentials, secret: str | None = None) -> httpx.Response:
        form = self.http.get("/console/signin")
        assert form.status_code == 200
        answer = self.http.post(
            "/console/signin",
            data={
                "csrf_token": csrf_token(form.text),
                "access_key_id": key.access_key_id,
                "secret_access_key": key.secret_access_key if secret is None else secret,
            },
        )
        if answer.status_code == 303:
            self.token = csrf_token(self.http.get("/console/").text)
        return answer

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict[str, Any], *, token: str | None = None) -> httpx.Response:
        return self.http.post(
            path, data={"csrf_token": self.token if token is None else token, **data}
        )


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


def create_pool(browser: ConsoleSession, name: str = "console pool", **fields: str) -> str:
    """A pool made through the console's form; its id."""
    answer = browser.post(
        "/console/pools/new", {"name": name, "allow_unauthenticated": "on", **fields}
    )
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location.removeprefix("/console/pools/")
