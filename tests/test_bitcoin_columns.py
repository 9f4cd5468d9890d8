"""validate_block working from the scan's columns (output totals and CheckTransaction's filter,
engine/bitcoin/validate.py ``_value_out`` and kernels/bitcoin_txcheck.py) against the object path alone
(wire.SCAN = False, which leaves no columns): the same report, field for field, on the stored blocks, on
block 277647 with its prevouts tampered (missing, too small, out of range) and on built blocks, at one and
two threads."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kernels_bitcoin_sigops import _stored_blocks  # one loader for the stored blocks

from ledgerval.bitcoin import load_prevouts, validate_block, wire
from ledgerval.bitcoin import report as R
from ledgerval.bitcoin.build import block as build_block
from ledgerval.bitcoin.build import coinbase, ser_tx
from ledgerval.bitcoin.checkblock import MAX_MONEY

BTC = Path(__file__).resolve().parents[1].parent / "shared" / "vectors" / "bitcoin"
SEED = 277647


def report_with(module, flag: str, value, raw, prevouts, threads: int = 1) -> dict:
    """validate_block's report as a dict (timings left out), with ``module.flag`` set to ``value`` for the
    call (the switch between a fast path and the code it replaces)."""
    saved = getattr(module, flag)
    setattr(module, flag, value)
    try:
        d = validate_block(raw, prevouts, threads=threads, check_pow=False).to_dict()
    finally:
        setattr(module, flag, saved)
    d.pop("timings")
    return d


def _report(raw, prevouts, scan: bool, threads: int = 1) -> dict:
    return report_with(wire, "SCAN", scan, raw, prevouts, threads)


def _same(raw, prevouts, threads=(1,)) -> dict:
    ref = _report(raw, prevouts, False)
    for t in threads:
        assert _report(raw, prevouts, True, t) == ref
    return ref


_values = st.one_of(st.integers(0, 100), st.sampled_from([-1, MAX_MONEY, MAX_MONEY + 1, (1 << 62), (1 << 63) - 1]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=3),
                          st.lists(_values, min_size=1, max_size=3)), min_size=1, max_size=5),
       st.dictionaries(st.tuples(st.integers(0, 3), st.integers(0, 2)), st.tuples(_values, st.just(b"\x51")),
                       max_size=8),
       st.booleans())
def test_built_blocks_report_the_same(txs, known, with_prevouts):
    """Spends of outputs made earlier in the block, of prevouts given or missing, of the null outpoint, with
    any output values (negative, over MAX_MONEY, totals past int64): the same report with the columns (and
    input objects made lazily) as without."""
    prev = [bytes([i + 1]) * 32 for i in range(4)]

    def outpoint(h, n):  # h == 4: the null outpoint (a second coinbase, or a null prevout among others)
        return (bytes(32), 0xFFFFFFFF) if h == 4 else (prev[h], n)

    body = [ser_tx(1, [(*outpoint(h, n), b"\x51", 0xFFFFFFFF) for h, n in ins], [(v, b"\x51") for v in vals])
            for ins, vals in txs]
    raw = build_block([coinbase(2, [(50, b"\x51")])] + body, version=2)
    prevouts = {(prev[h][::-1].hex(), n): v for (h, n), v in known.items()} if with_prevouts else None
    _same(raw, prevouts, threads=(1, 2))


def test_outputs_past_int64_fall_back_to_exact_sums():
    big = (1 << 63) - 1
    tx = ser_tx(1, [(b"\x01" * 32, 0, b"\x51", 0)], [(big, b"\x51"), (big, b"\x51"), (5, b"\x51")])
    raw = build_block([coinbase(2), tx], version=2)
    rep = _same(raw, {((b"\x01" * 32)[::-1].hex(), 0): (10, b"\x51")})
    assert [e["code"] for e in rep["errors"]] == [R.VOUT_TOO_LARGE, R.IN_BELOW_OUT]
    assert rep["errors"][1]["detail"].endswith(f"pays {2 * big + 5}")


@pytest.mark.skipif(not (BTC / "block277647.raw").exists(), reason="shared/vectors/bitcoin is absent")
def test_block_277647_and_tampered_prevouts():
    raw = (BTC / "block277647.raw").read_bytes()
    prevouts = load_prevouts(BTC / "block277647_prevouts.jsonl")
    assert _same(raw, prevouts, threads=(1, 2))["ok"]
    rng = random.Random(SEED)
    print("seed", SEED)
    keys = sorted(prevouts)
    missing = {k: v for k, v in prevouts.items() if rng.random() < 0.7}
    assert not _same(raw, missing, threads=(1, 2))["fully_checked"]
    low = dict(prevouts)
    for k in rng.sample(keys, 20):
        low[k] = (1, low[k][1])
    for k in rng.sample(keys, 3):
        low[k] = (MAX_MONEY + 1, low[k][1])
    rep = _same(raw, low, threads=(1, 2))
    assert {e["code"] for e in rep["errors"]} >= {R.IN_BELOW_OUT, R.INPUTS_VALUE_RANGE}


@pytest.mark.skipif(not (BTC / "block277647.raw").exists(), reason="shared/vectors/bitcoin is absent")
def test_stored_blocks_report_the_same():
    blocks = _stored_blocks()
    for raw in blocks:
        _same(raw, None, threads=(1, 2))


def test_lazy_inputs_are_made_on_first_read():
    tx = ser_tx(1, [(b"\x01" * 32, 0, b"\x51", 7), (b"\x02" * 32, 1, b"", 8)], [(1, b"\x51")])
    p = wire.BlockParser(build_block([coinbase(2), tx], version=2))
    p.parse_until(1 << 30)
    t = p.block.txs[1]
    assert t.n_in == 2 and t.input_rows() is not None and not t.coinbase and p.block.txs[0].coinbase
    assert [(x.prev_n, x.sequence, x.script_sig) for x in t.vin] == [(0, 7, b"\x51"), (1, 8, b"")]
    assert t.input_rows() is None and t.n_in == 2
