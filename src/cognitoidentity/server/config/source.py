"""A configuration file read: its TOML data, where each key is, and errors that name the file, the
line and the key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

from cognitoidentity.server.config.locate import KeyLines, Path

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")


@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    message: str


def key_text(path: Path) -> str:
    """``accounts[0].pools[1].RoleMappings."accounts.google.com".Type``: a path as it is written."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'
            text += f".{name}" if text else name
    return text


class ConfigError(ValueError):
    """What is wrong with a configuration file: one line per problem, ``FILE:LINE: KEY: what``."""

    def __init__(self, name: str, lines: KeyLines, problems: Sequence[Problem]) -> None:
        self.name = name
        located = sorted(((lines.line_of(p.path), p) for p in problems), key=lambda x: x[0] or 0)
        self.problems = tuple(problem for _, problem in located)
        rendered = []
        for line, problem in located:
            where = f"{name}:{line}" if line is not None else name
            key = key_text(problem.path)
            rendered.append(
                f"{where}: {key}: {problem.message}" if key else f"{where}: {problem.message}"
            )
        super().__init__("\n".join(rendered))


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """A parsed configuration file. ``directory``: where the file's relative paths start."""

    name: str
    data: dict[str, Any]
    lines: KeyLines
    directory: FilePath = field(default_factory=FilePath)

    def error(self, problems: Sequence[Problem]) -> ConfigError:
        return ConfigError(self.name, self.lines, problems)


def read_config(path: FilePath) -> ConfigSource:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the configuration file: {exc}") from exc
    return parse_config(text, str(path), path.parent)


def parse_config(text: str, name: str, directory: FilePath | None = None) -> ConfigSource:
    """``text`` parsed as TOML; a syntax error names its line, and the key there if one is."""
    lines = KeyLines.scan(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _SYNTAX_POSITION.search(message)
        if found is None:
            raise ValueError(f"{name}: {message}") from exc
        line = int(found.group(1))
        key = lines.key_at(line)
        where = f"{name}:{line}: {key_text(key)}" if key else f"{name}:{line}"
        raise ValueError(f"{where}: {message[: found.start()]}") from exc
    return ConfigSource(name, data, lines, directory or FilePath())
