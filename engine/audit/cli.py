"""``ledgerval audit``: validate a whole chain (one or more .lvc files) on a Dask cluster.

Exit 0 when every block is valid, 1 when some block is invalid, 2 on unreadable input, a scheduler that
cannot be reached, or dask.distributed missing (the message names ``pip install 'ledgerval[dist]'``).
"""
from __future__ import annotations

import json
import sys
import time

from ..suites import SUITES

CONNECT_TIMEOUT = "20s"


def register(sub) -> None:
    p = sub.add_parser("audit", help="validate whole chains on a Dask cluster (needs ledgerval[dist])",
                       description="Validate every block of a chain stored in one or more .lvc files (one chain, "
                                   "in the order given) on a Dask cluster: an embedded one of N worker "
                                   "processes, or an existing scheduler. Exit status: 0 all valid, 1 some "
                                   "block invalid, 2 unreadable input.")
    p.add_argument("chain", nargs="+", help="chain files (.lvc), in chain order")
    p.add_argument("--suite", required=True, choices=SUITES)
    p.add_argument("--validators-file", help="JSON validator key file (as written by `ledgerval gen`)")
    p.add_argument("--chain-id", type=int, default=None, help="expected chain id (default: the key file's, or 0)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="worker processes of the embedded cluster (default: one per core)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler instead")
    p.add_argument("--partition-blocks", type=int, default=None, metavar="K",
                   help="blocks per partition (default: up to 4 per worker, none under 8 MiB)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="record finished partitions in DIR; a re-run redoes only the others")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of the summary")
    p.set_defaults(func=run)


def _fail(msg: str) -> int:
    print(f"ledgerval audit: {msg}", file=sys.stderr)
    return 2


def run(args) -> int:
    from ..cli_validate import _load_validators, _Progress
    from ..errors import LedgervalError
    from . import DIST_HINT, audit_chain

    try:
        import distributed
    except ImportError:
        return _fail(DIST_HINT)
    validators, threshold, chain_id, weights = [], None, 0, None
    try:
        if args.validators_file:
            validators, threshold, chain_id, weights = _load_validators(args.validators_file)
    except (OSError, ValueError) as exc:
        return _fail(f"validator key file {args.validators_file}: {exc}")
    if args.chain_id is not None:
        chain_id = args.chain_id

    client = None
    try:
        if args.scheduler:
            client = distributed.Client(args.scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot reach the scheduler at {args.scheduler}: {exc}")

    bar: _Progress | None = None
    start = time.perf_counter()

    def progress(done: int, total: int, blocks: int, txs: int) -> None:
        nonlocal bar
        if bar is None:
            bar = _Progress(total)
        bar.update(done, blocks, txs, time.perf_counter() - start, force=done == total)

    try:
        report = audit_chain(args.chain, args.suite, validators=validators, threshold=threshold,
                             chain_id=chain_id, client=client, workers=args.workers,
                             partition_blocks=args.partition_blocks, weights=weights,
                             checkpoint=args.checkpoint, progress=progress)
    except (OSError, ValueError, LedgervalError) as exc:
        return _fail(f"unreadable input: {exc}")
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()

    if args.json:
        json.dump({"blocks": report.blocks, "transactions": report.transactions,
                   "errors": [e.to_dict() for e in report.errors], "workers": report.workers,
                   "seconds": report.seconds, "partitions": report.partitions,
                   "partitions_reused": report.partitions_reused}, sys.stdout, indent=1)
        print()
    else:
        rate = report.transactions / report.seconds if report.seconds > 0 else 0.0
        print(f"{report.blocks} blocks, {report.transactions} transactions in {report.seconds:.2f} s "
              f"({rate:,.0f} tx/s) on {report.workers} workers, {report.partitions} partitions"
              + (f" ({report.partitions_reused} from the checkpoint)" if report.partitions_reused else ""))
        if report.errors:
            bad = len({e.block for e in report.errors})
            print(f"{bad} invalid blocks, {len(report.errors)} errors:")
            for e in report.errors[:50]:
                print(f"  block {e.block} (height {e.height}): {e.code} {e.index if e.index is not None else '-'}: "
                      f"{e.detail}")
        else:
            print("all blocks valid")
    return 0 if report.ok else 1
