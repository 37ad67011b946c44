"""The templates (``templates/``), rendered by Jinja2 with autoescaping on for every template:
every value from the store or the request (pool names, tags, claims, provider URLs, errors) is
escaped; no template marks anything ``safe``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

import jinja2

from cognitoidentity.server.console.http import HTML, Response, url_path

TEMPLATES: Final = Path(__file__).parent / "templates"


def when(value: Any) -> str:
    """A timestamp (a datetime or epoch seconds) as ``YYYY-MM-DD HH:MM:SS UTC``."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        moment: datetime = value.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def policy_text(document: str | None) -> str:
    """An IAM policy document as IAM returns it (URL-encoded JSON), indented for reading."""
    if not document:
        return ""
    text = unquote(document)
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


class Templates:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["when"] = when
        self._env.filters["policy"] = policy_text
        self._env.globals["url"] = url_path

    def render(self, name: str, status: int = 200, **context: Any) -> Response:
        body = self._env.get_template(name).render(**context)
        return Response(status, body.encode(), HTML)
