"""Merkle trees over a chosen hash: the Numba kernel that hashes one level's pairs (the level loop, which
also drives the native kernels, is the engine's: engine/merkle.py).

Nodes are (m, 32) uint8 arrays.  A level's pairs are the rows (2p, 2p+1), which lie back to back in memory,
so hashing a level is hashing m//2 consecutive 64-byte messages (65 with RFC 6962's 0x01 prefix) and needs
no copy.  Rules (what happens to an odd level's last node):
  ``rfc6962``  promoted unchanged (equivalent to RFC 6962's split at the largest power of two); 0x01 prefix;
  ``bitcoin``  paired with itself (also ChainMaker's and XuperChain's rule);
  ``fisco``    hashed alone, H(c).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import keccak, sha256, sm3
from ._checks import check_nodes
from ._md import chunking

ALGO_IDS = {"sha256": 0, "sha256d": 1, "sm3": 2, "keccak256": 3}
RULES = ("rfc6962", "bitcoin", "fisco")
CHUNK = 256


@njit(cache=True, parallel=True)
def _pairs_kernel(algo, prefix, flat, n, out):
    """out[p] = H([prefix] || flat[64p:64p+64]) for p < n; prefix < 0 means none.  SHA-256 without a prefix
    takes the precomputed padding block (sha256.hash_64)."""
    for c in prange(chunking(n, CHUNK)):
        msg = np.empty(65, np.uint8)
        s = np.empty(8, np.int64)
        W = np.empty(68, np.int64)
        A = np.empty(25, np.uint64)
        B = np.empty(25, np.uint64)
        C = np.empty(5, np.uint64)
        for p in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            if prefix >= 0:
                msg[0] = prefix
                msg[1:] = flat[64 * p: 64 * p + 64]
                src = msg
                start = 0
                length = 65
            else:
                src = flat
                start = 64 * p
                length = 64
            if algo <= 1:
                if length == 64:
                    sha256.hash_64(src, start, algo == 1, s, W, out[p])
                else:
                    sha256.hash_span(src, start, length, algo == 1, s, W, out[p])
            elif algo == 2:
                sm3.hash_span(src, start, length, s, W, out[p])
            else:
                keccak.hash_span(src, start, length, A, B, C, out[p])


def pairs_into(algo: str, prefix: int, flat: np.ndarray, n: int, out: np.ndarray) -> None:
    """out[p] = H([prefix] || flat[64p:64p+64]) for p < n; SHA-256(d) without a prefix takes the
    structure-of-arrays kernel (sha256._kernel64), everything else the per-message one."""
    if n == 0:
        return
    if prefix < 0 and algo in ("sha256", "sha256d"):
        sha256._kernel64(flat, n, algo == "sha256d", out)
    else:
        _pairs_kernel(ALGO_IDS[algo], prefix, flat, n, out)


def hash_pairs(algo: str, data: np.ndarray, prefix: int = -1) -> np.ndarray:
    """(N, 32): H([prefix] || row) for each row of an (N, 64) uint8 array (two children side by side)."""
    check_nodes(data, 64)
    n = data.shape[0]
    out = np.empty((n, 32), dtype=np.uint8)
    pairs_into(algo, prefix, data.reshape(-1), n, out)
    return out


@njit(cache=True)
def any_equal_halves(flat, n):
    """True when some flat[64p:64p+32] equals flat[64p+32:64p+64], p < n."""
    for p in range(n):
        same = True
        for j in range(32):
            if flat[64 * p + j] != flat[64 * p + 32 + j]:
                same = False
                break
        if same:
            return True
    return False
