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


# --- 64-byte messages, 16 at a time in structure-of-arrays form ----------------------------------------------
# Lane l of every state/schedule row belongs to message l, and each step is a loop over the 16 lanes, which
# LLVM turns into vector instructions across messages.  Measured on the AMD EPYC target, one thread, 64-byte
# messages: 230-350 ns per message against 580-1090 ns for the scalar per-message kernel above (same run).
LANES = 16
K32 = K.astype(np.uint32)
IV32 = IV.astype(np.uint32)
KW64_32 = KW64.astype(np.uint32)


@njit(cache=True)
def _soa_rounds(S, W, KW, sched):
    """S (8, LANES) += 64 rounds; with ``sched`` W (64, LANES) rows 0..15 are the words and KW is K,
    without it KW already holds K + W of a constant block."""
    if sched:
        for t in range(16, 64):
            for lane in range(LANES):
                x = W[t - 15, lane]
                y = W[t - 2, lane]
                s0 = ((x >> 7) | (x << 25)) ^ ((x >> 18) | (x << 14)) ^ (x >> 3)
                s1 = ((y >> 17) | (y << 15)) ^ ((y >> 19) | (y << 13)) ^ (y >> 10)
                W[t, lane] = np.uint32(W[t - 16, lane] + s0 + W[t - 7, lane] + s1)
    a = S[0].copy()
    b = S[1].copy()
    c = S[2].copy()
    d = S[3].copy()
    e = S[4].copy()
    f = S[5].copy()
    g = S[6].copy()
    h = S[7].copy()
    for t in range(64):
        for lane in range(LANES):
            E = e[lane]
            A = a[lane]
            S1 = ((E >> 6) | (E << 26)) ^ ((E >> 11) | (E << 21)) ^ ((E >> 25) | (E << 7))
            ch = (E & f[lane]) ^ (~E & g[lane])
            kw = KW[t] + W[t, lane] if sched else KW[t]
            t1 = np.uint32(h[lane] + S1 + ch + kw)
            S0 = ((A >> 2) | (A << 30)) ^ ((A >> 13) | (A << 19)) ^ ((A >> 22) | (A << 10))
            mj = (A & b[lane]) ^ (A & c[lane]) ^ (b[lane] & c[lane])
            h[lane] = g[lane]
            g[lane] = f[lane]
            f[lane] = E
            e[lane] = np.uint32(d[lane] + t1)
            d[lane] = c[lane]
            c[lane] = b[lane]
            b[lane] = A
            a[lane] = np.uint32(t1 + S0 + mj)
    for lane in range(LANES):
        S[0, lane] += a[lane]
        S[1, lane] += b[lane]
        S[2, lane] += c[lane]
        S[3, lane] += d[lane]
        S[4, lane] += e[lane]
        S[5, lane] += f[lane]
        S[6, lane] += g[lane]
        S[7, lane] += h[lane]


@njit(cache=True, parallel=True)
def _kernel64(data, n, dbl, out):
    """out[i] = SHA-256(d) or SHA-256d(d) of d = data[64i:64i+64], for i < n (data 1-D, n*64 bytes)."""
    for gi in prange((n + LANES - 1) // LANES):
        S = np.empty((8, LANES), np.uint32)
        W = np.zeros((64, LANES), np.uint32)
        for lane in range(LANES):
            i = min(gi * LANES + lane, n - 1)  # a short last group recomputes message n-1 in spare lanes
            for t in range(16):
                p = 64 * i + 4 * t
                W[t, lane] = ((np.uint32(data[p]) << 24) | (np.uint32(data[p + 1]) << 16)
                              | (np.uint32(data[p + 2]) << 8) | np.uint32(data[p + 3]))
        for k in range(8):
            for lane in range(LANES):
                S[k, lane] = IV32[k]
        _soa_rounds(S, W, K32, True)
        _soa_rounds(S, W, KW64_32, False)
        if dbl:
            for lane in range(LANES):
                for k in range(8):
                    W[k, lane] = S[k, lane]
                    S[k, lane] = IV32[k]
                W[8, lane] = 0x80000000
                for k in range(9, 15):
                    W[k, lane] = 0
                W[15, lane] = 256
            _soa_rounds(S, W, K32, True)
        for lane in range(LANES):
            i = gi * LANES + lane
            if i < n:
                for k in range(8):
                    v = S[k, lane]
                    out[i, 4 * k] = v >> 24
                    out[i, 4 * k + 1] = (v >> 16) & 255
                    out[i, 4 * k + 2] = (v >> 8) & 255
                    out[i, 4 * k + 3] = v & 255
