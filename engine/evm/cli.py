"""``ledgerval evm-validate``: validate EVM blocks under the exit-code contract of ``cli_common``.

A file that is not a block at all (missing, empty, not JSON and not RLP, RLP that does not decode, a header
that cannot be read) is an unusable input, exit 2; a block that reads and breaks a rule, including a
transaction inside it that cannot be read (``malformed`` with its index), is invalid, exit 1.  What RLP
input does not state (transaction hashes, senders, the block hash) is a skipped check.
"""
from __future__ import annotations

import json
import string

from .. import cli_common as C

CMD = "evm-validate"
_HEX = (string.hexdigits + " \r\n\t").encode()


def register(sub) -> None:
    p = sub.add_parser(CMD, help="validate EVM blocks (eth_getBlockByNumber JSON or RLP)",
                       description="Validate Ethereum-format blocks: transaction encodings and hashes, "
                                   "senders, low S, chain id, the transactions and withdrawals roots and "
                                   "the header hash. Exit status: 0 all valid, 1 some invalid (or, with "
                                   "--strict, a check skipped), 2 unusable input.")
    p.add_argument("blocks", nargs="+", metavar="BLOCK",
                   help="a block: eth_getBlockByNumber(n, true) JSON, or RLP (raw, or hex text)")
    p.add_argument("--chain-id", type=int, default=None, help="every EIP-155 or typed transaction must carry it")
    p.add_argument("--threads", type=int, default=None, help="threads (default: every core)")
    C.add_report_arguments(p, json_help="print the reports as JSON")
    p.set_defaults(func=run)


def read_block(path: str):
    """JSON text (str) or RLP bytes, from a file of JSON, raw RLP or RLP in hex (0x optional)."""
    data = C.read_input(path)
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise C.Unusable(path, "not an EVM block: JSON that is not UTF-8 text") from None
    text = data.strip()
    text = text[2:] if text[:2] in (b"0x", b"0X") else text
    if text and not text.translate(None, _HEX):   # only hex digits and white space
        try:
            return bytes.fromhex(text.decode("ascii"))
        except ValueError as exc:
            raise C.Unusable(path, f"not an EVM block: hex text that does not decode ({exc})") from None
    return data


# EIP-155's published example transaction, in a block of its own: warm-up only (the block is not valid)
_WARM_TX = ("f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340b"
            "d939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc"
            "64214b297fb1966a3b6d83")


def _warm_up(threads: int | None) -> None:
    """Load the kernels (recovery, key decompression, Keccak) on a one-transaction block, so that start-up is
    timed apart from the blocks."""
    from . import validate_block
    from .rlp import enc_bytes, enc_list

    header = [bytes(32), bytes(32), bytes(20), bytes(32), bytes(32), bytes(32), bytes(256), b"", b"\x01", b"",
              b"", b"", b"", bytes(32), bytes(8)]
    block = enc_list(enc_list(b"".join(map(enc_bytes, header))) + enc_list(bytes.fromhex(_WARM_TX)) + b"\xc0")
    validate_block(block, threads=threads)


def _skips(reports) -> list[C.Skip]:
    total = {k: sum(r.unstated[k] for _, r in reports) for k in ("tx_hash", "sender", "header_hash")}
    return [
        C.Skip("transaction_hashes", total["tx_hash"], "transactions", "the input states no hash to compare "
               "with (RLP): hashes computed and reported"),
        C.Skip("sender_comparisons", total["sender"], "transactions", "the input states no `from` (RLP): "
               "senders recovered and reported"),
        C.Skip("block_hash", total["header_hash"], "blocks", "the input states no block hash (RLP): the "
               "header's hash computed and reported"),
    ]


@C.guarded(CMD)
def run(args) -> int:
    from ..errors import LedgervalError
    from . import validate_block

    if args.chain_id is not None and args.chain_id < 0:
        raise C.Unusable(None, f"--chain-id must be >= 0, got {args.chain_id}")
    clock = C.Clock()
    inputs = [(path, read_block(path)) for path in args.blocks]
    clock.lap("reading input")
    _warm_up(args.threads)
    clock.lap("kernel warm-up")
    reports = []
    with clock.work() as watch:
        for path, data in inputs:
            try:
                rep = validate_block(data, chain_id=args.chain_id, threads=args.threads)
            except LedgervalError as exc:
                raise C.Unusable(path, f"not an EVM block: {exc}") from None
            unreadable = [e for e in rep.errors if e.code == "malformed" and e.tx_index is None]
            if unreadable:
                raise C.Unusable(path, f"not an EVM block: {unreadable[0].detail}")
            reports.append((path, rep))
    invalid = any(not r.ok for _, r in reports)
    skips = _skips(reports)
    code = C.exit_code(invalid, skips, args.strict)
    n_tx = sum(len(r.senders) for _, r in reports)
    if args.json:
        print(json.dumps({"blocks": [{"file": p, **r.to_json()} for p, r in reports], "seconds": watch.seconds,
                          "tx_per_s": C.rate(n_tx, watch.seconds), **clock.to_dict(),
                          "skipped": [s.to_dict() for s in skips if s.count], "strict": args.strict,
                          "exit": code}, indent=2))
        return code
    mark = {True: "ok", False: "FAIL", None: "-"}
    for path, rep in reports:
        h = "0x" + rep.header_hash.hex()
        print(f"{path}: block {rep.number} {h}: {'VALID' if rep.ok else 'INVALID'}")
        print(f"  fork {rep.fork}, {len(rep.senders)} transactions, {rep.signatures_checked} signatures "
              f"recovered; tx root {mark[rep.tx_root_ok]}, withdrawals root {mark[rep.withdrawals_root_ok]}, "
              f"header hash {mark[rep.header_hash_ok]}")
        for a in rep.authorizations:
            who = "0x" + a.signer.hex() if a.signer else "skipped (invalid signature)"
            print(f"  tx {a.tx_index} authorization {a.auth_index}: signer {who}")
        C.print_limited((f"  error {e.code}{'' if e.tx_index is None else f' [tx {e.tx_index}]'}: {e.detail}"
                         for e in rep.errors), args.max_errors)
    print(f"  validated {len(reports)} blocks in {watch.seconds:.3f} s ({C.rate(n_tx, watch.seconds) or 0:,.0f} tx/s)")
    print(f"  {clock.startup_line()}")
    C.print_verdict("all blocks valid", invalid, skips, args.strict)
    return code
