"""Pieces shared by the Merkle-Damgard kernels (SHA-256, SM3): loading a padded block as 32-bit words.

Words are kept in int64 holding values below 2**32 and every sum is masked with ``M32``: Numba promotes
uint32 arithmetic to 64 bits anyway, and mixing unsigned and signed 64-bit operands would give floats.
"""
from __future__ import annotations

import numpy as np
from numba import njit

M32 = 0xFFFFFFFF


@njit(cache=True)
def md_nblocks(length):
    return (length + 8) // 64 + 1


@njit(cache=True)
def md_load_block(buf, start, length, k, nblocks, W):
    """W[0:16] = block k of the padded message buf[start:start+length], as big-endian words."""
    off = k * 64
    if off + 64 <= length:
        p = start + off
        for t in range(16):
            W[t] = ((np.int64(buf[p]) << 24) | (np.int64(buf[p + 1]) << 16)
                    | (np.int64(buf[p + 2]) << 8) | np.int64(buf[p + 3]))
            p += 4
        return
    for t in range(16):
        W[t] = 0
    for j in range(off, length):
        r = j - off
        W[r >> 2] |= np.int64(buf[start + j]) << (24 - 8 * (r & 3))
    if off <= length:
        r = length - off
        W[r >> 2] |= np.int64(0x80) << (24 - 8 * (r & 3))
    if k == nblocks - 1:
        bits = length * 8
        W[14] = (bits >> 32) & M32
        W[15] = bits & M32


@njit(cache=True)
def store_be_words(s, out_row):
    for i in range(8):
        v = s[i]
        out_row[4 * i] = np.uint8((v >> 24) & 0xFF)
        out_row[4 * i + 1] = np.uint8((v >> 16) & 0xFF)
        out_row[4 * i + 2] = np.uint8((v >> 8) & 0xFF)
        out_row[4 * i + 3] = np.uint8(v & 0xFF)


@njit(cache=True)
def chunking(n, chunk):
    return (n + chunk - 1) // chunk
