"""``ledgerval bitcoin-validate``: validate one Bitcoin block; exit 0 valid, 1 invalid, 2 unreadable input."""
from __future__ import annotations

import json
import string
import sys

_HEX = frozenset(string.hexdigits.encode() + b" \r\n\t")


def register(sub) -> None:
    p = sub.add_parser("bitcoin-validate", help="validate a Bitcoin block (raw or hex)",
                       description="Validate one serialized Bitcoin block: proof of work, Merkle root, "
                                   "CheckBlock rules and the signatures of standard inputs. "
                                   "Exit status: 0 valid, 1 invalid, 2 unreadable input.")
    p.add_argument("block", help="the block as raw bytes, or as hex text")
    p.add_argument("--prevouts", help="JSON-lines file of the outputs the block spends")
    p.add_argument("--threads", type=int, default=None, help="threads (default: every core)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def _read_block(path: str) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    if data and all(b in _HEX for b in data[:4096]) and all(b in _HEX for b in data):
        return bytes.fromhex(data.decode("ascii"))
    return data


def run(args) -> int:
    from ..errors import LedgervalError
    from . import load_prevouts, validate_block

    try:
        raw = _read_block(args.block)
        prevouts = load_prevouts(args.prevouts) if args.prevouts else None
    except (OSError, ValueError, LedgervalError) as e:
        print(f"error: cannot read input: {e}", file=sys.stderr)
        return 2
    try:
        rep = validate_block(raw, prevouts, threads=args.threads)
    except LedgervalError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rep.to_dict(), indent=2))
    else:
        _print_summary(rep)
    return 0 if rep.ok else 1


def _print_summary(rep) -> None:
    print(f"block {rep.block_hash or '?'}: {'VALID' if rep.ok else 'INVALID'}")
    print(f"  {rep.n_tx} transactions, {rep.n_inputs} inputs; pow {'ok' if rep.pow_ok else 'FAIL'}, "
          f"merkle {'ok' if rep.merkle_ok else 'FAIL'}{' (mutated)' if rep.mutated else ''}")
    print(f"  inputs checked {rep.inputs_checked}, signatures checked {rep.sigs_checked}, "
          f"failed {rep.sigs_failed}, inputs skipped {rep.inputs_skipped}")
    if not rep.prevouts_used:
        print(f"  no prevouts: {rep.implied_scripts} inputs checked against the script their scriptSig implies")
    for reason, n in sorted(rep.skipped_reasons.items()):
        print(f"  skipped {n}: {reason}")
    for e in rep.errors[:50]:
        where = ""
        if e.tx_index is not None:
            where = f" [tx {e.tx_index}" + ("" if e.input_index is None else f" input {e.input_index}") + "]"
        print(f"  error {e.code}{where}: {e.detail}")
    if len(rep.errors) > 50:
        print(f"  ... {len(rep.errors) - 50} more errors")
