"""Wildcard matching without backtracking, for patterns a regex would make slow.

A glob translated to a regex is fast while each segment holds at most one ``*``; with several
(``*a*a*a*b``) Python's backtracking engine takes polynomial time in the value's length (43 s
for three ``a*`` against 1,000 characters), and both the patterns (policies) and the values
(resources, condition values of a request) come from outside. Such patterns are matched here
instead: a pattern ``c0*c1*...*ck`` matches a value iff the value starts with ``c0``, ends with
``ck`` and holds ``c1`` ... ``c(k-1)`` in order between them, and taking each leftmost occurrence
is optimal, so one left-to-right pass decides (O(length of value times length of pattern)).
``?`` stands for one character inside a chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Glob", "SegmentedGlob", "compile_glob", "is_safe_for_regex", "split_segments"]


@dataclass(frozen=True, slots=True)
class _Chunk:
    """Text between two ``*``: plain, or with ``?`` (then a fixed-length regex)."""

    text: str
    regex: re.Pattern[str] | None
    length: int

    def at(self, value: str, position: int) -> bool:
        if self.regex is None:
            return value.startswith(self.text, position)
        return self.regex.match(value, position) is not None

    def find(self, value: str, start: int, end: int) -> int:
        if self.regex is None:
            return value.find(self.text, start, end)
        found = self.regex.search(value, start, end)
        return -1 if found is None else found.start()


def _chunk(parts: Sequence[str | None]) -> _Chunk:
    """``parts``: characters, ``None`` for ``?``."""
    if None not in parts:
        text = "".join(parts)  # type: ignore[arg-type]
        return _Chunk(text, None, len(text))
    source = "".join("." if part is None else re.escape(part) for part in parts)
    return _Chunk(source, re.compile(source, re.DOTALL), len(parts))


@dataclass(frozen=True, slots=True)
class Glob:
    """One wildcard pattern over a whole value (or one ARN segment)."""

    chunks: tuple[_Chunk, ...]
    starred: bool
    minimum: int

    def matches(self, value: str) -> bool:
        chunks = self.chunks
        if not self.starred:
            only = chunks[0]
            return len(value) == only.length and only.at(value, 0)
        if len(value) < self.minimum:
            return False
        head, tail = chunks[0], chunks[-1]
        end = len(value) - tail.length
        if not head.at(value, 0) or not tail.at(value, end):
            return False
        position = head.length
        for chunk in chunks[1:-1]:
            if chunk.length == 0:
                continue
            found = chunk.find(value, position, end)
            if found < 0:
                return False
            position = found + chunk.length
        return True


@dataclass(frozen=True, slots=True)
class SegmentedGlob:
    """An ARN pattern: one :class:`Glob` per colon-separated segment, the last taking the rest."""

    segments: tuple[Glob, ...]

    def matches(self, value: str) -> bool:
        parts = value.split(":", len(self.segments) - 1)
        if len(parts) != len(self.segments):
            return False
        return all(glob.matches(part) for glob, part in zip(self.segments, parts, strict=True))


def _glob(pieces: Iterable[tuple[bool, str]]) -> Glob:
    chunks: list[_Chunk] = []
    current: list[str | None] = []
    starred = False
    for wild, text in pieces:
        if not wild:
            current.extend(text)
            continue
        for char in text:
            if char == "*":
                chunks.append(_chunk(current))
                current = []
                starred = True
            else:
                current.append(None if char == "?" else char)
    chunks.append(_chunk(current))
    return Glob(tuple(chunks), starred, sum(chunk.length for chunk in chunks))


def split_segments(
    pieces: Iterable[tuple[bool, str]], rest_after: int
) -> list[list[tuple[bool, str]]]:
    """The pieces cut at their first ``rest_after`` colons (literal or not)."""
    segments: list[list[tuple[bool, str]]] = [[]]
    for wild, text in pieces:
        while ":" in text and len(segments) <= rest_after:
            before, _, text = text.partition(":")
            segments[-1].append((wild, before))
            segments.append([])
        segments[-1].append((wild, text))
    return segments


def compile_glob(
    pieces: Iterable[tuple[bool, str]], *, rest_after: int | None = None
) -> Glob | SegmentedGlob:
    """A matcher for wildcard pieces; with ``rest_after``, ARN segment by segment."""
    if rest_after is None:
        return _glob(pieces)
    return SegmentedGlob(tuple(_glob(segment) for segment in split_segments(pieces, rest_after)))


def is_safe_for_regex(pieces: Iterable[tuple[bool, str]], *, rest_after: int | None = None) -> bool:
    """Whether a translated regex runs in linear time: no segment holds two ``*``."""
    segments = split_segments(pieces, rest_after) if rest_after is not None else [list(pieces)]
    return all(sum(text.count("*") for wild, text in segment if wild) <= 1 for segment in segments)
