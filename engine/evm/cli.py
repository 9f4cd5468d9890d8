"""``ledgerval evm-validate``: validate EVM blocks (JSON-RPC objects or RLP); exit 0 when every block is
valid, 1 when one is invalid, 2 when one cannot be read."""
from __future__ import annotations

import json
import string
import sys

_HEX = frozenset(string.hexdigits.encode() + b" \r\n\t")


def register(sub) -> None:
    p = sub.add_parser("evm-validate", help="validate EVM blocks (eth_getBlockByNumber JSON or RLP)",
                       description="Validate Ethereum-format blocks: transaction encodings and hashes, "
                                   "senders, low S, chain id, the transactions and withdrawals roots and "
                                   "the header hash. Exit status: 0 all valid, 1 some invalid, 2 unreadable.")
    p.add_argument("blocks", nargs="+", metavar="BLOCK",
                   help="a block: eth_getBlockByNumber(n, true) JSON, or RLP (raw, or hex text)")
    p.add_argument("--chain-id", type=int, default=None, help="every EIP-155 or typed transaction must carry it")
    p.add_argument("--threads", type=int, default=None, help="threads (default: every core)")
    p.add_argument("--json", action="store_true", help="print the reports as JSON (a list, one per block)")
    p.set_defaults(func=run)


def read_block(path: str):
    """JSON text (str) or RLP bytes, from a file of JSON, raw RLP or RLP in hex (0x optional)."""
    with open(path, "rb") as f:
        data = f.read()
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return data.decode("utf-8")
    text = data.strip()
    if text[:2] in (b"0x", b"0X"):
        text = text[2:]
    if text and all(b in _HEX for b in text):
        return bytes.fromhex(text.decode("ascii"))
    return data


def run(args) -> int:
    from ..errors import LedgervalError
    from . import validate_block

    status, out = 0, []
    for path in args.blocks:
        try:
            rep = validate_block(read_block(path), chain_id=args.chain_id, threads=args.threads)
        except (OSError, ValueError, TypeError, LedgervalError) as e:
            print(f"error: cannot read {path}: {e}", file=sys.stderr)
            status = 2
            out.append({"file": path, "ok": False, "unreadable": str(e)})
            continue
        if not rep.ok and status == 0:
            status = 1
        if args.json:
            out.append({"file": path, **rep.to_json()})
        else:
            _print_summary(path, rep)
    if args.json:
        print(json.dumps(out, indent=2))
    return status


def _print_summary(path: str, rep) -> None:
    h = "0x" + rep.header_hash.hex() if rep.header_hash else "?"
    print(f"{path}: block {rep.number if rep.number is not None else '?'} {h}: {'VALID' if rep.ok else 'INVALID'}")
    mark = {True: "ok", False: "FAIL", None: "-"}
    print(f"  fork {rep.fork or '?'}, {len(rep.senders)} transactions, {rep.signatures_checked} signatures "
          f"recovered; tx root {mark[rep.tx_root_ok]}, withdrawals root {mark[rep.withdrawals_root_ok]}, "
          f"header hash {mark[rep.header_hash_ok]}")
    for a in rep.authorizations:
        who = "0x" + a.signer.hex() if a.signer else "skipped (invalid signature)"
        print(f"  tx {a.tx_index} authorization {a.auth_index}: signer {who}")
    for e in rep.errors[:50]:
        where = "" if e.tx_index is None else f" [tx {e.tx_index}]"
        print(f"  error {e.code}{where}: {e.detail}")
    if len(rep.errors) > 50:
        print(f"  ... {len(rep.errors) - 50} more errors")
