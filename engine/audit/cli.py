"""``ledgerval audit``: validate a whole chain (one or more .lvc files) on a Dask cluster, under the exit-code
contract of ``cli_common``: 0 every block valid, 1 some block invalid (or, with --strict, a check skipped),
2 unusable input, a scheduler that cannot be reached, or dask.distributed missing (the line names
``pip install 'ledgerval[dist]'``).
"""
from __future__ import annotations

import json
import sys
import time

from .. import cli_common as C
from ..suites import SUITES

CMD = "audit"
CONNECT_TIMEOUT = "20s"


def register(sub) -> None:
    p = sub.add_parser("audit", help="validate whole chains on a Dask cluster (needs ledgerval[dist])",
                       description="Validate every block of a chain stored in one or more .lvc files (one chain, "
                                   "in the order given) on a Dask cluster: an embedded one of N worker "
                                   "processes, or an existing scheduler. Exit status: 0 all valid, 1 some "
                                   "block invalid (or, with --strict, a check skipped), 2 unusable input.")
    p.add_argument("chain", nargs="+", help="chain files (.lvc), in chain order")
    p.add_argument("--suite", required=True, choices=SUITES)
    p.add_argument("--validators-file", help="JSON validator key file (as written by `ledgerval gen`); "
                                             "without it commit signatures are not checked")
    p.add_argument("--chain-id", type=int, default=None, help="expected chain id (default: the key file's, or 0)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="worker processes of the embedded cluster (default: one per core)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler instead")
    p.add_argument("--partition-blocks", type=int, default=None, metavar="K",
                   help="blocks per partition (default: up to 4 per worker, none under 8 MiB)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="record finished partitions in DIR; a re-run redoes only the others")
    C.add_report_arguments(p)
    p.set_defaults(func=run, threads=1)  # threads: the validator built here only checks the arguments


def _check_chain_files(paths: list[str]) -> None:
    """Every file usable and framed as LVB1 before any cluster starts (the workers read them later)."""
    from ..format import MAGIC

    for path in paths:
        C.check_input(path)
        with C.open_input(path) as f:
            head = f.read(4 + len(MAGIC))
        if len(head) == 4 + len(MAGIC) and head[4:] != MAGIC:
            raise C.Unusable(path, f"record 0 does not start with {MAGIC.decode()}: not a chain file of this "
                                   f"format")


def _client(args):
    """A client of the --scheduler, or None (audit_chain then starts an embedded cluster)."""
    import distributed

    if not args.scheduler:
        return None
    try:
        return distributed.Client(args.scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError) as exc:
        raise C.Unusable(None, f"cannot reach the scheduler at {args.scheduler}: {exc}") from None


@C.guarded(CMD)
def run(args) -> int:
    from ..cli_validate import _make_validator, _Progress
    from ..errors import LedgervalError
    from . import DIST_HINT, audit_chain

    clock = C.Clock()
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise C.Unusable(None, DIST_HINT) from None
    v = _make_validator(args)
    _check_chain_files(args.chain)
    clock.lap("set-up")

    bar: _Progress | None = None
    start = time.perf_counter()

    def progress(done: int, total: int, blocks: int, txs: int) -> None:
        nonlocal bar
        if bar is None:
            bar = _Progress(total)
        bar.update(done, blocks, txs, time.perf_counter() - start, force=done == total)

    client = _client(args)
    try:
        report = audit_chain(args.chain, args.suite, validators=v.validators, threshold=v.threshold,
                             chain_id=v.chain_id, client=client, workers=args.workers,
                             partition_blocks=args.partition_blocks, weights=[int(w) for w in v.weights],
                             checkpoint=args.checkpoint, progress=progress)
    except (OSError, LedgervalError) as exc:
        raise C.Unusable(None, str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    clock.phases["cluster start and kernel warm-up"] = report.startup_seconds

    skips = [] if v.validators else [C.Skip("commit_signatures", report.blocks, "blocks", "no --validators-file")]
    code = C.exit_code(not report.ok, skips, args.strict)
    if args.json:
        json.dump({**report.to_dict(), "tx_per_s": C.rate(report.transactions, report.seconds),
                   **clock.to_dict(), "skipped": [s.to_dict() for s in skips if s.count], "strict": args.strict,
                   "exit": code}, sys.stdout, indent=1)
        print()
        return code
    reused = f" ({report.partitions_reused} from the checkpoint)" if report.partitions_reused else ""
    print(f"{report.blocks} blocks, {report.transactions} transactions validated in {report.seconds:.3f} s "
          f"({C.rate(report.transactions, report.seconds) or 0:,.0f} tx/s) on {report.workers} workers, "
          f"{report.partitions} partitions{reused}")
    print(clock.startup_line())
    if report.errors:
        print(f"{len({e.block for e in report.errors})} invalid blocks, {len(report.errors)} errors:")
        C.print_limited((f"  block {e.block} (height {e.height}): {e.code}"
                         f"{'' if e.index is None else ' [' + str(e.index) + ']'}: {e.detail}"
                         for e in report.errors), args.max_errors)
    C.print_verdict("all blocks valid", not report.ok, skips, args.strict)
    return code
