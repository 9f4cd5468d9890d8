"""``ledgerval bitcoin-validate``: validate one Bitcoin block under the exit-code contract of ``cli_common``.

Bytes that do not deserialize as a block (empty, truncated, random, trailing bytes) are an unusable input,
exit 2; a block that deserializes and breaks a rule is invalid, exit 1.  Inputs whose script could not be
known, and inputs checked against the script their scriptSig implies (no prevouts), are skipped checks.
"""
from __future__ import annotations

import json
import string

from .. import cli_common as C

CMD = "bitcoin-validate"
_HEX = (string.hexdigits + " \r\n\t").encode()


def register(sub) -> None:
    p = sub.add_parser("bitcoin-validate", help="validate a Bitcoin block (raw or hex)",
                       description="Validate one serialized Bitcoin block: proof of work, Merkle root, "
                                   "CheckBlock rules and the signatures of standard inputs. "
                                   "Exit status: 0 valid, 1 invalid (or, with --strict, an input not fully "
                                   "checked), 2 unusable input.")
    p.add_argument("block", help="the block as raw bytes, or as hex text")
    p.add_argument("--prevouts", help="JSON-lines file of the outputs the block spends")
    p.add_argument("--threads", type=int, default=None, help="threads (default: every core)")
    C.add_report_arguments(p, json_help="print the report as JSON")
    p.set_defaults(func=run)


def _read_block(path: str) -> bytes:
    data = C.read_input(path)
    if not data.translate(None, _HEX):  # only hex digits and white space
        try:
            return bytes.fromhex(data.decode("ascii"))
        except ValueError as exc:
            raise C.Unusable(path, f"not a Bitcoin block: hex text that does not decode ({exc})") from None
    return data


def _read_prevouts(path: str) -> tuple[dict, bool]:
    """(prevouts, whether the file holds none); a line that is not a record is ``Unusable`` naming it."""
    from ..errors import InvalidArgument
    from . import load_prevouts

    C.check_input(path, allow_empty=True)
    try:
        prevouts = load_prevouts(path)
    except InvalidArgument as exc:
        raise C.Unusable(path, "line " + str(exc).removeprefix(f"{path}:")) from None
    except UnicodeDecodeError:
        raise C.Unusable(path, "not a prevouts file: not UTF-8 text") from None
    except OSError as exc:
        raise C.Unusable(path, C.os_reason(exc)) from None
    return prevouts, not prevouts


def _warm_up(threads: int | None):
    """Validate a built two-transaction block spending one P2PKH output, so that loading the kernels is
    timed as start-up, not as part of the block."""
    from . import validate_block
    from .build import block, coinbase, pubkey, ser_tx, sign
    from .script import hash160, p2pkh_script, push_script
    from .sighash import legacy_sighash
    from .wire import parse_transaction

    secret, prev_txid = 0x5EED, bytes(range(32))
    key = pubkey(secret)
    spk = p2pkh_script(hash160(key))
    unsigned = parse_transaction(ser_tx(1, [(prev_txid, 0, b"", 0xFFFFFFFF)], [(1, spk)]))
    script_sig = push_script(sign(secret, legacy_sighash(unsigned, 0, spk, 1))) + push_script(key)
    tx = ser_tx(1, [(prev_txid, 0, script_sig, 0xFFFFFFFF)], [(1, spk)])
    return validate_block(block([coinbase(), tx]), {(prev_txid[::-1].hex(), 0): (1, spk)}, threads=threads,
                          check_pow=False)


def _skips(rep, prevouts_empty: bool) -> list[C.Skip]:
    skips = []
    for reason, n in sorted(rep.skipped_reasons.items()):
        why = f"{reason}; the --prevouts file is empty" if prevouts_empty and reason == "prevout_missing" else reason
        skips.append(C.Skip("signatures", n, "inputs", why))
    if not rep.prevouts_used and rep.implied_scripts:
        skips.append(C.Skip("prevout_scripts", rep.implied_scripts, "inputs",
                            "no --prevouts: inputs checked against the script their scriptSig implies"))
    return skips


@C.guarded(CMD)
def run(args) -> int:
    from . import report as R
    from . import validate_block

    clock = C.Clock()
    raw = _read_block(args.block)
    prevouts, prevouts_empty = _read_prevouts(args.prevouts) if args.prevouts else (None, False)
    clock.lap("reading input")
    _warm_up(args.threads)
    clock.lap("kernel warm-up")
    with clock.work() as watch:
        rep = validate_block(raw, prevouts, threads=args.threads)
    malformed = [e for e in rep.errors if e.code == R.MALFORMED]
    if malformed:
        if args.json:
            print(json.dumps({**rep.to_dict(), "exit": C.EXIT_UNUSABLE}, indent=2))
        return C.fail(CMD, args.block, f"not a Bitcoin block: {malformed[0].detail}")
    skips = _skips(rep, prevouts_empty)
    code = C.exit_code(not rep.ok, skips, args.strict)
    if args.json:
        print(json.dumps({**rep.to_dict(), "seconds": watch.seconds, "tx_per_s": C.rate(rep.n_tx, watch.seconds),
                          **clock.to_dict(), "skipped": [s.to_dict() for s in skips], "strict": args.strict,
                          "exit": code}, indent=2))
    else:
        _print_summary(rep, skips, watch.seconds, clock, args)
    return code


def _print_summary(rep, skips, seconds: float, clock, args) -> None:
    print(f"block {rep.block_hash or '?'}: {'VALID' if rep.ok else 'INVALID'}")
    print(f"  {rep.n_tx} transactions, {rep.n_inputs} inputs; pow {'ok' if rep.pow_ok else 'FAIL'}, "
          f"merkle {'ok' if rep.merkle_ok else 'FAIL'}{' (mutated)' if rep.mutated else ''}")
    print(f"  inputs checked {rep.inputs_checked}, signatures checked {rep.sigs_checked}, "
          f"failed {rep.sigs_failed}, inputs skipped {rep.inputs_skipped}")
    print(f"  validated in {seconds:.3f} s ({C.rate(rep.n_tx, seconds) or 0:,.0f} tx/s)")
    print(f"  {clock.startup_line()}")

    def lines():
        for e in rep.errors:
            where = ""
            if e.tx_index is not None:
                where = f" [tx {e.tx_index}" + ("" if e.input_index is None else f" input {e.input_index}") + "]"
            yield f"  error {e.code}{where}: {e.detail}"

    C.print_limited(lines(), args.max_errors)
    C.print_verdict("  block valid", not rep.ok, skips, args.strict)

