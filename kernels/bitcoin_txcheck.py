"""CheckTransaction's context-free rules over a whole block's scan columns, as a filter.

``tx_flags`` marks every transaction that any of these rules could report: no inputs, no outputs, a stripped
size over the block weight, an output value below 0 or above MAX_MONEY or an output total above it, one
outpoint spent twice, a coinbase scriptSig outside 2..100 bytes, a null prevout outside a coinbase.  The
engine runs the Python rules (``engine.bitcoin.checkblock._check_transaction``, the reference, which writes
every message) on the marked transactions only, so the kernel decides nothing but which transactions are
worth that look: it may mark a transaction with nothing to report (two different outpoints that share a
64-bit key), never miss one that has something.  Block 277647 (213 transactions): ~0.2 ms of Python rules
become a few microseconds here plus nothing (no transaction is marked).

Inputs are the tables of ``kernels.bitcoin_scan.scan_txs``.  Byte order: values and prevout indices are
little-endian as serialized; the duplicate key folds the outpoint's 36 bytes into one int64.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .bitcoin_scan import I_OP, I_SS_HI, I_SS_LO, O_VALUE, T_BODY_HI, T_BODY_LO, T_HI, T_IN0, T_LO, T_OUT0, T_SEG

MAX_MONEY = 21_000_000 * 100_000_000
MAX_BLOCK_WEIGHT = 4_000_000
WITNESS_SCALE_FACTOR = 4


@njit(cache=True, nogil=True, inline="always")
def _word(raw, p):
    v = np.int64(0)
    for j in range(8):
        v |= np.int64(raw[p + j]) << np.int64(8 * j)
    return v


@njit(cache=True, nogil=True)
def _null(raw, p):
    """The outpoint at p is null: a zero txid and index 0xFFFFFFFF."""
    for j in range(32):
        if raw[p + j] != 0:
            return False
    for j in range(32, 36):
        if raw[p + j] != 0xFF:
            return False
    return True


@njit(cache=True, nogil=True)
def _tx_flags(raw, txs, ins, outs, out):
    n = out.shape[0]
    for t in range(n):
        i0, i1 = txs[t, T_IN0], txs[t + 1, T_IN0]
        o0, o1 = txs[t, T_OUT0], txs[t + 1, T_OUT0]
        bad = i1 == i0 or o1 == o0
        lo, hi = txs[t, T_LO], txs[t, T_HI]
        stripped = hi - lo
        if txs[t, T_SEG]:
            stripped = 8 + txs[t, T_BODY_HI] - txs[t, T_BODY_LO]
        bad |= stripped * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT
        total = np.int64(0)
        for o in range(o0, o1):
            v = outs[o, O_VALUE]
            if v < 0 or v > MAX_MONEY:
                bad = True
                break
            total += v  # (both terms at most MAX_MONEY: no overflow before the test)
            if total > MAX_MONEY:
                bad = True
                break
        if not bad and i1 - i0 > 1:
            keys = np.empty(i1 - i0, dtype=np.int64)
            for i in range(i0, i1):
                p = ins[i, I_OP]
                keys[i - i0] = (_word(raw, p) ^ _word(raw, p + 8) ^ _word(raw, p + 16) ^ _word(raw, p + 24)
                                ^ (np.int64(raw[p + 32]) | (np.int64(raw[p + 33]) << 8)
                                   | (np.int64(raw[p + 34]) << 16) | (np.int64(raw[p + 35]) << 24)))
            keys.sort()
            for j in range(1, keys.shape[0]):
                if keys[j] == keys[j - 1]:
                    bad = True
                    break
        if not bad:
            if i1 - i0 == 1 and _null(raw, ins[i0, I_OP]):  # a coinbase: the scriptSig's length
                m = ins[i0, I_SS_HI] - ins[i0, I_SS_LO]
                bad = m < 2 or m > 100
            else:
                for i in range(i0, i1):
                    if _null(raw, ins[i, I_OP]):
                        bad = True
                        break
        out[t] = bad


def tx_flags(raw: np.ndarray, txs: np.ndarray, ins: np.ndarray, outs: np.ndarray) -> np.ndarray:
    """(N,) bool over the N transactions of ``scan_txs``'s tables (``txs`` has N + 1 rows): True where a
    CheckTransaction rule might fail (see the module docstring); ``raw`` is the scanned 1-D uint8 block."""
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError("raw must be a 1-D uint8 array")
    if txs.ndim != 2 or txs.shape[0] < 1 or txs.dtype != np.int64 or ins.dtype != np.int64 \
            or outs.dtype != np.int64:
        raise ValueError("txs, ins and outs must be scan_txs's int64 tables")
    out = np.zeros(txs.shape[0] - 1, dtype=np.bool_)
    _tx_flags(raw, txs, ins, outs, out)
    return out
