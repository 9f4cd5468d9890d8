"""Keccak-256 over whole batches: Keccak-f[1600], rate 136 bytes, the ORIGINAL Keccak padding
(0x01 ... 0x80, as Ethereum uses, not SHA3-256's 0x06).  Digests are the first 32 state bytes
(little-endian lanes).  The state is indexed A[x + 5y].
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._md import chunking

RATE = 136
RC = np.array([
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
], dtype=np.uint64)
RHO = np.array([0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14],
               dtype=np.uint64)
# pi: lane x + 5y moves to y + 5((2x + 3y) mod 5)
PI = np.array([y + 5 * ((2 * x + 3 * y) % 5) for y in range(5) for x in range(5)], dtype=np.int64)
_SIXTY_FOUR = np.uint64(64)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)


@njit(cache=True)
def _rotl(x, n):
    if n == _ZERO:
        return x
    return (x << n) | (x >> (_SIXTY_FOUR - n))


@njit(cache=True)
def permute(A, B, C):
    """Keccak-f[1600] on A (25 uint64); B (25) and C (5) are scratch."""
    for r in range(24):
        for x in range(5):
            C[x] = A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20]
        for y in range(5):
            for x in range(5):
                d = C[(x + 4) % 5] ^ _rotl(C[(x + 1) % 5], _ONE)
                i = x + 5 * y
                B[PI[i]] = _rotl(A[i] ^ d, RHO[i])
        for y in range(5):
            for x in range(5):
                A[x + 5 * y] = B[x + 5 * y] ^ (~B[(x + 1) % 5 + 5 * y] & B[(x + 2) % 5 + 5 * y])
        A[0] ^= RC[r]


@njit(cache=True)
def _load_le64(buf, p):
    v = _ZERO
    for b in range(8):
        v |= np.uint64(buf[p + b]) << np.uint64(8 * b)
    return v


@njit(cache=True)
def hash_span(buf, start, length, A, B, C, out_row):
    for i in range(25):
        A[i] = _ZERO
    nb = length // RATE + 1
    for k in range(nb):
        off = k * RATE
        if k < nb - 1:
            for w in range(RATE // 8):
                A[w] ^= _load_le64(buf, start + off + 8 * w)
        else:
            for j in range(off, length):
                r = j - off
                A[r >> 3] ^= np.uint64(buf[start + j]) << np.uint64(8 * (r & 7))
            r = length - off
            A[r >> 3] ^= np.uint64(0x01) << np.uint64(8 * (r & 7))
            A[16] ^= np.uint64(0x8000000000000000)
        permute(A, B, C)
    for w in range(4):
        v = A[w]
        for b in range(8):
            out_row[8 * w + b] = np.uint8((v >> np.uint64(8 * b)) & np.uint64(0xFF))


CHUNK = 256


@njit(cache=True, parallel=True)
def _kernel(buf, offsets, out):
    n = offsets.shape[0] - 1
    for c in prange(chunking(n, CHUNK)):
        A = np.empty(25, np.uint64)
        B = np.empty(25, np.uint64)
        C = np.empty(5, np.uint64)
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            hash_span(buf, offsets[i], offsets[i + 1] - offsets[i], A, B, C, out[i])


def keccak256_batch(buf: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(N, 32) uint8: Keccak-256 of each span buf[offsets[i]:offsets[i+1]] (buf 1-D uint8, offsets int64)."""
    from ._checks import check_spans

    check_spans(buf, offsets)
    out = np.empty((offsets.shape[0] - 1, 32), dtype=np.uint8)
    _kernel(buf, offsets, out)
    return out
