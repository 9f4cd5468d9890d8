"""``ledgerval validate``: validate a chain file under the exit-code contract of ``cli_common``."""
from __future__ import annotations

import json
import sys
import time
from collections import Counter

from . import cli_common as C
from .errors import LedgervalError
from .suites import SUITES

CMD = "validate"


def register(sub) -> None:
    p = sub.add_parser("validate", help="validate a chain file (.lvc)",
                       description="Validate every block of a chain file, each linked to the one before. "
                                   "Exit status: 0 all valid, 1 some block invalid (or, with --strict, a check "
                                   "skipped), 2 unusable input.")
    p.add_argument("chain", help="chain file (.lvc)")
    p.add_argument("--suite", required=True, choices=SUITES)
    p.add_argument("--validators-file", help="JSON validator key file (as written by `ledgerval gen`); "
                                             "without it commit signatures are not checked")
    p.add_argument("--chain-id", type=int, default=None, help="expected chain id (default: the key file's, or 0)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: every core)")
    C.add_report_arguments(p)
    p.set_defaults(func=run)


def _load_validators(path: str):
    """(keys, threshold, chain_id, weights) from a key file; ``Unusable`` naming the file otherwise."""
    doc = C.read_json(path, "validator key file")
    if not isinstance(doc, dict) or not isinstance(doc.get("validators"), list):
        raise C.Unusable(path, "not a validator key file: expected an object with a 'validators' list of "
                               "hex public keys")
    keys = []
    for i, k in enumerate(doc["validators"]):
        try:
            keys.append(bytes.fromhex(k))
        except (TypeError, ValueError):
            raise C.Unusable(path, f"validators[{i}] is not a hex string") from None
    return keys, doc.get("threshold"), doc.get("chain_id", 0), doc.get("weights")


def _make_validator(args):
    from .validator import Validator

    # the command line's values first, so that a bad --threads or --chain-id is not blamed on the key file
    plain = Validator(args.suite, chain_id=args.chain_id or 0, threads=args.threads)
    if not args.validators_file:
        return plain
    keys, threshold, chain_id, weights = _load_validators(args.validators_file)
    try:
        return Validator(args.suite, chain_id=chain_id if args.chain_id is None else args.chain_id,
                         validators=keys, threshold=threshold, threads=args.threads, weights=weights)
    except LedgervalError as exc:
        raise C.Unusable(args.validators_file, str(exc)) from None


def _warm_up(suite: str, threads: int) -> list:
    """Validate a generated two-transaction block so that loading the kernels (Numba cache, first calls)
    is timed as start-up, not as the first real block."""
    from .gen import generate_chain
    from .validator import Validator

    chain = generate_chain(suite, blocks=1, txs=2, validators=1, seed=0, senders=1)
    v = Validator(suite, chain_id=chain.chain_id, validators=chain.validators, threads=threads)
    return list(v.validate_chain(chain.blocks))


class _Progress:
    def __init__(self, total_bytes: int):
        self.total = max(total_bytes, 1)
        self.enabled = sys.stderr.isatty()
        self.last = 0.0

    def update(self, done_bytes: int, blocks: int, txs: int, elapsed: float, force: bool = False):
        now = time.perf_counter()
        if not self.enabled or (not force and now - self.last < 0.1):
            return
        self.last = now
        frac = min(done_bytes / self.total, 1.0)
        bar = "#" * int(frac * 30)
        rate = txs / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(f"\r[{bar:<30}] {frac:6.1%} {blocks} blocks {txs} tx {rate:,.0f} tx/s")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")


@C.guarded(CMD)
def run(args) -> int:
    from .chainfile import read_chain
    from .format import MAGIC

    clock = C.Clock()
    v = _make_validator(args)
    size = C.check_input(args.chain)
    clock.lap("set-up")
    _warm_up(args.suite, v.threads)
    clock.lap("kernel warm-up")

    progress = _Progress(size)
    failures: Counter = Counter()
    invalid_blocks: list[dict] = []
    blocks = txs = 0
    with C.open_input(args.chain) as f, clock.work() as watch:
        t_work = time.perf_counter()
        try:
            for report in v.validate_chain(read_chain(f, MAGIC)):
                if not report.ok:
                    failures.update(report.codes())
                    invalid_blocks.append({"block": blocks, **report.to_dict()})
                blocks += 1
                txs += report.tx_count
                progress.update(f.tell(), blocks, txs, time.perf_counter() - t_work)
        except (OSError, LedgervalError) as exc:
            progress.close()
            raise C.Unusable(args.chain, f"{exc} (after {blocks} blocks)" if blocks else str(exc)) from None
    elapsed = watch.seconds
    progress.update(size, blocks, txs, elapsed, force=True)
    progress.close()

    skips = [] if v.validators else [C.Skip("commit_signatures", blocks, "blocks", "no --validators-file")]
    code = C.exit_code(bool(invalid_blocks), skips, args.strict)
    summary = {"chain": args.chain, "suite": args.suite, "blocks": blocks, "transactions": txs,
               "seconds": elapsed, "tx_per_s": C.rate(txs, elapsed), **clock.to_dict(),
               "invalid_blocks": len(invalid_blocks), "failures": dict(failures),
               "skipped": [s.to_dict() for s in skips if s.count], "strict": args.strict, "exit": code}
    if args.json:
        json.dump({**summary, "invalid": invalid_blocks}, sys.stdout, indent=1)
        print()
        return code
    print(f"{blocks} blocks, {txs} transactions validated in {elapsed:.3f} s "
          f"({summary['tx_per_s'] or 0:,.0f} tx/s)")
    print(clock.startup_line())
    if failures:
        print(f"{len(invalid_blocks)} invalid blocks; failures by code:")
        for code_name, count in sorted(failures.items()):
            print(f"  {code_name:24} {count}")
        C.print_limited((f"  block {blk['block']}: {e['code']}"
                         f"{'' if e['index'] is None else ' [' + str(e['index']) + ']'}: {e['detail']}"
                         for blk in invalid_blocks for e in blk["errors"]), args.max_errors)
    C.print_verdict("all blocks valid", bool(invalid_blocks), skips, args.strict)
    return code
