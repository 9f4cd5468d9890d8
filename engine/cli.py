"""The ``ledgerval`` console script.  Each subcommand lives in its own module with ``register(sub)``."""
from __future__ import annotations

import argparse
import importlib
import sys

# module path -> registers one or more subcommands that set ``func`` (returning the exit code)
_SUBCOMMAND_MODULES = (
    "ledgerval.cli_gen",
    "ledgerval.cli_validate",
    "ledgerval.bench.cli",
    "ledgerval.bitcoin.cli",
)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="ledgerval", description="Hardware-accelerated ledger validation.")
    parser.add_argument("--version", action="version", version=f"ledgerval {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _SUBCOMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
