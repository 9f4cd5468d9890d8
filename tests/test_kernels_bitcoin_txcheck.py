"""kernels/bitcoin_txcheck.py against the Python reference (engine.bitcoin.checkblock._check_transaction):
on built blocks whose transactions break each CheckTransaction rule (hypothesis), every transaction the
reference reports is marked, and check_structure reports the same with the scan's columns as without; the
same on the stored Bitcoin blocks."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kernels_bitcoin_sigops import _stored_blocks  # one loader for the stored blocks

from ledgerval.bitcoin import report as R
from ledgerval.bitcoin.build import block as build_block
from ledgerval.bitcoin.build import coinbase, ser_tx
from ledgerval.bitcoin.checkblock import MAX_MONEY, _check_transaction, check_structure
from ledgerval.bitcoin.validate import _set_txids
from ledgerval.bitcoin.wire import BlockParser, Malformed
from ledgerval.kernels.bitcoin_txcheck import tx_flags

BTC = Path(__file__).resolve().parents[1].parent / "shared" / "vectors" / "bitcoin"
_NULL = (bytes(32), 0xFFFFFFFF)

_values = st.one_of(st.integers(0, 50), st.sampled_from([-1, -(1 << 63), MAX_MONEY, MAX_MONEY + 1,
                                                         MAX_MONEY // 2 + 1, (1 << 63) - 1]))
_outpoints = st.one_of(st.tuples(st.sampled_from([b"\x01" * 32, b"\x02" * 32, bytes(32)]),
                                 st.sampled_from([0, 1, 0xFFFFFFFF])),
                       st.tuples(st.binary(min_size=32, max_size=32), st.integers(0, 2**32 - 1)))
_tx = st.tuples(st.lists(_outpoints, min_size=1, max_size=5), st.lists(_values, min_size=1, max_size=4),
                st.booleans())
_cb_script = st.sampled_from([b"", b"\x01", b"\x01\x01", b"\x00" * 100, b"\x00" * 101])


def _ser(ops, values, segwit) -> bytes:
    vin = [(h, n, b"\x51", 0xFFFFFFFF) for h, n in ops]
    wit = [[b"\x01"] for _ in ops] if segwit else None
    return ser_tx(1, vin, [(v, b"\x51") for v in values], 0, wit)


def _parsed(raw: bytes):
    p = BlockParser(raw)
    p.parse_until(len(raw))
    _set_txids(p.block.txs, raw, p.starts, 1)
    return p


def _both(raw: bytes):
    """(errors with the columns, errors without, marked, the transactions the reference reports)."""
    p = _parsed(raw)
    cols = p.columns()
    assert cols is not None
    txs = p.block.txs
    marked = tx_flags(*cols)
    ref = R.BitcoinReport(prevouts_used=False)
    for i, tx in enumerate(txs):
        _check_transaction(tx, i, ref)
    with_cols, without = R.BitcoinReport(prevouts_used=False), R.BitcoinReport(prevouts_used=False)
    check_structure(p.block, with_cols, raw, p.starts, cols)
    check_structure(p.block, without, raw, p.starts)
    return with_cols.errors, without.errors, marked, {e.tx_index for e in ref.errors}


@settings(max_examples=300, deadline=None)
@given(st.lists(_tx, min_size=1, max_size=6), _cb_script, st.one_of(st.none(), _outpoints))
def test_built_blocks_marked_where_the_reference_reports(txs, cb_script, cb_prev):
    cb_op = _NULL if cb_prev is None else cb_prev
    cb = ser_tx(1, [(cb_op[0], cb_op[1], cb_script, 0xFFFFFFFF)], [(50, b"\x51")])
    raw = build_block([cb] + [_ser(*t) for t in txs], txids=[bytes(32)] * (len(txs) + 1))
    with_cols, without, marked, reported = _both(raw)
    assert with_cols == without
    assert reported <= set(np.flatnonzero(marked).tolist())


@pytest.mark.parametrize("tx, code", [
    (_ser([(b"\x01" * 32, 0)], [-1], False), R.VOUT_NEGATIVE),
    (_ser([(b"\x01" * 32, 0)], [MAX_MONEY + 1], True), R.VOUT_TOO_LARGE),
    (_ser([(b"\x01" * 32, 0)], [MAX_MONEY, 1], False), R.VOUT_TOO_LARGE),
    (_ser([(b"\x01" * 32, 0), (b"\x01" * 32, 0)], [1], False), R.INPUTS_DUPLICATE),
    (_ser([(b"\x01" * 32, 0), _NULL], [1], False), R.PREVOUT_NULL),
    (_ser([(b"\x01" * 32, 0)], [], False), R.VOUT_EMPTY),
], ids=["negative", "too_large", "total", "duplicate", "null", "no_outputs"])
def test_each_rule_is_marked_at_its_index(tx, code):
    ok = _ser([(b"\x03" * 32, 0)], [1], False)
    raw = build_block([coinbase(), ok, tx, ok[:-4] + struct.pack("<I", 1)], txids=[bytes(32)] * 4)
    with_cols, without, marked, reported = _both(raw)
    assert with_cols == without
    assert marked.tolist() == [False, False, True, False]
    assert next(e.code for e in with_cols if e.tx_index == 2) == code and reported == {2}


def test_coinbase_length_is_marked():
    for script, bad in ((b"\x01", True), (b"\x01\x01", False), (bytes(100), False), (bytes(101), True)):
        cb = ser_tx(1, [(bytes(32), 0xFFFFFFFF, script, 0xFFFFFFFF)], [(50, b"\x51")])
        with_cols, without, marked, _ = _both(build_block([cb], txids=[bytes(32)]))
        assert with_cols == without and marked.tolist() == [bad]
        assert ([e.code for e in with_cols] == [R.CB_LENGTH]) == bad


def test_misuse_raises():
    t = np.zeros((1, 11), dtype=np.int64)
    with pytest.raises(ValueError):
        tx_flags(np.zeros(4, dtype=np.int32), t, np.zeros((0, 6), np.int64), np.zeros((0, 4), np.int64))
    with pytest.raises(ValueError):
        tx_flags(np.zeros(4, dtype=np.uint8), t.astype(np.int32), np.zeros((0, 6), np.int64),
                 np.zeros((0, 4), np.int64))


def test_partial_scan_has_no_columns():
    # a zero-input, zero-flag transaction is left to the Python reader: the block has no whole-block columns
    raw = build_block([coinbase(), struct.pack("<i", 1) + b"\x00\x00" + bytes(4)], txids=[bytes(32)] * 2)
    p = BlockParser(raw)
    p.parse_until(len(raw))
    assert p.columns() is None


@pytest.mark.skipif(not (BTC / "block277647.raw").exists(), reason="shared/vectors/bitcoin is absent")
def test_stored_blocks_as_the_reference():
    blocks = _stored_blocks()
    compared = 0
    for raw in blocks:
        try:
            p = _parsed(raw)
        except Malformed:
            continue
        if p.columns() is None:
            continue
        with_cols, without, marked, reported = _both(raw)
        assert with_cols == without and reported <= set(np.flatnonzero(marked).tolist())
        compared += 1
    assert compared >= 5
