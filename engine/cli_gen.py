"""``ledgerval gen``: write a generated chain file and its validator key file (exit 2 naming the path when
one cannot be written, see ``cli_common``)."""
from __future__ import annotations

import json

from . import cli_common as C
from .suites import SUITES

CMD = "gen"


def validators_path(chain_path: str) -> str:
    return chain_path + ".validators.json"


def register(sub) -> None:
    p = sub.add_parser("gen", help="generate a signed test chain (.lvc)",
                       description="Generate a deterministic, signed LVB1 chain for testing and benchmarks. "
                                   "Writes OUT and OUT.validators.json (validator public keys).")
    p.add_argument("--suite", required=True, choices=SUITES)
    p.add_argument("--blocks", type=int, required=True)
    p.add_argument("--txs", type=int, required=True, help="transactions per block")
    p.add_argument("--validators", type=int, default=4, help="validators signing each commit (default 4)")
    p.add_argument("--bad-rate", type=float, default=0.0, help="fraction of transactions to corrupt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--payload-size", type=int, default=64)
    p.add_argument("--chain-id", type=int, default=0)
    p.add_argument("-o", "--output", required=True, help="chain file to write")
    p.set_defaults(func=run)


@C.guarded(CMD)
def run(args) -> int:
    from .chainfile import write_chain
    from .gen import generate_chain

    keyfile = validators_path(args.output)
    for path in (args.output, keyfile):  # before the work, not after it
        C.check_output(path)
    chain = generate_chain(args.suite, blocks=args.blocks, txs=args.txs, validators=args.validators,
                           bad_rate=args.bad_rate, seed=args.seed, payload_size=args.payload_size,
                           chain_id=args.chain_id)
    try:
        with C.open_output(args.output) as f:
            write_chain(f, chain.blocks)
        with C.open_output(keyfile, "w") as f:
            json.dump({"suite": chain.suite, "chain_id": chain.chain_id,
                       "validators": [k.hex() for k in chain.validators], "threshold": chain.threshold},
                      f, indent=1)
    except OSError as exc:  # a full disk, a quota: found while writing
        raise C.Unusable(exc.filename or args.output, f"cannot write: {C.os_reason(exc)}") from None
    print(f"wrote {len(chain.blocks)} blocks, {chain.tx_count} transactions of {args.suite} to {args.output}")
    print(f"validator public keys: {keyfile}")
    if chain.corrupted:
        print(f"corrupted {len(chain.corrupted)} transactions (block, tx, expected error):")
        for b, i, code in chain.corrupted:
            print(f"  block {b} tx {i}: {code}")
    else:
        print("corrupted no transactions")
    return 0
