"""``python -m scripts.codegen [vendor] [--check] [--out DIR]``: see :mod:`scripts.codegen`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.codegen import stale, vendor, write
from scripts.codegen.common import ROOT


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.codegen", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        choices=["generate", "vendor"],
        default="generate",
        help="vendor: copy the models from the installed botocore first (default: generate)",
    )
    parser.add_argument("--check", action="store_true", help="only report modules that differ")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT,
        help="the tree to write (or check) instead of the repository",
    )
    args = parser.parse_args(argv)
    if args.command == "vendor":
        if args.check or args.out != ROOT:
            parser.error("vendor writes the repository's models; --check and --out do not apply")
        for path in vendor.vendor():
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check:
        differing = stale(args.out)
        for path in differing:
            print(f"stale: {path.relative_to(args.out)}", file=sys.stderr)
        if differing:
            print("regenerate with: python -m scripts.codegen", file=sys.stderr)
        return 1 if differing else 0
    for path in write(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
