"""Numbered schema migrations, one SQL file per step and dialect, applied in order at start."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: list[str]


def load_migrations(dialect: str) -> list[Migration]:
    """Migrations of ``dialect`` ("sqlite" or "postgresql"), sorted by their number.

    Files are ``NNNN_name.sql``; statements are separated by a semicolon at the end of a line.
    """
    folder = resources.files("cognitoidentity.server.store").joinpath("migrations", dialect)
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        number, _, rest = entry.name.partition("_")
        text = entry.read_text(encoding="utf-8")
        statements = [s.strip() for s in text.split(";\n") if _has_sql(s)]
        found.append(Migration(int(number), rest.removesuffix(".sql"), statements))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"{dialect} migrations are not numbered 1..n: {versions}")
    return found


def _has_sql(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())
