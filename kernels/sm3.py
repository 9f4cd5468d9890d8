"""SM3 over whole batches (GM/T 0004-2012); digests in SM3's big-endian byte order.

Same layout as kernels/sha256.py: spans of one flat buffer, chunks over Numba's threads.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._md import M32, chunking, md_load_block, md_nblocks, store_be_words

IV = np.array([0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e],
              dtype=np.int64)
# rol(T_j, j mod 32): the round constant as SS1 uses it.
TJ = np.array([((t << (j % 32)) | (t >> (32 - j % 32))) & M32
               for j, t in ((j, 0x79cc4519 if j < 16 else 0x7a879d8a) for j in range(64))], dtype=np.int64)


@njit(cache=True)
def _rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & M32


@njit(cache=True)
def compress(V, W):
    """One block: W[0:16] holds its words; W (68 long) is overwritten with the expansion."""
    for j in range(16, 68):
        x = W[j - 16] ^ W[j - 9] ^ _rotl(W[j - 3], 15)
        W[j] = (x ^ _rotl(x, 15) ^ _rotl(x, 23)) ^ _rotl(W[j - 13], 7) ^ W[j - 6]
    A, B, C, D, E, F, G, H = V[0], V[1], V[2], V[3], V[4], V[5], V[6], V[7]
    for j in range(64):
        a12 = _rotl(A, 12)
        ss1 = _rotl((a12 + E + TJ[j]) & M32, 7)
        ss2 = ss1 ^ a12
        if j < 16:
            ff = A ^ B ^ C
            gg = E ^ F ^ G
        else:
            ff = (A & B) | (A & C) | (B & C)
            gg = (E & F) | (~E & G & M32)
        tt1 = (ff + D + ss2 + (W[j] ^ W[j + 4])) & M32
        tt2 = (gg + H + ss1 + W[j]) & M32
        D = C
        C = _rotl(B, 9)
        B = A
        A = tt1
        H = G
        G = _rotl(F, 19)
        F = E
        E = tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17)
    V[0] ^= A
    V[1] ^= B
    V[2] ^= C
    V[3] ^= D
    V[4] ^= E
    V[5] ^= F
    V[6] ^= G
    V[7] ^= H


@njit(cache=True)
def hash_span(buf, start, length, s, W, out_row):
    for t in range(8):
        s[t] = IV[t]
    nb = md_nblocks(length)
    for k in range(nb):
        md_load_block(buf, start, length, k, nb, W)
        compress(s, W)
    store_be_words(s, out_row)


CHUNK = 256


@njit(cache=True, parallel=True)
def _kernel(buf, offsets, out):
    n = offsets.shape[0] - 1
    for c in prange(chunking(n, CHUNK)):
        s = np.empty(8, np.int64)
        W = np.empty(68, np.int64)
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            hash_span(buf, offsets[i], offsets[i + 1] - offsets[i], s, W, out[i])


def sm3_batch(buf: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(N, 32) uint8: SM3 of each span buf[offsets[i]:offsets[i+1]] (buf 1-D uint8, offsets int64)."""
    from ._checks import check_spans

    check_spans(buf, offsets)
    out = np.empty((offsets.shape[0] - 1, 32), dtype=np.uint8)
    _kernel(buf, offsets, out)
    return out
