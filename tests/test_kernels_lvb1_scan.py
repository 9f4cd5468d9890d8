"""The LVB1 transaction scan kernel against a slow Python walk."""
from __future__ import annotations

import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.kernels.lvb1_scan import (
    SCAN_OK,
    SCAN_PAYLOAD_TOO_LONG,
    SCAN_TRUNCATED,
    gather_spans,
    gather_txs,
    scan_txs,
)


def _walk(buf: bytes, pos: int, count: int, k: int):
    starts, sigs = [], []
    for i in range(count):
        if pos + k + 12 > len(buf):
            return SCAN_TRUNCATED, i, None
        (plen,) = struct.unpack_from("<I", buf, pos + k + 8)
        if plen > 1 << 20:
            return SCAN_PAYLOAD_TOO_LONG, i, None
        if pos + k + 12 + plen + 64 > len(buf):
            return SCAN_TRUNCATED, i, None
        starts.append(pos)
        sigs.append(pos + k + 12 + plen)
        pos += k + 12 + plen + 64
    return SCAN_OK, pos, (starts, sigs)


def _txs(payload_lens, k):
    return b"".join(bytes([7]) * k + struct.pack("<QI", i, n) + bytes([i % 256]) * n + bytes(64)
                    for i, n in enumerate(payload_lens))


@settings(max_examples=200, deadline=None)
@given(lens=st.lists(st.integers(0, 300), max_size=12), k=st.sampled_from([32, 33]), cut=st.integers(0, 50),
       extra=st.integers(0, 2))
def test_scan_matches_python_walk(lens, k, cut, extra):
    buf = _txs(lens, k)
    buf = buf[: max(0, len(buf) - cut)] if cut < 25 else buf + bytes(cut)
    count = len(lens) + extra
    arr = np.frombuffer(buf, dtype=np.uint8)
    status, index, end, starts, sigs = scan_txs(arr, 0, count, k)
    exp_status, exp_pos, exp_spans = _walk(buf, 0, count, k)
    assert status == exp_status
    if status == SCAN_OK:
        assert end == exp_pos
        assert starts.tolist() == exp_spans[0] and sigs.tolist() == exp_spans[1]
    else:
        assert index == exp_pos


def test_payload_limit():
    buf = bytes(33) + struct.pack("<QI", 0, (1 << 20) + 1) + bytes(100)
    status, index, *_ = scan_txs(np.frombuffer(buf, dtype=np.uint8), 0, 1, 33)
    assert (status, index) == (SCAN_PAYLOAD_TOO_LONG, 0)


def test_gather_spans():
    buf = np.arange(100, dtype=np.uint8)
    out, offs = gather_spans(buf, np.array([0, 10, 50], dtype=np.int64), np.array([5, 10, 53], dtype=np.int64))
    assert offs.tolist() == [0, 5, 5, 8]
    assert out.tolist() == [0, 1, 2, 3, 4, 50, 51, 52]
    out, offs = gather_spans(buf, np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert out.size == 0 and offs.tolist() == [0]


@settings(max_examples=200, deadline=None)
@given(lens=st.lists(st.integers(0, 300), max_size=12), k=st.sampled_from([32, 33]), pick=st.data())
def test_gather_txs_equals_the_three_gathers_it_replaces(lens, k, pick):
    from ledgerval.kernels.rows import take_rows

    buf = np.frombuffer(_txs(lens, k), dtype=np.uint8).copy()
    status, _, _, starts, sig_at = scan_txs(buf, 0, len(lens), k)
    assert status == SCAN_OK
    rng = np.random.default_rng(sum(lens) + k)
    for a, b in zip(starts.tolist(), sig_at.tolist()):   # distinct keys and signatures (framing untouched)
        buf[a:a + k] = rng.integers(0, 256, k, dtype=np.uint8)
        buf[b:b + 64] = rng.integers(0, 256, 64, dtype=np.uint8)
    sel = np.array(pick.draw(st.lists(st.integers(0, max(0, len(lens) - 1)), max_size=len(lens) + 2))
                   if lens else [], dtype=np.int64)   # any subset, in any order, repeats allowed (as precheck)
    s, e = starts[sel], sig_at[sel]
    bodies, offsets, keys, sigs = gather_txs(buf, s, e, k)
    want_b, want_o = gather_spans(buf, s, e)
    assert bodies.tobytes() == want_b.tobytes() and offsets.tolist() == want_o.tolist()
    assert keys.shape == (len(sel), k) and sigs.shape == (len(sel), 64)
    assert (keys == take_rows(buf, s, k)).all() and (sigs == take_rows(buf, e, 64)).all()
