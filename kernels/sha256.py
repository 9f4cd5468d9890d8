"""SHA-256 and SHA-256d over whole batches (FIPS 180-4).

Digests are written as 32 bytes in SHA-256's big-endian byte order (as hashlib prints them).  Messages are
spans of one flat uint8 buffer: message i is ``buf[offsets[i]:offsets[i+1]]``.  The batch is cut into
chunks spread over Numba's threads; each chunk allocates its scratch once.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._md import M32, chunking, md_load_block, md_nblocks, store_be_words

K = np.array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
], dtype=np.int64)
IV = np.array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19],
              dtype=np.int64)


def _schedule_py(W: list[int]) -> list[int]:
    r = lambda x, n: ((x >> n) | (x << (32 - n))) & M32  # noqa: E731
    W = list(W) + [0] * 48
    for t in range(16, 64):
        s0 = r(W[t - 15], 7) ^ r(W[t - 15], 18) ^ (W[t - 15] >> 3)
        s1 = r(W[t - 2], 17) ^ r(W[t - 2], 19) ^ (W[t - 2] >> 10)
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) & M32
    return W


# K[t] + W[t] of the padding block of every 64-byte message (0x80, zeros, length 512 bits): the second
# block of each Merkle interior node needs no message schedule.
KW64 = np.array([(int(k) + w) & M32 for k, w in zip(K, _schedule_py([0x80000000] + [0] * 14 + [512]))],
                dtype=np.int64)


@njit(cache=True)
def _rotr(x, n):
    return ((x >> n) | (x << (32 - n))) & M32


@njit(cache=True)
def _rounds_kw(s, KW):
    """s += 64 rounds over s with K[t] + W[t] = KW[t]."""
    a, b, c, d, e, f, g, h = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
    for t in range(64):
        S1 = _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)
        ch = (e & f) ^ (~e & g & M32)
        t1 = (h + S1 + ch + KW[t]) & M32
        S0 = _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)
        maj = (a & b) ^ (a & c) ^ (b & c)
        h = g
        g = f
        f = e
        e = (d + t1) & M32
        d = c
        c = b
        b = a
        a = (t1 + S0 + maj) & M32
    s[0] = (s[0] + a) & M32
    s[1] = (s[1] + b) & M32
    s[2] = (s[2] + c) & M32
    s[3] = (s[3] + d) & M32
    s[4] = (s[4] + e) & M32
    s[5] = (s[5] + f) & M32
    s[6] = (s[6] + g) & M32
    s[7] = (s[7] + h) & M32


@njit(cache=True)
def compress(s, W):
    """One block: W[0:16] holds its words; W (64 long) is overwritten with K + schedule."""
    for t in range(16, 64):
        x = W[t - 15]
        y = W[t - 2]
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> 3)
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> 10)
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) & M32
    for t in range(64):
        W[t] = (W[t] + K[t]) & M32
    _rounds_kw(s, W)


@njit(cache=True)
def second_pass(s, W):
    """SHA-256d: s = SHA-256 state after hashing the 32-byte digest that s holds."""
    for t in range(8):
        W[t] = s[t]
    W[8] = 0x80000000
    for t in range(9, 15):
        W[t] = 0
    W[15] = 256
    for t in range(8):
        s[t] = IV[t]
    compress(s, W)


@njit(cache=True)
def hash_span(buf, start, length, dbl, s, W, out_row):
    for t in range(8):
        s[t] = IV[t]
    nb = md_nblocks(length)
    for k in range(nb):
        md_load_block(buf, start, length, k, nb, W)
        compress(s, W)
    if dbl:
        second_pass(s, W)
    store_be_words(s, out_row)


@njit(cache=True)
def hash_64(buf, start, dbl, s, W, out_row):
    """A 64-byte message: the first block from buf, then the constant padding block (KW64)."""
    for t in range(8):
        s[t] = IV[t]
    md_load_block(buf, start, 64, 0, 2, W)
    compress(s, W)
    _rounds_kw(s, KW64)
    if dbl:
        second_pass(s, W)
    store_be_words(s, out_row)


CHUNK = 256


@njit(cache=True, parallel=True)
def _kernel(buf, offsets, dbl, out):
    n = offsets.shape[0] - 1
    for c in prange(chunking(n, CHUNK)):
        s = np.empty(8, np.int64)
        W = np.empty(64, np.int64)
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            hash_span(buf, offsets[i], offsets[i + 1] - offsets[i], dbl, s, W, out[i])


def _batch(buf: np.ndarray, offsets: np.ndarray, dbl: bool) -> np.ndarray:
    from ._checks import check_spans

    check_spans(buf, offsets)
    out = np.empty((offsets.shape[0] - 1, 32), dtype=np.uint8)
    _kernel(buf, offsets, dbl, out)
    return out


def sha256_batch(buf: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(N, 32) uint8: SHA-256 of each span buf[offsets[i]:offsets[i+1]] (buf 1-D uint8, offsets int64)."""
    return _batch(buf, offsets, False)


def sha256d_batch(buf: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(N, 32) uint8: SHA-256(SHA-256(m)) of each span, as Bitcoin hashes transactions and nodes."""
    return _batch(buf, offsets, True)
