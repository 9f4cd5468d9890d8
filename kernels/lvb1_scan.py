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


@nb.njit(cache=True, nogil=True)
def _gather_txs(buf, starts, sig_at, key_len, bodies, offsets, keys, sigs):
    kf = keys.reshape(-1)
    sf = sigs.reshape(-1)
    offsets[0] = 0
    o = 0
    for i in range(starts.shape[0]):
        s = starts[i]
        e = sig_at[i]
        copy(bodies, o, buf, s, e - s)
        o += e - s
        offsets[i + 1] = o
        copy(kf, i * key_len, buf, s, key_len)
        copy(sf, i * 64, buf, e, 64)


def gather_txs(buf: np.ndarray, starts: np.ndarray, sig_at: np.ndarray, key_len: int):
    """The columns a block's signature batch needs, in one pass over its transactions: (bodies, offsets,
    keys, signatures) = ``gather_spans(buf, starts, sig_at)``, the (N, key_len) rows at ``starts`` (each
    transaction opens with its public key) and the (N, 64) rows at ``sig_at``.  The caller guarantees that
    every span and row lies in ``buf`` and that ``sig_at[i] - starts[i] >= key_len`` (decode_block and
    precheck's framing check do).  One Numba call instead of three: a warm 2,000-transaction block pays
    each call's dispatch and each pass over the block with cold caches."""
    n = starts.shape[0]
    total = int((sig_at - starts).sum()) if n else 0
    bodies = np.empty(total, dtype=np.uint8)
    offsets = np.empty(n + 1, dtype=np.int64)
    keys = np.empty((n, key_len), dtype=np.uint8)
    sigs = np.empty((n, 64), dtype=np.uint8)
    _gather_txs(buf, starts, sig_at, np.int64(key_len), bodies, offsets, keys, sigs)
    return bodies, offsets, keys, sigs
