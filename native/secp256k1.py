"""ECDSA over secp256k1 in C (``native/src/secp256k1*.{c,h}``): batch verify, recover, and test-data signing.

A thin 1:1 layer: checks dtypes and shapes, passes numpy buffers without copies, spreads chunks over
threads (cffi releases the GIL) and turns misuse codes into exceptions.  Layouts, all big-endian:
keys (N, 65) with the SEC1 key in the first ``key_lens[i]`` bytes of row i (33 or 65; anything else, e.g. 0,
is an invalid item); digests (N, 32), the signed value itself (no hashing); signatures (N, 64) r || s;
recoverable signatures (N, 65) r || s || v.

On CPUs with AVX-512 IFMA, verification and recovery run eight items per vector; on x86-64 CPUs with BMI2
and ADX but no IFMA (AVX2-only servers) the multi-scalar chains, window tables and decompression run on a
4x64 MULX/ADX field (``adx`` path); elsewhere the 5x52 scalar path runs.  The C code picks the path at run time from one
measured order (``lv_secp256k1_best_path``), under ``LEDGERVAL_CPU_FEATURES`` and ``cpu_mask``; verdicts
never depend on the path or on the thread count.

Repeated keys (permissioned chains: the same senders again and again) hit ``key_cache``, a bounded,
thread-safe cache of decoded keys and their per-key tables (native/_keyslots.py: keyed by the exact key
bytes, filled on a key's second sighting, never holding verdicts or keys that do not decode).
``verify(..., cache=False)`` bypasses it; verdicts are the same either way.

``sign`` and ``pubkeys`` are NOT side-channel hardened (variable-time code): for test data only.
"""
from __future__ import annotations

import numpy as np

from . import check_rc, ffi, has, lib
from ._keyslots import KeySlotCache
from ._pool import run_chunks, start_shared
from .errors import InvalidArgument, InvalidType

AVAILABLE = has("lv_secp256k1_verify")
_SLOTS = has("lv_secp256k1_verify_slots")

# Items per native call; below this a second thread is not worth waking.
_MIN_CHUNK = 16


def _rows(name: str, a, width: int, n: int | None = None) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise InvalidType(f"{name} must be a numpy array, not {type(a).__name__}")
    if a.dtype != np.uint8:
        raise InvalidType(f"{name} must be uint8, not {a.dtype}")
    if a.ndim != 2 or a.shape[1] != width:
        raise InvalidArgument(f"{name} must have shape (N, {width}), got {a.shape}")
    if n is not None and a.shape[0] != n:
        raise InvalidArgument(f"{name} has {a.shape[0]} rows, expected {n}")
    return np.ascontiguousarray(a)


def _check(rc: int) -> None:
    check_rc(rc, "secp256k1 kernel")


def _need() -> None:
    if not AVAILABLE:
        raise NotImplementedError("the native secp256k1 kernel is not built into this install")


