"""Numba kernels that find the transactions of an LVB1 block (ledgerval's own block format, version 1:
docs/FORMAT.md) without a per-transaction Python loop.

Byte order: every integer in the format is little-endian; the kernels assemble them byte by byte so they
never depend on the host's order or on alignment.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from ._bytes import copy

# Status codes of scan_txs; anything but SCAN_OK means the block does not decode.
SCAN_OK = 0
SCAN_TRUNCATED = 1
SCAN_PAYLOAD_TOO_LONG = 2

MAX_PAYLOAD = 1 << 20


@nb.njit(cache=True, nogil=True)
def _scan_txs(buf, pos, count, key_len, tx_start, sig_off):
    n = buf.shape[0]
    for i in range(count):
        fixed = pos + key_len + 12
        if fixed > n:
            return SCAN_TRUNCATED, i, pos
        p = fixed - 4
        plen = (np.int64(buf[p]) | (np.int64(buf[p + 1]) << 8) | (np.int64(buf[p + 2]) << 16)
                | (np.int64(buf[p + 3]) << 24))
        if plen > MAX_PAYLOAD:
            return SCAN_PAYLOAD_TOO_LONG, i, pos
        end = fixed + plen + 64
        if end > n:
            return SCAN_TRUNCATED, i, pos
        tx_start[i] = pos
        sig_off[i] = fixed + plen
        pos = end
    return SCAN_OK, count, pos


def scan_txs(buf: np.ndarray, pos: int, count: int, key_len: int):
    """Walk ``count`` transactions starting at byte ``pos`` of ``buf`` (1-D uint8).

    Returns (status, index, end, tx_start, sig_off): on SCAN_OK, ``end`` is the offset after the last
    transaction, ``tx_start[i]`` where transaction i begins and ``sig_off[i]`` where its signature begins (its
    hashed body is ``buf[tx_start[i]:sig_off[i]]``).  Otherwise ``index`` is the transaction that failed.
    Every read is bounds-checked before it happens.
    """
    tx_start = np.empty(count, dtype=np.int64)
    sig_off = np.empty(count, dtype=np.int64)
    status, index, end = _scan_txs(buf, np.int64(pos), np.int64(count), np.int64(key_len), tx_start, sig_off)
    return int(status), int(index), int(end), tx_start, sig_off


@nb.njit(cache=True, nogil=True)
def _gather(buf, starts, ends, out, offsets):
    offsets[0] = 0
    o = 0
    for i in range(starts.shape[0]):
        s = starts[i]
        ln = ends[i] - s
        copy(out, o, buf, s, ln)
        o += ln
        offsets[i + 1] = o


def gather_spans(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """Copy the spans ``buf[starts[i]:ends[i]]`` back to back: returns (flat buffer, offsets (N+1,))."""
    total = int((ends - starts).sum()) if starts.size else 0
    out = np.empty(total, dtype=np.uint8)
    offsets = np.empty(starts.shape[0] + 1, dtype=np.int64)
    _gather(buf, starts, ends, out, offsets)
    return out, offsets
