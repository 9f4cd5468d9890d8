"""The per-input loop over the scan's columns (engine/bitcoin/colinputs.py) against the loop it replaces
(inputrun.COLUMNS = False): the same report, field for field and error for error, on built blocks (signed
P2PKH spends of prevouts given, missing or made earlier or later in the block, out-of-range outputs, double
spends inside and across transactions, null outpoints, repeated txids, values past int64), on the stored
blocks, and on block 277647 with tampered prevouts, signatures and bytes."""
from __future__ import annotations

import random

import pytest
from conftest import vector_file
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bitcoin_columns import report_with  # one report-with-a-switch helper
from test_kernels_bitcoin_sigops import _stored_blocks  # one loader for the stored blocks

from ledgerval.bitcoin import colinputs, inputrun, load_prevouts
from ledgerval.bitcoin import report as R
from ledgerval.bitcoin.build import block as build_block
from ledgerval.bitcoin.build import coinbase, pubkey, ser_tx, sign
from ledgerval.bitcoin.checkblock import MAX_MONEY
from ledgerval.bitcoin.script import hash160, p2pkh_script, push_script
from ledgerval.bitcoin.sighash import legacy_sighash
from ledgerval.bitcoin.wire import parse_block, parse_transaction
from ledgerval.hashing import hash_batch

SEED = 1515
_SECRETS = (0xC01, 0xC02)
_KEYS = [pubkey(_SECRETS[0]), pubkey(_SECRETS[1], compressed=False)]
_SPKS = [p2pkh_script(hash160(k)) for k in _KEYS]


def _report(raw, prevouts, columns: bool, threads: int = 1) -> dict:
    return report_with(inputrun, "COLUMNS", columns, raw, prevouts, threads)


class _Spy:
    """Counts the blocks the column path took (so that a test whose blocks never reach it fails)."""

    def __init__(self, monkeypatch):
        self.taken = 0
        real = colinputs.feed_all

        def spy(*a):
            ok = real(*a)
            self.taken += ok
            return ok
        monkeypatch.setattr(inputrun, "feed_all", spy)


def _same(raw, prevouts, threads=(1,)) -> dict:
    ref = _report(raw, prevouts, False)
    for t in threads:
        got = _report(raw, prevouts, True, t)
        assert got == ref, (got, ref)
    return ref


def _txid(raw_tx: bytes) -> bytes:
    return hash_batch("sha256d", [parse_transaction(raw_tx).stripped])[0].tobytes()


_EXT = [(bytes([0xA0 + i]) * 32, i % 2) for i in range(4)]   # outpoints outside the block


@st.composite
def _blocks(draw):
    """(raw block, prevouts or None): 1-4 transactions after the coinbase, each spending 1-3 outpoints."""
    txs, ids, outs = [], [], []
    n_tx = draw(st.integers(1, 4))
    for ti in range(n_tx):
        vin, spks = [], []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.integers(0, 9))
            if kind <= 4 or not ids:                       # outside the block (a double spend if repeated)
                h, n = _EXT[draw(st.integers(0, len(_EXT) - 1))]
                spk = _SPKS[n] if draw(st.integers(0, 5)) else b"\x51"
            elif kind <= 7:                                # made earlier in the block, maybe out of range
                j = draw(st.integers(0, len(ids) - 1))
                n = draw(st.integers(0, 2))
                h = ids[j]
                spk = outs[j][n][1] if n < len(outs[j]) else _SPKS[0]
            elif kind == 8:                                # the null outpoint, or a later transaction's
                h, n, spk = (bytes(32), 0xFFFFFFFF, b"\x51") if draw(st.booleans()) else (b"\x55" * 32, 0, b"")
            else:                                          # the coinbase's output
                h, n, spk = b"cb", 0, b"\x51"
            vin.append((h, n))
            spks.append(spk)
        vout = [(draw(st.sampled_from([1, 5, 100, MAX_MONEY, (1 << 62), -(1 << 63)])), _SPKS[o % 2])
                for o in range(draw(st.integers(1, 2)))]
        vout = vout if draw(st.integers(0, 7)) else vout + [(-1, b"\x51")]
        cb = coinbase(2, [(50, _SPKS[0])])
        vin = [(_txid(cb) if h == b"cb" else h, n) for h, n in vin]
        unsigned = parse_transaction(ser_tx(1, [(h, n, b"", 0) for h, n in vin], vout))
        scripts = []
        for k, ((h, n), spk) in enumerate(zip(vin, spks)):
            who = 1 if spk == _SPKS[1] else 0
            sig = sign(_SECRETS[who], legacy_sighash(unsigned, k, spk, 1), 1)
            if draw(st.integers(0, 9)) == 0:
                sig = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]   # a signature that fails
            scripts.append(push_script(sig) + push_script(_KEYS[who]))
        raw_tx = ser_tx(1, [(h, n, s, 0) for (h, n), s in zip(vin, scripts)], vout)
        txs.append(raw_tx)
        ids.append(_txid(raw_tx))
        outs.append(vout)
    if draw(st.integers(0, 9)) == 0:
        txs.append(txs[-1])                                # a repeated txid: the loop judges the block
    if draw(st.integers(0, 9)) == 0:
        txs.append(coinbase(3))                            # a second coinbase
    raw = build_block([coinbase(2, [(50, _SPKS[0])])] + txs, version=2)
    prevouts = None
    if draw(st.integers(0, 4)):
        known = draw(st.lists(st.integers(0, len(_EXT) - 1), unique=True))
        prevouts = {(_EXT[i][0][::-1].hex(), _EXT[i][1]): (draw(st.sampled_from([3, 10**6, MAX_MONEY + 1, -5, -(1 << 63)])),
                                                           _SPKS[_EXT[i][1]] if draw(st.integers(0, 5)) else b"\x51")
                    for i in known}
    return raw, prevouts


