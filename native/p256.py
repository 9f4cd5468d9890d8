"""ECDSA over NIST P-256 through the C kernels (native/src/p256.c and the shared wei3_* layers).

Thin layer: checks dtypes and shapes, passes numpy buffers without copies, spreads chunks over threads
(cffi releases the GIL), and keeps the bounded cache of decompressed keys.  Signing exists for test data
only: it is NOT hardened against side channels.
"""
from __future__ import annotations

import numpy as np

from ledgerval.errors import InvalidArgument

from . import has, lib
from ._pool import run_chunks
from ._wei3 import KeyCache, check_rc, ptr, same_n, u8

AVAILABLE: bool = has("lv_p256_verify")

# Below this many items per chunk the thread hand-off costs more than it saves.
_MIN_CHUNK = 8


def decompress(keys: np.ndarray, key_lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 65) uncompressed keys and an (N,) bool 'decodes' mask for SEC1 keys in (N, 65) rows."""
    keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
    n = same_n(keys=keys, key_lens=key_lens)
    out = np.zeros((n, 65), dtype=np.uint8)
    ok = np.zeros(n, dtype=np.uint8)
    check_rc(lib.lv_p256_decompress(ptr(keys), ptr(key_lens), n, ptr(out), ptr(ok)), "lv_p256_decompress")
    return out, ok.view(bool)


key_cache = KeyCache(decompress)


def verify(keys, key_lens, digests, sigs, *, low_s: bool = False, threads: int | None = None) -> np.ndarray:
    """(N,) bool: sigs[i] = r||s is a valid ECDSA signature of the 32-byte value digests[i] (reduced mod
    n, not hashed) under the SEC1 key in the first key_lens[i] bytes of keys[i] (33 or 65; 0 = malformed).
    r, s in [1, n-1]; high S accepted unless ``low_s``."""
    keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
    digests, sigs = u8("digests", digests, 32), u8("sigs", sigs, 64)
    n = same_n(keys=keys, key_lens=key_lens, digests=digests, sigs=sigs)
    out = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return out.view(bool)
    keys, key_lens = key_cache.uncompressed(keys, key_lens)
    flag = 1 if low_s else 0

    def chunk(a: int, b: int) -> None:
        check_rc(lib.lv_p256_verify(ptr(keys, a), ptr(key_lens, a), ptr(digests, a), ptr(sigs, a), b - a, flag,
                                    ptr(out, a)), "lv_p256_verify")

    run_chunks(n, threads, chunk, min_chunk=_MIN_CHUNK)
    return out.view(bool)


def sign(privs, digests, nonces) -> np.ndarray:
    """(N, 64) r||s over the 32-byte digests with big-endian private keys and nonces (test data only,
    not side-channel hardened).  Raises InvalidArgument naming the first item that cannot be signed."""
    privs, digests, nonces = u8("privs", privs, 32), u8("digests", digests, 32), u8("nonces", nonces, 32)
    n = same_n(privs=privs, digests=digests, nonces=nonces)
    sigs = np.zeros((n, 64), dtype=np.uint8)
    st = np.zeros(n, dtype=np.uint8)
    check_rc(lib.lv_p256_sign(ptr(privs), ptr(digests), ptr(nonces), n, ptr(sigs), ptr(st)), "lv_p256_sign")
    bad = np.flatnonzero(st == 0)
    if bad.size:
        raise InvalidArgument(f"item {bad[0]}: private key or nonce out of [1, n-1], or r or s came out 0")
    return sigs


def pubkeys(privs) -> np.ndarray:
    """(N, 33) compressed public keys of big-endian private keys in [1, n-1]."""
    privs = u8("privs", privs, 32)
    n = len(privs)
    out = np.zeros((n, 33), dtype=np.uint8)
    st = np.zeros(n, dtype=np.uint8)
    check_rc(lib.lv_p256_pubkeys(ptr(privs), n, ptr(out), ptr(st)), "lv_p256_pubkeys")
    bad = np.flatnonzero(st == 0)
    if bad.size:
        raise InvalidArgument(f"item {bad[0]}: private key out of [1, n-1]")
    return out
