"""``ledgerval validate``: validate a chain file; exit 0 all valid, 1 some invalid, 2 unreadable input."""
from __future__ import annotations

import json
import sys
import time
from collections import Counter

from .suites import SUITES


def register(sub) -> None:
    p = sub.add_parser("validate", help="validate a chain file (.lvc)",
                       description="Validate every block of a chain file, each linked to the one before. "
                                   "Exit status: 0 all valid, 1 some block invalid, 2 unreadable input.")
    p.add_argument("chain", help="chain file (.lvc)")
    p.add_argument("--suite", required=True, choices=SUITES)
    p.add_argument("--validators-file", help="JSON validator key file (as written by `ledgerval gen`)")
    p.add_argument("--chain-id", type=int, default=None, help="expected chain id (default: the key file's, or 0)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: every core)")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of the summary")
    p.set_defaults(func=run)


def _load_validators(path: str):
    with open(path) as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("validators"), list):
        raise ValueError("expected an object with a 'validators' list of hex public keys")
    keys = [bytes.fromhex(k) for k in doc["validators"]]
    return keys, doc.get("threshold"), doc.get("chain_id", 0), doc.get("weights")


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


def run(args) -> int:
    import os

    from .chainfile import read_chain
    from .errors import LedgervalError
    from .validator import Validator

    validators, threshold, chain_id, weights = [], None, 0, None
    try:
        if args.validators_file:
            validators, threshold, chain_id, weights = _load_validators(args.validators_file)
        if args.chain_id is not None:
            chain_id = args.chain_id
        v = Validator(args.suite, chain_id=chain_id, validators=validators, threshold=threshold,
                      threads=args.threads, weights=weights)
        size = os.path.getsize(args.chain)
        f = open(args.chain, "rb")
    except (OSError, ValueError, LedgervalError) as exc:
        print(f"ledgerval validate: {exc}", file=sys.stderr)
        return 2

    progress = _Progress(size)
    failures: Counter = Counter()
    invalid_blocks: list[dict] = []
    blocks = txs = 0
    start = time.perf_counter()
    try:
        with f:
            for report in v.validate_chain(read_chain(f)):
                if not report.ok:
                    failures.update(report.codes())
                    invalid_blocks.append({"block": blocks, **report.to_dict()})
                blocks += 1
                txs += report.tx_count
                progress.update(f.tell(), blocks, txs, time.perf_counter() - start)
    except (OSError, LedgervalError) as exc:
        progress.close()
        print(f"ledgerval validate: unreadable input after {blocks} blocks: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    progress.update(size, blocks, txs, elapsed, force=True)
    progress.close()
    summary = {"chain": args.chain, "suite": args.suite, "blocks": blocks, "transactions": txs,
               "seconds": elapsed, "tx_per_s": txs / elapsed if elapsed > 0 else None,
               "invalid_blocks": len(invalid_blocks), "failures": dict(failures)}
    if args.json:
        json.dump({**summary, "invalid": invalid_blocks}, sys.stdout, indent=1)
        print()
    else:
        print(f"{blocks} blocks, {txs} transactions in {elapsed:.2f} s "
              f"({summary['tx_per_s'] or 0:,.0f} tx/s)")
        if failures:
            print(f"{len(invalid_blocks)} invalid blocks; failures by code:")
            for code, count in sorted(failures.items()):
                print(f"  {code:24} {count}")
            for blk in invalid_blocks[:20]:
                for e in blk["errors"][:5]:
                    print(f"  block {blk['block']}: {e['code']}: {e['detail']}")
        else:
            print("all blocks valid")
    return 1 if invalid_blocks else 0
