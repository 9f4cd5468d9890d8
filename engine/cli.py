"""The ``ledgerval`` console script.  Each subcommand lives in its own module with ``register(sub)``.

The modules are imported explicitly: a subcommand whose module fails to import is an error, never a silently
missing command.  A subcommand that needs an optional extra registers anyway and says which extra to
install when it runs.
"""
from __future__ import annotations

import argparse
import sys

from . import cli_gen, cli_validate
from .audit import cli as audit_cli
from .bench import cli as bench_cli
from .bitcoin import cli as bitcoin_cli
from .evm import cli as evm_cli
from .fabric import cli as fabric_cli

# each registers one or more subcommands that set ``func`` (returning the exit code)
_SUBCOMMAND_MODULES = (cli_gen, cli_validate, bench_cli, bitcoin_cli, fabric_cli, evm_cli, audit_cli)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="ledgerval", description="Hardware-accelerated ledger validation.")
    parser.add_argument("--version", action="version", version=f"ledgerval {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _SUBCOMMAND_MODULES:
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
