"""Chains for the audit tests: generated, then tampered so every link rule fires at some partition boundary,
and the serial verdict (``Validator.validate_chain``) the audit must equal."""
from __future__ import annotations

import itertools
import struct

from ledgerval import Validator
from ledgerval.audit.lvb1 import ValidatorSpec, errors_of
from ledgerval.chainfile import read_chain, write_chain
from ledgerval.gen import generate_chain

SUITE = "ed25519-sha256"  # the fastest to sign and verify: the tests are about partitions, not schemes
# LVB1 header field offsets (docs/FORMAT.md): chain_id u32 @6, height u64 @10, timestamp_ms u64 @18,
# prev_hash @26.
CHAIN_AT, HEIGHT_AT, TS_AT, PREV_AT = 6, 10, 18, 26


def _patch(block: bytes, at: int, fmt: str, value) -> bytes:
    b = bytearray(block)
    struct.pack_into(fmt, b, at, value)
    return bytes(b)


def tampered_chain(blocks: int = 14, txs: int = 5, seed: int = 3):
    """A chain with one tampering of each kind; returns (chain, blocks).  Which rules fire where:

    1 wrong chain id (wrong_chain, and its commit fails) and a flipped prev hash (bad_prev_hash after
      wrong_chain: a link error placed after the first error); 2 then fails its prev-hash link to 1.
    3 timestamp before its parent's; 5 height 50 (bad_height at 5 and at 6); 7 does not decode at all
    (malformed; 8 then has no parent); 9 truncated body (malformed, but its header still serves as 10's
    parent); 11 of another suite (wrong_suite; still 12's parent, whose prev hash then does not match).
    Signatures corrupted by the generator add bad_signature errors elsewhere.
    """
    chain = generate_chain(SUITE, blocks=blocks, txs=txs, validators=3, bad_rate=0.08, seed=seed)
    out = list(chain.blocks)
    out[1] = _patch(out[1], CHAIN_AT, "<I", 99)
    out[1] = out[1][:PREV_AT] + bytes([out[1][PREV_AT] ^ 1]) + out[1][PREV_AT + 1:]
    out[3] = _patch(out[3], TS_AT, "<Q", 1)
    out[5] = _patch(out[5], HEIGHT_AT, "<Q", 50)
    out[7] = b"\x00" * 40
    out[9] = out[9][:-7]
    out[11] = generate_chain("secp256k1-sha256", blocks=12, txs=2, seed=seed).blocks[11]
    return chain, out


def write_files(tmp_path, blocks: list[bytes], cuts: tuple[int, ...] = ()) -> list[str]:
    """The blocks as one .lvc file, or split before each index in ``cuts``."""
    bounds = [0, *cuts, len(blocks)]
    paths = []
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        p = tmp_path / f"chain{i}.lvc"
        with open(p, "wb") as f:
            write_chain(f, blocks[a:b])
        paths.append(str(p))
    return paths


def spec_of(chain) -> ValidatorSpec:
    return ValidatorSpec(chain.suite, chain.chain_id, tuple(chain.validators), chain.threshold)


def serial(spec: ValidatorSpec, blocks) -> tuple[list, int]:
    """The serial verdict as audit errors, and the transaction count."""
    v = Validator(spec.suite, chain_id=spec.chain_id, validators=spec.validators, threshold=spec.threshold,
                  threads=1)
    reports = list(v.validate_chain(blocks))
    return [e for k, r in enumerate(reports) for e in errors_of(k, r)], sum(r.tx_count for r in reports)


def serial_errors(spec: ValidatorSpec, blocks) -> list:
    return serial(spec, blocks)[0]


def serial_errors_of_files(spec: ValidatorSpec, paths) -> list:
    def blocks():
        for p in paths:
            with open(p, "rb") as f:
                yield from read_chain(f)
    return serial_errors(spec, blocks())


_shared: list = []


def shared_client(request):
    """One LocalCluster of two workers for every audit test module of the session (each start costs seconds
    of the whole suite's budget), closed when the session ends."""
    if not _shared:
        import contextlib

        from ledgerval.audit import driver

        stack = contextlib.ExitStack()
        _shared.append(stack.enter_context(driver.cluster(None, 2)))
        request.config.add_cleanup(stack.close)
        request.config.add_cleanup(_shared.clear)
    return _shared[0]
