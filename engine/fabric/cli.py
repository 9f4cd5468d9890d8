"""``ledgerval fabric-validate``: validate Fabric block store files or ``common.Block`` protobufs.  Follows
the CLI contract of ``ledgerval.cli_common``: exit 0 all valid, 1 some invalid (or, under ``--strict``, some
identity check skipped), 2 unusable input (missing, empty, not framed as a block file) or the ``fabric``
extra missing, with one line naming the file."""
from __future__ import annotations

import json

from ..cli_common import (
    Skip,
    Unusable,
    add_report_arguments,
    check_input,
    exit_code,
    guarded,
    print_limited,
    print_verdict,
)


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
    add_report_arguments(p, json_help="print the reports as JSON")
    p.set_defaults(func=run)


def _is_block_pb(path: str) -> bool:
    return path.endswith((".pb", ".block"))


def _reports(files: list[str], threads, where: list):
    """Reports in order; ``where[0]`` names the file being read, for the message if reading fails."""
    from . import validate_block, validate_ledger

    ledger: list[str] = []
    prev = None
    for f in files + [None]:
        if f is not None and not _is_block_pb(f):
            ledger.append(f)
            continue
        if ledger:
            where[0] = ledger[0] if len(ledger) == 1 else ", ".join(ledger)
            yield from validate_ledger(ledger, threads=threads)
            ledger = []
        if f is not None:
            where[0] = f
            with open(f, "rb") as fh:
                data = fh.read()
            yield validate_block(data, prev, threads=threads)
            prev = data


@guarded("fabric-validate")
def run(args) -> int:
    try:
        import cryptography  # noqa: F401
        import google.protobuf  # noqa: F401
    except ImportError as e:
        raise Unusable(None, f"needs the fabric extra ({e.name} is missing): pip install 'ledgerval[fabric]'") \
            from None
    from ..errors import LedgervalError

    for f in args.files:
        check_input(f)          # missing, a directory, empty: exit 2 before any work
    reports = []
    where: list = [None]
    try:
        reports.extend(_reports(args.files, args.threads, where))
    except (OSError, ValueError, LedgervalError) as e:
        raise Unusable(where[0], f"not a readable Fabric block file or block: {e}") from None
    by_code: dict[str, int] = {}
    for r in reports:
        for e in r.errors:
            by_code[e.code] = by_code.get(e.code, 0) + 1
    skips = [Skip("identity_checks", sum(r.identities_skipped for r in reports), "signers",
                  "no config block precedes these blocks: the ledger does not start at genesis")]
    summary = {"blocks": len(reports), "valid": sum(r.ok for r in reports),
               "transactions": sum(r.n_tx for r in reports),
               "signatures_checked": sum(r.signatures_checked for r in reports),
               "signatures_failed": sum(r.signatures_failed for r in reports),
               "identities_checked": sum(r.identities_checked for r in reports),
               "identities_skipped": sum(r.identities_skipped for r in reports),
               "errors_by_code": by_code, "skipped": [s.to_dict() for s in skips if s.count]}
    invalid = not all(r.ok for r in reports)
    code = exit_code(invalid, skips, args.strict)
    if args.json:
        summary["exit"] = code
        print(json.dumps({"summary": summary, "blocks": [r.to_dict() for r in reports]}, indent=2))
    else:
        _print(reports, summary, args.max_errors)
        print_verdict("all blocks valid", invalid, skips, args.strict)
    return code


def _print(reports, s: dict, max_errors: int) -> None:
    lines = []
    for r in reports:
        for e in r.errors:
            where = "" if e.tx_index is None else f" [tx {e.tx_index}]"
            lines.append(f"  block {r.number if r.number is not None else '?'}: {e.code}{where}: {e.detail}")
    print_limited(lines, max_errors)
    print(f"{s['blocks']} blocks ({s['valid']} valid), {s['transactions']} transactions; signatures checked "
          f"{s['signatures_checked']}, failed {s['signatures_failed']}; identities checked "
          f"{s['identities_checked']}, skipped {s['identities_skipped']}")
    for code, n in sorted(s["errors_by_code"].items()):
        print(f"  {code}: {n}")