@settings(max_examples=80, deadline=None)
@given(_blocks())
def test_built_blocks_report_the_same(case):
    raw, prevouts = case
    with pytest.MonkeyPatch.context() as m:
        spy = _Spy(m)
        _same(raw, prevouts, threads=(1, 2))
    # a small block is one piece at any thread count: the column path judges it unless a txid repeats
    txs = parse_block(raw).txs
    unique = len({tx.stripped for tx in txs}) == len(txs)
    assert spy.taken == (2 if unique else 0)


def test_built_blocks_take_the_column_path(monkeypatch):
    """Blocks like the generator's reach the column path (else the comparison above would prove nothing)."""
    spy = _Spy(monkeypatch)
    rng = random.Random(SEED)
    print("seed", SEED)
    for _ in range(5):
        raw, prevouts = _fixed_block(rng)
        _same(raw, prevouts)
    assert spy.taken >= 5


def _fixed_block(rng: random.Random):
    """A block with an in-block spend, a double spend and a missing prevout (drawn from ``rng``)."""
    cb = coinbase(2, [(50, _SPKS[0])])
    first_vin = [_EXT[0], _EXT[rng.randrange(1, 4)]]
    t1 = _signed(first_vin, [_SPKS[0], _SPKS[1 if first_vin[1][1] else 0]], [(7, _SPKS[0])])
    t2 = _signed([(_txid(t1), 0), _EXT[0]], [_SPKS[0], _SPKS[0]], [(3, _SPKS[1])])
    raw = build_block([cb, t1, t2], version=2)
    prevouts = {(h[::-1].hex(), n): (10, _SPKS[n]) for h, n in _EXT[:3]}
    return raw, prevouts


def _signed(vin, spks, vout) -> bytes:
    unsigned = parse_transaction(ser_tx(1, [(h, n, b"", 0) for h, n in vin], vout))
    scripts = []
    for k, spk in enumerate(spks):
        who = 1 if spk == _SPKS[1] else 0
        scripts.append(push_script(sign(_SECRETS[who], legacy_sighash(unsigned, k, spk, 1), 1))
                       + push_script(_KEYS[who]))
    return ser_tx(1, [(h, n, s, 0) for (h, n), s in zip(vin, scripts)], vout)


def test_fixed_block_errors_are_where_the_loop_puts_them():
    raw, prevouts = _fixed_block(random.Random(SEED))
    rep = _same(raw, prevouts, threads=(1, 2))
    codes = [(e["code"], e["tx_index"], e["input_index"]) for e in rep["errors"]]
    assert codes == [(R.DOUBLE_SPEND, 2, 1)]
    # t1's second input spends _EXT[3] (no prevout given) when the draw picked it; the in-block spend is checked
    missing = rep["skipped_reasons"].get("prevout_missing", 0)
    assert rep["inputs_checked"] == 4 - missing and missing <= 1