def _fill_slots(idents: np.ndarray, arena: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Key-slot fill for ``key_cache``: idents (M, 66) = key length || the 65-byte key row."""
    keys = np.ascontiguousarray(idents[:, 1:])
    lens = np.ascontiguousarray(idents[:, 0])
    ok = np.zeros(len(slots), dtype=np.uint8)
    pa = ffi.cast("uint8_t *", ffi.from_buffer(arena))
    _check(lib.lv_secp256k1_keyslots_fill(ffi.from_buffer(keys), ffi.from_buffer(lens), len(slots), pa, len(arena),
                                          ffi.cast("int32_t *", ffi.from_buffer(slots)), ffi.from_buffer(ok)))
    return ok.view(bool)


# 2048 keys of 32,856 bytes: 67 MB of address space, committed as slots fill (the scalar path's split table
# fills a row, the IFMA table only its first 1,368 bytes).  Measured at the AVX2 tier (one core, thread CPU
# time, shared 2-core EPYC): the split table (8 bases 2^16 apart, window 8: 32 KiB) cuts a cached key's
# multi-scalar multiplication from ~24 to ~11 us, and filling it costs ~160 us once per key, so a key pays
# back from its third signature on.  (The 16 KiB table of 4 bases measured ~12.8 us a multiplication.)
key_cache = KeySlotCache(_fill_slots, lib.LV_SECP256K1_KEYSLOT_BYTES if _SLOTS else 8, maxsize=2048)


def _key_idents(keys: np.ndarray, key_lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows with a 33- or 65-byte key, their (M, 66) identities: length || key, zero past the key)."""
    rows = np.flatnonzero((key_lens == 33) | (key_lens == 65))
    ident = np.zeros((rows.size, 66), dtype=np.uint8)
    ident[:, 0] = key_lens[rows]
    ident[:, 1:] = keys[rows]
    ident[ident[:, 0] == 33, 34:] = 0
    return rows, ident


def _plan(keys, key_lens, digests, sigs, cache: bool):
    """Checked inputs -> (n, status array, pointers, key-slot lease or None)."""
    keys = _rows("keys", keys, 65)
    n = keys.shape[0]
    key_lens = np.ascontiguousarray(key_lens)
    if key_lens.dtype != np.uint8 or key_lens.shape != (n,):
        raise InvalidType(f"key_lens must be a uint8 array of shape ({n},)")
    digests = _rows("digests", digests, 32, n)
    sigs = _rows("sigs", sigs, 64, n)
    status = np.zeros(n, dtype=np.uint8)
    ptrs = tuple(ffi.cast("uint8_t *", ffi.from_buffer(a)) for a in (keys, key_lens, digests, sigs, status))
    lease = None
    if cache and _SLOTS and n and key_cache.maxsize:
        rows, ident = _key_idents(keys, key_lens)
        lease = key_cache.lookup(ident, rows, n)
        if not lease.any:
            lease.release()
            lease = None
    return n, status, ptrs, lease, (keys, key_lens, digests, sigs)


def verify(keys: np.ndarray, key_lens: np.ndarray, digests: np.ndarray, sigs: np.ndarray, *,
           low_s: bool = False, threads: int | None = None, cache: bool = True) -> np.ndarray:
    """(N,) bool: signature i over digest i under key i.  Malformed items are False, never an error.
    ``cache=False`` skips ``key_cache`` (same verdicts)."""
    _need()
    if has("lv_secp256k1_verify_shared"):
        # Every thread claims groups of items from one counter (verify_start) rather than taking a fixed
        # half: the same median when both cores run alike, and a core the host slows for a while hands its
        # share to the other (measured 2026-12-04, 1,024 items, this path against the halves interleaved,
        # 30 rounds: 2-thread scaling at the AVX2 tier p10 1.88x against 1.82x, worst 1.82x against 1.71x;
        # IFMA worst 1.86x against 1.65x; medians 1.90x-1.96x either way).
        n, status, ptrs, lease, keep = _plan(keys, key_lens, digests, sigs, cache)
        return PendingVerify(n, status, ptrs, lease, keep, low_s, threads, wait_start=False).result()
    n, status, (pk, pl, pd, ps, po), lease, _ = _plan(keys, key_lens, digests, sigs, cache)
    flag = int(bool(low_s))
    try:
        if lease is None:
            def chunk(a: int, b: int) -> None:
                _check(lib.lv_secp256k1_verify(pk + 65 * a, pl + a, pd + 32 * a, ps + 64 * a, b - a, flag, po + a))
        else:
            arena, slots = lease.arena, lease.slots
            pa = ffi.cast("uint8_t *", ffi.from_buffer(arena))
            psl = ffi.cast("int32_t *", ffi.from_buffer(slots))

            def chunk(a: int, b: int) -> None:
                _check(lib.lv_secp256k1_verify_slots(pk + 65 * a, pl + a, pd + 32 * a, ps + 64 * a, b - a, flag,
                                                     pa, len(arena), psl + a, po + a))

        run_chunks(n, threads, chunk, _MIN_CHUNK)
    finally:
        if lease is not None:
            lease.release()
    return status.astype(bool)


class PendingVerify:
    """A verification started by ``verify_start``; ``result()`` joins it and returns the (N,) verdicts.
    Holds the input arrays (and the key-slot lease) until then, so the helpers never read freed memory."""

    def __init__(self, n: int, status: np.ndarray, ptrs, lease, keep, low_s: bool, threads: int | None,
                 wait_start: bool = True):
        self._status, self._lease, self._keep, self._out = status, lease, keep, None
        self._next = np.zeros(1, dtype=np.int64)
        pk, pl, pd, ps, po = ptrs
        pn = ffi.cast("int64_t *", ffi.from_buffer(self._next))
        flag = int(bool(low_s))
        if lease is None:
            pa, rows, psl = ffi.NULL, 0, ffi.NULL
        else:
            pa = ffi.cast("uint8_t *", ffi.from_buffer(lease.arena))
            rows, psl = len(lease.arena), ffi.cast("int32_t *", ffi.from_buffer(lease.slots))

        def drain() -> None:
            _check(lib.lv_secp256k1_verify_shared(pk, pl, pd, ps, n, flag, pa, rows, psl, pn, po))

        chunk = lib.LV_SECP256K1_SHARED_CHUNK
        try:
            # one helper per group beyond the first: a batch of one group is not worth waking a thread
            self._work = start_shared(threads, drain, (n - 1) // chunk, wait_start)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._lease is not None:
            lease, self._lease = self._lease, None
            lease.release()

    def result(self) -> np.ndarray:
        if self._out is None:
            try:
                self._work.join()
            finally:
                self._release()
            self._out = self._status.astype(bool)
            self._keep = None
        return self._out


def verify_start(keys: np.ndarray, key_lens: np.ndarray, digests: np.ndarray, sigs: np.ndarray, *,
                 low_s: bool = False, threads: int | None = None, cache: bool = True) -> PendingVerify:
    """``verify`` started on ``threads - 1`` helper threads while the caller goes on; the caller's thread
    joins in at ``result()`` (``lv_secp256k1_verify_shared``: every thread claims groups of items from one
    counter inside a single GIL-free call), so with ``threads=1`` all of the work happens there.  Verdicts
    are ``verify``'s; misuse raises here, at the start.  Call ``result()`` even when abandoning the batch:
    it releases the key slots the batch pinned."""
    _need()
    if not has("lv_secp256k1_verify_shared"):
        raise NotImplementedError("this build of the native library has no lv_secp256k1_verify_shared")
    n, status, ptrs, lease, keep = _plan(keys, key_lens, digests, sigs, cache)
    return PendingVerify(n, status, ptrs, lease, keep, low_s, threads)


def recover(digests: np.ndarray, sigs65: np.ndarray, *, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """((N, 33) compressed keys, (N,) bool ok): the key that made r || s || v over each digest (zeros where
    not ok).  v is 0..3 or 27..30: bit 0 the parity of y(R), bit 1 set when x(R) = r + n."""
    _need()
    sigs65 = _rows("sigs65", sigs65, 65)
    n = sigs65.shape[0]
    digests = _rows("digests", digests, 32, n)
    out = np.zeros((n, 33), dtype=np.uint8)
    status = np.zeros(n, dtype=np.uint8)
    pd, ps, pout, pst = (ffi.cast("uint8_t *", ffi.from_buffer(a)) for a in (digests, sigs65, out, status))

    def chunk(a: int, b: int) -> None:
        _check(lib.lv_secp256k1_recover(pd + 32 * a, ps + 65 * a, b - a, pout + 33 * a, pst + a))

    run_chunks(n, threads, chunk, _MIN_CHUNK)
    return out, status.astype(bool)


def _raise_failed(what: str, status: np.ndarray) -> None:
    bad = np.flatnonzero(status == 0)
    if bad.size:
        raise InvalidArgument(f"{what} failed for item {int(bad[0])} ({bad.size} in all): a scalar is 0 or >= n, "
                           "or r or s came out 0 for that nonce")


def sign(privs: np.ndarray, digests: np.ndarray, nonces: np.ndarray) -> np.ndarray:
    """(N, 64) r || s with the caller's nonces (s not normalised to low S).  NOT side-channel hardened:
    test data only.  Raises InvalidArgument if any item fails (d or k out of [1, n-1], r or s = 0)."""
    _need()
    privs = _rows("privs", privs, 32)
    n = privs.shape[0]
    digests = _rows("digests", digests, 32, n)
    nonces = _rows("nonces", nonces, 32, n)
    out = np.zeros((n, 64), dtype=np.uint8)
    status = np.zeros(n, dtype=np.uint8)
    _check(lib.lv_secp256k1_sign(ffi.from_buffer(privs), ffi.from_buffer(digests), ffi.from_buffer(nonces), n,
                                 ffi.from_buffer(out), ffi.from_buffer(status)))
    _raise_failed("signing", status)
    return out


def pubkeys(privs: np.ndarray) -> np.ndarray:
    """(N, 33) compressed keys d*G.  Raises InvalidArgument if any d is 0 or >= n.  Not hardened."""
    _need()
    privs = _rows("privs", privs, 32)
    n = privs.shape[0]
    out = np.zeros((n, 33), dtype=np.uint8)
    status = np.zeros(n, dtype=np.uint8)
    _check(lib.lv_secp256k1_pubkeys(ffi.from_buffer(privs), n, ffi.from_buffer(out), ffi.from_buffer(status)))
    _raise_failed("public key derivation", status)
    return out
