"""The LVB1 transaction scan kernel against a slow Python walk."""
from __future__ import annotations

import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.kernels.lvb1_scan import SCAN_OK, SCAN_PAYLOAD_TOO_LONG, SCAN_TRUNCATED, gather_spans, scan_txs


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