def test_witness_transactions_go_to_the_classifier_alike(monkeypatch):
    """A witness transaction's inputs are never kernel candidates: both paths classify them (P2WPKH with a
    bad signature, a witness on a P2PKH spend) and report the same."""
    spy = _Spy(monkeypatch)
    wpkh = b"\x00\x14" + hash160(_KEYS[0])
    vin = [(_EXT[0][0], 0, b"", 0), (_EXT[1][0], 1, b"", 0)]
    seg = ser_tx(2, vin, [(5, _SPKS[0])], witnesses=[[b"\x30\x06\x02\x01\x01\x02\x01\x01\x01", _KEYS[0]],
                                                      [b"\x01"]])
    t2 = _signed([(_txid(seg), 0)], [_SPKS[0]], [(1, _SPKS[1])])
    raw = build_block([coinbase(2), seg, t2], version=2)
    pv = {(_EXT[0][0][::-1].hex(), 0): (10, wpkh), (_EXT[1][0][::-1].hex(), 1): (10, _SPKS[1])}
    rep = _same(raw, pv, threads=(1, 2))
    assert spy.taken == 2 and rep["inputs_checked"] == 2   # the P2WPKH input and t2's in-block spend
    assert [(e["code"], e["tx_index"], e["input_index"]) for e in rep["errors"]] == [
        (R.UNEXPECTED_WITNESS, 1, None), (R.BAD_SIGNATURE, 1, 0), (R.BAD_WITNESS, 1, 1)]


def test_int64_extremes_sum_exactly():
    """Output and prevout values of -2**63 (|v| wraps in int64): the totals stay exact on both paths."""
    low = -(1 << 63)
    t1 = _signed([_EXT[0], _EXT[1]], [_SPKS[0], _SPKS[1]], [(low, _SPKS[0]), (low, _SPKS[0])])
    raw = build_block([coinbase(2), t1], version=2)
    pv = {(_EXT[0][0][::-1].hex(), 0): (low, _SPKS[0]), (_EXT[1][0][::-1].hex(), 1): (low, _SPKS[1])}
    rep = _same(raw, pv)
    assert R.INPUTS_VALUE_RANGE in [e["code"] for e in rep["errors"]]


def test_repeated_txids_fall_back_to_the_loop(monkeypatch):
    spy = _Spy(monkeypatch)
    t1 = _signed([_EXT[0]], [_SPKS[0]], [(7, _SPKS[0])])
    raw = build_block([coinbase(2), t1, t1], version=2)
    rep = _same(raw, {(_EXT[0][0][::-1].hex(), 0): (10, _SPKS[0])})
    assert spy.taken == 0 and R.DOUBLE_SPEND in [e["code"] for e in rep["errors"]]


def test_stored_blocks_report_the_same(monkeypatch):
    vector_file("bitcoin", "block277647.raw")   # skips when the stored blocks are absent
    spy = _Spy(monkeypatch)
    for raw in _stored_blocks():
        _same(raw, None, threads=(1, 2))
    assert spy.taken >= 3


def test_block_277647_tampered(monkeypatch):
    raw = vector_file("bitcoin", "block277647.raw").read_bytes()
    prevouts = load_prevouts(vector_file("bitcoin", "block277647_prevouts.jsonl"))
    spy = _Spy(monkeypatch)
    assert _same(raw, prevouts)["ok"]
    rng = random.Random(SEED)
    print("seed", SEED)
    keys = sorted(prevouts)
    for trial in range(4):
        pv = dict(prevouts)
        for k in rng.sample(keys, 30):
            kind = rng.randrange(4)
            if kind == 0:
                del pv[k]
            elif kind == 1:
                pv[k] = (rng.choice([1, MAX_MONEY + 1, -1]), pv[k][1])
            elif kind == 2:
                pv[k] = (pv[k][0], b"\x51")
            else:
                pv[k] = (pv[k][0], p2pkh_script(bytes(20)))
        rep = _same(raw, pv)
        assert not rep["ok"]
    assert _same(raw, None)["implied_scripts"] > 600   # no prevouts: in-block outputs, else implied scripts
    # a flipped byte in a signature, and truncated or cut blocks
    at = raw.index(bytes.fromhex("3045022100"), 5000) + 10
    bad = raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:]
    rep = _same(bad, prevouts)
    assert R.BAD_SIGNATURE in [e["code"] for e in rep["errors"]]
    for cut in (len(raw) - 1, len(raw) // 2, 200):
        assert _same(raw[:cut], prevouts)["errors"][0]["code"] == R.MALFORMED
    assert spy.taken >= 6
