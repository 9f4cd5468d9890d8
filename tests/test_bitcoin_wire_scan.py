"""The block parser's scanned path (kernels/bitcoin_scan.py locating every field, objects built from its
offsets) against the Python reader field by field (wire.SCAN = False): the same objects for every stored
and built block, the same ``Malformed`` (message and index) for every truncated or corrupted one."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.bitcoin import wire
from ledgerval.bitcoin.build import ser_tx
from ledgerval.kernels.bitcoin_scan import scan_txs

BTC = Path(__file__).resolve().parents[1].parent / "shared" / "vectors" / "bitcoin"

_TXIN = ("outpoint", "prev_hash", "prev_n", "script_sig", "sequence", "witness")
_TX = ("version", "locktime", "has_witness", "stripped", "raw", "coinbase")


def _parse(raw: bytes, scan: bool, monkeypatch):
    monkeypatch.setattr(wire, "SCAN", scan)
    try:
        p = wire.BlockParser(raw)
        p.parse_until(len(raw))
        return p.block, p.starts
    except wire.Malformed as e:
        return ("malformed", e.detail, e.tx_index), None


def _same(raw: bytes, monkeypatch) -> None:
    fast, fs = _parse(raw, True, monkeypatch)
    ref, rs = _parse(raw, False, monkeypatch)
    if isinstance(ref, tuple):
        assert fast == ref
        return
    assert fs == rs and len(fast.txs) == len(ref.txs)
    for a, b in zip(fast.txs, ref.txs):
        assert [getattr(a, f) for f in _TX] == [getattr(b, f) for f in _TX]
        assert [[list(getattr(x, f)) if f == "witness" else getattr(x, f) for f in _TXIN] for x in a.vin] == \
            [[list(getattr(x, f)) if f == "witness" else getattr(x, f) for f in _TXIN] for x in b.vin]
        assert [(o.value, o.script_pubkey, o.raw) for o in a.vout] == [(o.value, o.script_pubkey, o.raw)
                                                                        for o in b.vout]


def _stored() -> list[bytes]:
    out = [p.read_bytes() for p in sorted(BTC.glob("*.raw"))]
    for name in ("checkblock_valid.json", "checkblock_invalid.json"):
        for row in json.loads((BTC / name).read_text()):
            if len(row) == 5 and not row[1]:
                out.append(bytes.fromhex(row[4]))
    return out


@pytest.mark.skipif(not (BTC / "block277647.raw").exists(), reason="shared/vectors/bitcoin is absent")
def test_stored_blocks_parse_the_same(monkeypatch):
    blocks = _stored()
    assert len(blocks) > 5
    for raw in blocks:
        _same(raw, monkeypatch)
    big = (BTC / "block277647.raw").read_bytes()
    p = wire.BlockParser(big)
    assert scan_txs(np.frombuffer(big, np.uint8), p.r.pos, p.count)[0] == p.count == 213  # all scanned


@pytest.mark.skipif(not (BTC / "block277647.raw").exists(), reason="shared/vectors/bitcoin is absent")
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_corrupted_blocks_fail_the_same(data):
    raw = bytearray((BTC / "block277647.raw").read_bytes())
    cut = data.draw(st.integers(81, len(raw)))
    if data.draw(st.booleans()):
        raw = raw[:cut]
    else:
        for _ in range(data.draw(st.integers(1, 4))):
            at = data.draw(st.integers(81, len(raw) - 1))
            raw[at] = data.draw(st.sampled_from([0x00, 0x01, 0xFC, 0xFD, 0xFE, 0xFF, raw[at] ^ 0x80]))
    with pytest.MonkeyPatch.context() as mp:
        _same(bytes(raw), mp)


_script = st.binary(max_size=300)
_tx = st.tuples(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(0, 2**32 - 1), _script,
                                   st.integers(0, 2**32 - 1)), min_size=1, max_size=4),
                st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), _script), max_size=4),
                st.one_of(st.none(), st.lists(st.lists(st.binary(max_size=80), max_size=3), min_size=4,
                                              max_size=4)))


@settings(max_examples=120, deadline=None)
@given(st.lists(_tx, min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_built_blocks_parse_the_same(txs, locktime):
    body = []
    for vin, vout, wit in txs:
        body.append(ser_tx(2, vin, vout, locktime, wit[:len(vin)] if wit is not None else None))
    raw = bytes(80) + wire.compact_size(len(body)) + b"".join(body)
    pos = 80 + len(wire.compact_size(len(body)))
    assert scan_txs(np.frombuffer(raw, np.uint8), pos, len(body))[0] == len(body)   # the scan takes them all
    with pytest.MonkeyPatch.context() as mp:
        _same(raw, mp)
        _same(raw + b"\x00", mp)        # trailing byte
        _same(raw[:-3], mp)             # truncated


def test_scan_checks_its_arguments():
    with pytest.raises(ValueError):
        scan_txs(np.zeros(10, np.int64), 0, 1)
    with pytest.raises(ValueError):
        scan_txs(np.zeros(10, np.uint8), 11, 1)
