"""``first_seen``: for each row of a 2-D uint8 array, the index of the first row equal to it.

Validation asks this of a block's transaction hashes (duplicates) and of its (public key, nonce) pairs
(replays).  ``np.unique`` over rows viewed as void scalars sorts with a byte-wise comparison: 0.35 ms for a
2,000-transaction block, more than the signature cache leaves of a warm block.  An open-addressing table
keyed by a hash of each row, with every candidate confirmed by comparing the whole row, does it in one pass
(~0.02 ms).  The hash multiplies by a caller-supplied random odd word per byte, so rows cannot be chosen
offline to collide into one chain; even if they did, the full-row comparison keeps the answer exact and the
cost bounded by n^2 row comparisons.
"""
from __future__ import annotations

import numpy as np
from numba import njit


def first_seen(rows: np.ndarray, mult: int) -> np.ndarray:
    """(N,) int64: ``out[i]`` is the smallest j with ``rows[j] == rows[i]`` (so ``out[i] == i`` for first
    occurrences).  ``rows`` is (N, W) uint8; ``mult`` an odd 64-bit word (random per process)."""
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    n, w = rows.shape
    return first_seen_spans(rows.reshape(-1), np.arange(n, dtype=np.int64) * w, w, mult)


def first_seen_spans(buf: np.ndarray, starts: np.ndarray, width: int, mult: int) -> np.ndarray:
    """``first_seen`` of the rows ``buf[starts[i]:starts[i] + width]``, read in place (an LVB1 block's
    (public key, nonce) pairs are such spans of the block).  ``buf`` is 1-D uint8; every span must lie in it."""
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    n = starts.shape[0]
    if n and (int(starts.min()) < 0 or int(starts.max()) + width > buf.shape[0]):
        raise ValueError("a span lies outside the buffer")
    out = np.empty(n, dtype=np.int64)
    size = 1 << max(1, int(2 * n - 1).bit_length())   # load factor <= 1/2
    table = np.full(size, -1, dtype=np.int64)
    _first_seen(buf, starts, width, np.uint64(mult | 1), table, out)
    return out


@njit(cache=True, nogil=True)
def _first_seen(buf, starts, w, mult, table, out):
    bits = _table_bits(table)
    for i in range(starts.shape[0]):
        out[i] = _probe(buf, starts, w, mult, table, bits, i)


@njit(cache=True, nogil=True, inline="always")
def _table_bits(table):
    bits = 0
    while (1 << bits) < table.shape[0]:
        bits += 1
    return bits


@njit(cache=True, nogil=True, inline="always")
def _probe(buf, starts, w, mult, table, bits, i):
    """Row i's first equal row, entering i in ``table`` when it is the first."""
    mask = table.shape[0] - 1
    p = starts[i]
    # Eight bytes per multiply: one multiply per byte was a dependent chain 2.5x slower.
    h = np.uint64(0)
    for j in range(0, w, 8):
        word = np.uint64(0)
        for k in range(min(8, w - j)):
            word |= np.uint64(buf[p + j + k]) << np.uint64(8 * k)
        h = (h ^ word) * mult
    slot = np.int64(h >> np.uint64(64 - bits))
    while True:
        t = table[slot]
        if t < 0:
            table[slot] = i
            return i
        q = starts[t]
        same = True
        for j in range(w):
            if buf[q + j] != buf[p + j]:
                same = False
                break
        if same:
            return t
        slot = (slot + 1) & mask


def tx_flags(hashes: np.ndarray, buf: np.ndarray, starts: np.ndarray, width: int, mult: int):
    """The duplicate and replay rules of an LVB1 block in one call: ``first_seen`` of the transaction
    hashes (``hashes``, (N, 32) uint8) and of the (public key, nonce) spans ``buf[starts[i]:starts[i] +
    width]``, then the replay rule over both.  Returns (first_hash, first_pair, same_as_first, first_diff,
    dup, replay), each (N,): ``first_diff[g]`` is the first member of pair group g (named by its first
    member) whose hash differs from the group's first, N if none; transaction i replays a nonce when its
    hash differs from its group's first or an earlier member's did.  One kernel in place of two
    ``first_seen`` calls and seven numpy passes (2,000 transactions: ~0.15 -> ~0.08 ms)."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint8)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    n = starts.shape[0]
    if hashes.shape[0] != n:
        raise ValueError("one hash per span")
    if n and (int(starts.min()) < 0 or int(starts.max()) + width > buf.shape[0]):
        raise ValueError("a span lies outside the buffer")
    out = np.empty((6, n), dtype=np.int64)
    table = np.empty(1 << max(1, int(2 * n - 1).bit_length()), dtype=np.int64)
    _tx_flags(hashes.reshape(-1), np.arange(n, dtype=np.int64) * hashes.shape[1], hashes.shape[1], buf,
              starts, width, np.uint64(mult | 1), table, out)
    b = out[2:].astype(bool)
    return out[0], out[1], b[0], out[3], b[2], b[3]


@njit(cache=True, nogil=True)
def _tx_flags(hbuf, hstarts, hw, buf, starts, w, mult, table, out):
    n = starts.shape[0]
    bits = _table_bits(table)
    first_hash, first_pair, same, first_diff, dup, replay = out[0], out[1], out[2], out[3], out[4], out[5]
    table[:] = -1
    for i in range(n):
        first_hash[i] = _probe(hbuf, hstarts, hw, mult, table, bits, i)
    table[:] = -1
    for i in range(n):
        first_pair[i] = _probe(buf, starts, w, mult, table, bits, i)
        first_diff[i] = n
    for i in range(n):
        g = first_pair[i]
        same[i] = first_hash[i] == first_hash[g]
        dup[i] = first_hash[i] != i
        if not same[i] and i < first_diff[g]:
            first_diff[g] = i
    for i in range(n):
        replay[i] = (not same[i]) or first_diff[first_pair[i]] < i
