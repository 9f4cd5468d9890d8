"""kernels/bitcoin_sigops.py against the Python reference (engine.bitcoin.script.legacy_sigop_count): per
script on random and edge-case scripts, and per block on the stored Bitcoin blocks and built ones."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.bitcoin.build import ser_tx
from ledgerval.bitcoin.checkblock import _legacy_sigops
from ledgerval.bitcoin.script import legacy_sigop_count
from ledgerval.bitcoin.wire import BlockParser, Malformed
from ledgerval.kernels.bitcoin_sigops import block_sigops, script_sigops

BTC = Path(__file__).resolve().parents[1].parent / "shared" / "vectors" / "bitcoin"

# opcodes that matter to the count, pushes of every form (some truncated), and filler
_ops = st.sampled_from([0xAC, 0xAD, 0xAE, 0xAF, 0x00, 0x01, 0x02, 0x4B, 0x4C, 0x4D, 0x4E, 0x51, 0x76, 0xA9,
                        0x87, 0x88, 0xFF])
_scripts = st.lists(st.one_of(_ops, st.integers(0, 255)), max_size=80).map(bytes)


def _kernel_count(script: bytes) -> int:
    return script_sigops(np.frombuffer(script + b"\0", dtype=np.uint8), 0, len(script))


@settings(max_examples=400, deadline=None)
@given(_scripts)
def test_script_count_matches_the_reference(script):
    assert _kernel_count(script) == legacy_sigop_count(script)


@pytest.mark.parametrize("script, want", [
    (b"", 0), (b"\xac", 1), (b"\xae", 20), (b"\xad\xaf", 21), (b"\x02\xac", 0), (b"\x02\xac\xac\xac", 1),
    (b"\x4c", 0), (b"\x4c\x01\xac\xac", 1), (b"\x4d\x01\x00\xac\xac", 1), (b"\x4d\x01", 0),
    (b"\x4e\x01\x00\x00\x00\xac\xae", 20), (b"\xac\x4e\x05\x00\x00\x00\xac", 1),
    (b"\x76\xa9\x14" + bytes(20) + b"\x88\xac", 1)])
def test_script_edge_cases(script, want):
    assert legacy_sigop_count(script) == want
    assert _kernel_count(script) == want


def _block_both(raw: bytes) -> tuple[int, int]:
    p = BlockParser(raw)
    p.parse_until(len(raw))
    txs = p.block.txs
    lo = np.asarray(p.starts, dtype=np.int64)
    hi = lo + np.array([len(tx.raw) for tx in txs], dtype=np.int64)
    seg = np.array([tx.has_witness for tx in txs], dtype=bool)
    fast = block_sigops(np.frombuffer(raw, dtype=np.uint8), lo, hi, seg)
    assert fast == _legacy_sigops(txs, raw, p.starts)   # what check_structure uses
    return fast, _legacy_sigops(txs, None, None)


def _stored_blocks() -> list[bytes]:
    out = [p.read_bytes() for p in sorted(BTC.glob("*.raw"))]
    for name in ("checkblock_valid.json", "checkblock_invalid.json"):
        for row in json.loads((BTC / name).read_text()):
            if len(row) == 5 and not row[1]:  # [comment, fHeader, fCheckPow, cur_time, block hex]
                out.append(bytes.fromhex(row[4]))
    return out


@pytest.mark.skipif(not (BTC / "block277647.raw").exists(), reason="shared/vectors/bitcoin is absent")
def test_stored_blocks_count_as_the_reference():
    counted = 0
    for raw in _stored_blocks():
        try:
            fast, ref = _block_both(raw)
        except Malformed:   # an invalid vector that does not parse has no count to compare
            continue
        assert fast == ref
        counted += 1
    assert counted >= 5


def _block(txs: list[bytes]) -> bytes:
    return bytes(80) + bytes([len(txs)]) + b"".join(txs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(_scripts, min_size=1, max_size=4), st.lists(_scripts, max_size=4),
                          st.booleans()), min_size=1, max_size=5))
def test_built_blocks_count_as_the_reference(spec):
    txs = []
    for sigs, spks, segwit in spec:
        vin = [(bytes(32), i, s, 0xFFFFFFFF) for i, s in enumerate(sigs)]
        vout = [(1000, s) for s in spks]
        wit = [[b"\x01"] for _ in sigs] if segwit else None
        txs.append(ser_tx(1, vin, vout, 0, wit))
    fast, ref = _block_both(_block(txs))
    assert fast == ref


def test_spans_outside_the_buffer_raise():
    raw = np.zeros(20, dtype=np.uint8)
    with pytest.raises(ValueError):
        block_sigops(raw, np.array([15]), np.array([30]), np.array([False]))
