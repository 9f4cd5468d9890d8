"""``ledgerval fabric-validate``: validate Fabric block store files or ``common.Block`` protobufs; exit 0 all
valid, 1 some invalid, 2 unreadable input (or the ``fabric`` extra missing)."""
from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("fabric-validate", help="validate a Hyperledger Fabric ledger (block files or blocks)",
                       description="Validate Hyperledger Fabric blocks: hash links, canonical envelopes, every "
                                   "creator, endorsement and orderer signature, and the signers' certificates "
                                   "against the channel's MSPs. Block store files (blockfile_000000...) are "
                                   "read in the order given; a file ending in .pb or .block is one "
                                   "common.Block protobuf (as `peer channel fetch` writes it). "
                                   "Exit status: 0 all valid, 1 some invalid, 2 unreadable input.")
    p.add_argument("files", nargs="+", metavar="BLOCKFILE|BLOCK.pb", help="block store files or block protobufs")
    p.add_argument("--threads", type=int, default=None, help="threads (default: every core)")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    p.set_defaults(func=run)


def _is_block_pb(path: str) -> bool:
    return path.endswith((".pb", ".block"))


def _reports(files: list[str], threads):
    from . import validate_block, validate_ledger

    ledger: list[str] = []
    prev = None
    for f in files + [None]:
        if f is not None and not _is_block_pb(f):
            ledger.append(f)
            continue
        if ledger:
            yield from validate_ledger(ledger, threads=threads)
            ledger = []
        if f is not None:
            with open(f, "rb") as fh:
                data = fh.read()
            yield validate_block(data, prev, threads=threads)
            prev = data


def run(args) -> int:
    try:
        import cryptography  # noqa: F401
        import google.protobuf  # noqa: F401
    except ImportError as e:
        print(f"error: fabric-validate needs the fabric extra ({e.name} is missing): "
              f"pip install 'ledgerval[fabric]'", file=sys.stderr)
        return 2
    from ..errors import LedgervalError

    reports = []
    unreadable = None
    try:
        reports.extend(_reports(args.files, args.threads))  # keeps the reports made before an error
    except (OSError, ValueError, LedgervalError) as e:
        unreadable = str(e)
    by_code: dict[str, int] = {}
    for r in reports:
        for e in r.errors:
            by_code[e.code] = by_code.get(e.code, 0) + 1
    summary = {"blocks": len(reports), "valid": sum(r.ok for r in reports),
               "transactions": sum(r.n_tx for r in reports),
               "signatures_checked": sum(r.signatures_checked for r in reports),
               "signatures_failed": sum(r.signatures_failed for r in reports),
               "identities_checked": sum(r.identities_checked for r in reports),
               "identities_skipped": sum(r.identities_skipped for r in reports),
               "errors_by_code": by_code, "unreadable": unreadable}
    if args.json:
        print(json.dumps({"summary": summary, "blocks": [r.to_dict() for r in reports]}, indent=2))
    else:
        _print(reports, summary)
    if unreadable is not None:
        if not args.json:
            print(f"error: cannot read input: {unreadable}", file=sys.stderr)
        return 2
    return 0 if all(r.ok for r in reports) else 1


def _print(reports, s: dict) -> None:
    shown = 0
    for r in reports:
        if r.ok:
            continue
        print(f"block {r.number if r.number is not None else '?'}: INVALID")
        for e in r.errors:
            if shown < 50:
                where = "" if e.tx_index is None else f" [tx {e.tx_index}]"
                print(f"  {e.code}{where}: {e.detail}")
            shown += 1
    if shown > 50:
        print(f"  ... {shown - 50} more errors")
    print(f"{s['blocks']} blocks ({s['valid']} valid), {s['transactions']} transactions; signatures checked "
          f"{s['signatures_checked']}, failed {s['signatures_failed']}; identities checked "
          f"{s['identities_checked']}, skipped {s['identities_skipped']}")
    if s["identities_skipped"]:
        print("  identities skipped: no config block precedes these blocks (the ledger does not start at genesis)")
    for code, n in sorted(s["errors_by_code"].items()):
        print(f"  {code}: {n}")
