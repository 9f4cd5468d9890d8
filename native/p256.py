"""ECDSA over NIST P-256 through the C kernels (native/src/p256.c and the shared wei3_* layers: short
Weierstrass, a = -3).

Thin layer: checks dtypes and shapes, passes numpy buffers without copies, spreads chunks over threads
(cffi releases the GIL), and keeps the bounded caches of decompressed keys and of per-key tables (a key
seen again verifies through its table: native/src/wei3_keytab_impl.h).  Where the CPU has AVX-512 IFMA
the 8-lane kernels run instead (chosen at run time; ``ledgerval.native.cpu_mask`` forces the 4x64 paths):
a key seen once takes native/src/wei3_ifma_impl.h (it beats the 4x64 tables, which are then never built),
a key seen again its lane key table (``lane_table_cache``, native/src/wei3_ifma_keytab_impl.h, about 2x
faster again); verdicts never depend on the path.  Signing exists
for test data only: it is NOT hardened against side channels.
"""
from __future__ import annotations

import numpy as np


from . import has, lib
from .errors import InvalidArgument
from ._wei3 import (
    KeyCache,
    KeyTableCache,
    check_rc,
    key_decoders,
    lane_key_tables,
    lanes_outrun_tables,
    ptr,
    same_n,
    u8,
    verify_split,
)

AVAILABLE: bool = has("lv_p256_verify")

# Below this many items per chunk the thread hand-off costs more than it saves.
_MIN_CHUNK = 8


if AVAILABLE:
    decompress, keytabs, _TAB_BYTES = key_decoders("p256")
    key_cache = KeyCache(decompress)
    table_cache = KeyTableCache(keytabs, _TAB_BYTES, maxsize=1024)
    # keys seen again where the IFMA lanes run: their own tables (10 KiB each), in their own cache, so a
    # table is only ever read by the kernel that built it
    _lane = lane_key_tables("p256")
    keytabs8 = _lane[0] if _lane else None
    lane_table_cache = KeyTableCache(keytabs8, _lane[1], maxsize=1024) if _lane else None


def clear_caches() -> None:
    """Forget every cached key (for tests); verdicts never depend on the caches."""
    key_cache.clear()
    table_cache.clear()
    if lane_table_cache is not None:
        lane_table_cache.clear()


def verify(keys, key_lens, digests, sigs, *, low_s: bool = False, threads: int | None = None,
           cache: bool = True) -> np.ndarray:
    """(N,) bool: sigs[i] = r||s is a valid ECDSA signature of the 32-byte value digests[i] (reduced mod
    n, not hashed) under the SEC1 key in the first key_lens[i] bytes of keys[i] (33 or 65; 0 = malformed).
    r, s in [1, n-1]; high S accepted unless ``low_s``.  ``cache=False`` skips the key caches (no lookup, no
    sighting recorded, every key decoded by the kernel; same verdicts)."""
    keys, key_lens = u8("keys", keys, 65), u8("key_lens", key_lens, None)
    digests, sigs = u8("digests", digests, 32), u8("sigs", sigs, 64)
    n = same_n(keys=keys, key_lens=key_lens, digests=digests, sigs=sigs)
    if n == 0:
        return np.zeros(0, dtype=bool)
    flag = 1 if low_s else 0

    def tab_call(tabs, idx_p, dig, sig, a, b, res):
        check_rc(lib.lv_p256_verify_tab(ptr(dig, a), ptr(sig, a), b - a, flag, ptr(tabs), len(tabs), idx_p,
                                        ptr(res, a)), "lv_p256_verify_tab")

    def plain_call(k, lens, dig, sig, a, b, res):
        check_rc(lib.lv_p256_verify(ptr(k, a), ptr(lens, a), ptr(dig, a), ptr(sig, a), b - a, flag, ptr(res, a)),
                 "lv_p256_verify")

    def tab8_call(tabs, idx_p, dig, sig, a, b, res):
        check_rc(lib.lv_p256_verify_tab8(ptr(dig, a), ptr(sig, a), b - a, flag, ptr(tabs), len(tabs), idx_p,
                                         ptr(res, a)), "lv_p256_verify_tab8")

    # The IFMA lanes decompress 8 keys at a time for less than the cache lookup costs (1,024 cached keys, one
    # core: 14.1 ms without the lookup, 14.7 ms with it; 2 threads scale 1.96x instead of 1.79x).
    lanes = lanes_outrun_tables()
    plain_keys = None if lanes or not cache else (lambda k, kl: key_cache.uncompressed(k, kl, threads))
    # measured order at the IFMA tier (README, P-256 row): lane tables ahead of the first-sighting lanes,
    # which are ahead of the 4x64 tables
    if lanes and lane_table_cache is not None:
        tabs, call = lane_table_cache, tab8_call
    else:
        tabs, call = (None if lanes else table_cache), tab_call
    return verify_split(tabs if cache else None, keys, key_lens, digests, sigs, threads=threads,
                        min_chunk=_MIN_CHUNK, tab_call=call, plain_call=plain_call, plain_keys=plain_keys)


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
