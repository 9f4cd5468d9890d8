"""Where everything lies in a block's serialized transactions, found in one Numba pass.

``scan_txs`` walks transactions as Bitcoin Core's UnserializeTransaction reads them (legacy, or BIP144 with
marker 0x00 and flag 0x01) and records offsets: per transaction its span, body and segwit flag; per input
its outpoint, scriptSig span, sequence and prevout index; per output its span, script span and value; per
witness item its span.  ``engine.bitcoin.wire`` then builds its Python objects from these offsets with no
reads of its own.  The kernel only records what the Python reader would accept: at the first transaction
with anything else (truncation, a non-canonical or oversized CompactSize, another flag, an empty input list
or witness record) it stops, and the Python reader parses from there, raising its exact ``Malformed``.
Block 277647: the scan takes ~0.03 ms; building the objects from it ~0.5 ms against ~0.95 ms of reading
field by field in Python (one core, thread CPU time).

Byte order: integers are little-endian, assembled byte by byte; values are signed 64-bit as serialized.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .bitcoin_p2pkh import _compact as _compact_any  # any CompactSize within bounds

MAX_SIZE = 0x02000000  # as engine/bitcoin/wire.py: Core's bound on a CompactSize read as a length or count

# columns of the per-transaction table
T_LO, T_HI, T_SEG, T_BODY_LO, T_BODY_HI, T_IN0, T_OUT0, T_WIT0 = range(8)
T_COLS = 11  # (and, past the last, the input, output and witness counts after the transaction)
# columns of the per-input table: outpoint, scriptSig span, sequence, prevout index, first witness item
I_OP, I_SS_LO, I_SS_HI, I_SEQ, I_PREV_N, I_WIT0 = range(6)
I_COLS = 6
# columns of the per-output table: output start, script start, end, value
O_LO, O_SPK, O_HI, O_VALUE = range(4)
O_COLS = 4


@njit(cache=True, nogil=True, inline="always")
def _u(raw, p, w):
    v = np.int64(0)
    for j in range(w):
        v |= np.int64(raw[p + j]) << np.int64(8 * j)
    return v


@njit(cache=True, nogil=True)
def _compact(raw, p, end):
    """(value, position after) of a canonical CompactSize at p that is at most MAX_SIZE, else (0, -1)."""
    v, q = _compact_any(raw, p, end)
    w = q - p
    if q < 0 or (w == 3 and v < 0xFD) or (w == 5 and v < 0x10000) or w == 9 or v > MAX_SIZE:
        return 0, -1  # (nine bytes are canonical only above 2**32, over MAX_SIZE)
    return v, q


@njit(cache=True, nogil=True)
def _scan(raw, pos, count, txs, ins, outs, wit):
    """Scan transactions into the tables; returns (transactions scanned, inputs, outputs, witness items)
    as of the end of the last one taken."""
    end = raw.shape[0]
    ni = no = nw = 0
    t = 0
    while t < count:
        q = _scan_tx(raw, pos, end, t, txs, ins, outs, wit, ni, no, nw)
        if q < 0:
            break
        ni, no, nw = txs[t, 8], txs[t, 9], txs[t, 10]
        pos = q
        t += 1
    return t, ni, no, nw


@njit(cache=True, nogil=True)
def _scan_tx(raw, pos, end, t, txs, ins, outs, wit, ni, no, nw):
    """One transaction at ``pos``, its rows written from ``ni``/``no``/``nw`` on; returns its end, or -1
    when the Python reader must judge it.  The counts after it go to txs[t, 8:11]."""
    q = pos + 4
    seg = 0
    if q + 1 < end and raw[q] == 0:   # an empty input list: only the BIP144 marker, flag 1, is taken
        if raw[q + 1] != 1:
            return -1
        seg = 1
        q += 2
    body = q
    i0, o0, w0 = ni, no, nw
    nin, q = _compact(raw, q, end)
    if q < 0 or nin == 0 or ni + nin > ins.shape[0]:
        return -1
    for _ in range(nin):
        ln, s = _compact(raw, q + 36, end)
        if s < 0 or s + ln + 4 > end:
            return -1
        ins[ni, I_OP] = q
        ins[ni, I_SS_LO] = s
        ins[ni, I_SS_HI] = s + ln
        ins[ni, I_SEQ] = _u(raw, s + ln, 4)
        ins[ni, I_PREV_N] = _u(raw, q + 32, 4)
        q = s + ln + 4
        ni += 1
    nout, q = _compact(raw, q, end)
    if q < 0 or no + nout > outs.shape[0]:
        return -1
    for _ in range(nout):
        if q + 8 > end:
            return -1
        ln, s = _compact(raw, q + 8, end)
        if s < 0 or s + ln > end:
            return -1
        outs[no, O_LO] = q
        outs[no, O_SPK] = s
        outs[no, O_HI] = s + ln
        outs[no, O_VALUE] = _u(raw, q, 8)
        q = s + ln
        no += 1
    body_hi = q
    if seg:
        any_items = False
        for j in range(i0, ni):
            ins[j, I_WIT0] = nw
            items, q = _compact(raw, q, end)
            if q < 0 or nw + items > wit.shape[0]:
                return -1
            any_items |= items > 0
            for _ in range(items):
                ln, s = _compact(raw, q, end)
                if s < 0 or s + ln > end:
                    return -1
                wit[nw, 0] = s
                wit[nw, 1] = s + ln
                q = s + ln
                nw += 1
        if not any_items:  # a superfluous witness record: the Python reader says so
            return -1
    if q + 4 > end:
        return -1
    q += 4
    txs[t, T_LO] = pos
    txs[t, T_HI] = q
    txs[t, T_SEG] = seg
    txs[t, T_BODY_LO] = body
    txs[t, T_BODY_HI] = body_hi
    txs[t, T_IN0] = i0
    txs[t, T_OUT0] = o0
    txs[t, T_WIT0] = w0
    txs[t, 8] = ni
    txs[t, 9] = no
    txs[t, 10] = nw
    return q


def scan_txs(raw: np.ndarray, pos: int, count: int):
    """Scan up to ``count`` transactions of ``raw`` (1-D uint8) from byte ``pos``.  Returns (k, txs, ins,
    outs, wit): the first k transactions scanned (k < count where the next one is left to the Python
    reader), ``txs`` (k + 1, T_COLS) int64 with a last row whose T_IN0/T_OUT0/T_WIT0 close the ranges,
    ``ins`` (I_COLS), ``outs`` (O_COLS) and ``wit`` (2 columns: item start, end) rows in order."""
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError("raw must be a 1-D uint8 array")
    n = raw.shape[0]
    if not 0 <= pos <= n or count < 0:
        raise ValueError("pos must lie in raw and count be non-negative")
    count = min(count, n // 10 + 1)  # every transaction takes at least 10 bytes
    txs = np.empty((count + 1, T_COLS), dtype=np.int64)
    ins = np.empty((n // 41 + 1, I_COLS), dtype=np.int64)
    outs = np.empty((n // 9 + 1, O_COLS), dtype=np.int64)
    wit = np.empty((n + 1, 2), dtype=np.int64)
    k, ni, no, nw = _scan(raw, np.int64(pos), np.int64(count), txs, ins, outs, wit)
    txs[k, T_IN0], txs[k, T_OUT0], txs[k, T_WIT0] = ni, no, nw
    return int(k), txs[:k + 1], ins[:ni], outs[:no], wit[:nw]
