"""Where each key of a TOML file is: the line of every table, key and array item, by path.

``tomllib`` (the standard library's reader) gives a position only for syntax errors; a file that
parses but declares something wrong must still be answered with the line of the key at fault. This
scanner reads the file once more, only to note where each key starts: it follows tables
(``[a.b]``), arrays of tables (``[[a.b]]``), dotted and quoted keys, inline tables and arrays (one
path element per item), and skips the insides of strings, multi-line ones included, and comments.
It runs on files ``tomllib`` has accepted (and, for a syntax error, up to the error), so it does
not check the syntax itself; on anything it does not follow it stops, keeping what it found.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Mapping

Path = tuple[str | int, ...]
"""A key's place: table and key names, and the index of each array item on the way."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_VALUE_END = frozenset(",]}\n#")


class _Stop(Exception):
    """Something the scanner does not follow: keep what was found so far."""


class KeyLines:
    """The first line of each path in a TOML text."""

    def __init__(self, lines: Mapping[Path, int]) -> None:
        self._lines = dict(lines)

    @classmethod
    def scan(cls, text: str) -> KeyLines:
        scanner = _Scanner(text)
        with contextlib.suppress(_Stop, IndexError, ValueError, tomllib.TOMLDecodeError):
            scanner.document()
        return cls(scanner.lines)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, else of its nearest enclosing table or key (None: the top)."""
        for end in range(len(path), 0, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return line
        return None

    def key_at(self, line: int) -> Path | None:
        """The deepest path that starts on ``line``, if any."""
        found = [path for path, at in self._lines.items() if at == line]
        return max(found, key=len) if found else None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.array_items: dict[Path, int] = {}
        """The index of the last item of each array of tables, by its path."""

    # -- characters ----------------------------------------------------------------------------
    def peek(self, count: int = 1) -> str:
        return self.text[self.at : self.at + count]

    def advance(self, count: int = 1) -> None:
        self.line += self.text.count("\n", self.at, self.at + count)
        self.at += count

    def expect(self, token: str) -> None:
        if self.peek(len(token)) != token:
            raise _Stop
        self.advance(len(token))

    def blanks(self) -> None:
        while self.peek() in (" ", "\t"):
            self.advance()

    def blanks_and_comments(self) -> None:
        """Spaces, new lines and comments (between lines, and between array items)."""
        while self.at < len(self.text):
            char = self.peek()
            if char in " \t\r\n":
                self.advance()
            elif char == "#":
                end = self.text.find("\n", self.at)
                self.advance((len(self.text) if end < 0 else end) - self.at)
            else:
                return

    # -- structure -----------------------------------------------------------------------------
    def document(self) -> None:
        table: Path = ()
        while True:
            self.blanks_and_comments()
            if self.at >= len(self.text):
                return
            line = self.line
            if self.peek(2) == "[[":
                self.advance(2)
                table = self.header(self.keys(), line, array=True)
                self.expect("]]")
            elif self.peek() == "[":
                self.advance()
                table = self.header(self.keys(), line, array=False)
                self.expect("]")
            else:
                self.key_value(table)

    def header(self, keys: list[str], line: int, *, array: bool) -> Path:
        path: Path = ()
        for position, key in enumerate(keys):
            path = (*path, key)
            last = position == len(keys) - 1
            if last and array:
                index = self.array_items.get(path, -1) + 1
                self.array_items[path] = index
                self.note(path, line)
                path = (*path, index)
            elif path in self.array_items:
                path = (*path, self.array_items[path])
            self.note(path, line)
        return path

    def key_value(self, table: Path) -> None:
        line = self.line
        keys = self.keys()
        path = table
        for key in keys:
            path = (*path, key)
            self.note(path, line)
        self.blanks()
        self.expect("=")
        self.blanks()
        self.value(path)

    def note(self, path: Path, line: int) -> None:
        self.lines.setdefault(path, line)

    def keys(self) -> list[str]:
        """A dotted key: ``a.b``, ``"a b".'c'``."""
        keys: list[str] = []
        while True:
            self.blanks()
            keys.append(self.key())
            self.blanks()
            if self.peek() != ".":
                return keys
            self.advance()

    def key(self) -> str:
        char = self.peek()
        if char == '"':
            start = self.at
            self.basic_string()
            decoded: str = tomllib.loads("k = " + self.text[start : self.at])["k"]
            return decoded
        if char == "'":
            end = self.text.index("'", self.at + 1)
            key = self.text[self.at + 1 : end]
            self.advance(end + 1 - self.at)
            return key
        match = _BARE_KEY.match(self.text, self.at)
        if match is None:
            raise _Stop
        self.advance(match.end() - self.at)
        return match.group()

    # -- values --------------------------------------------------------------------------------
    def value(self, path: Path) -> None:
        char = self.peek()
        if char == "{":
            self.inline_table(path)
        elif char == "[":
            self.array(path)
        elif self.peek(3) in ('"""', "'''"):
            self.multiline_string(self.peek(3))
        elif char == '"':
            self.basic_string()
        elif char == "'":
            self.advance()
            self.advance(self.text.index("'", self.at) + 1 - self.at)
        else:
            while self.at < len(self.text) and self.peek() not in _VALUE_END:
                self.advance()

    def inline_table(self, path: Path) -> None:
        self.advance()
        while True:
            self.blanks()
            if self.peek() == "}":
                self.advance()
                return
            self.key_value(path)
            self.blanks()
            if self.peek() == ",":
                self.advance()
            elif self.peek() != "}":
                raise _Stop

    def array(self, path: Path) -> None:
        self.advance()
        index = 0
        while True:
            self.blanks_and_comments()
            if self.peek() == "]":
                self.advance()
                return
            self.note((*path, index), self.line)
            self.value((*path, index))
            index += 1
            self.blanks_and_comments()
            if self.peek() == ",":
                self.advance()
            elif self.peek() != "]":
                raise _Stop

    def basic_string(self) -> None:
        self.advance()
        while True:
            char = self.peek()
            if char in ("", "\n"):
                raise _Stop
            if char == "\\":
                self.advance(2)
            elif char == '"':
                self.advance()
                return
            else:
                self.advance()

    def multiline_string(self, quotes: str) -> None:
        self.advance(3)
        while True:
            if self.at >= len(self.text):
                raise _Stop
            if quotes == '"""' and self.peek() == "\\":
                self.advance(2)
            elif self.peek(3) == quotes:
                self.advance(3)
                # Up to two quotes right before the closing ones belong to the string.
                for _ in range(2):
                    if self.peek() == quotes[0]:
                        self.advance()
                return
            else:
                self.advance()
