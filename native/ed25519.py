"""Thin layer over the C Ed25519 kernels (native/src/ed25519.c): checks buffers, maps return codes, no policy.

Verification policy (the same in the C code and in ``ledgerval.reference.ed25519``):

- keys are 32 bytes and signatures 64 bytes (callers mark other lengths False before they get here);
- S (signature bytes 32..63, little-endian) must be < L;
- A and R must decode as RFC 8032 5.1.3 says: y < p (non-canonical encodings rejected), x^2 = u/v must have a
  root, and x = 0 with the sign bit set is rejected; points of small or mixed order are accepted as encodings;
- the COFACTORED equation [8][S]B = [8]R + [8][k]A with k = SHA-512(R || A || M) mod L decides.

Single and batch verification give the same verdict on every input: the batch equation is a random linear
combination of the cofactored single equations (random odd 128-bit multipliers from ``os.urandom``), and
when it fails the failing items are found by bisection down to single verifications.  A passing batch has a
chance below 2^-127 of hiding a bad item.  Every Wycheproof Ed25519 vector gets its expected verdict.
Items failing the cheap checks (S >= L, undecodable A or R) never enter a batch; when failures are dense
(more than 1 in 16) the kernel verifies item by item until a sub-batch comes out clean, so a flood of bad
signatures costs about as much as single verification.

Paths (chosen at run time from a measured order, honouring LEDGERVAL_CPU_FEATURES and ``cpu_mask``):
portable C (5x51-bit limbs); on CPUs with AVX-512 IFMA the square roots of point decoding, the per-item
tables and the batch's Straus loop run on eight 52-bit lanes; on AVX2 CPUs without IFMA the square roots of
point decoding run eight at a time on two sets of four AVX2 lanes (radix 2^25.5), and where the CPU also has
BMI2 and ADX (the ``adx`` path: every AVX2 server since Broadwell/Zen) the batch equation, its tables, single
verification and the leftover square roots run on a 4x64 field in MULX/ADCX/ADOX assembly; without BMI2/ADX
(``avx2``) the rest is the portable code.  On the portable, AVX2 and ADX paths, items of one batch with the
same key bytes share one term of the batch equation (their coefficients summed mod L), and cached keys carry
a wider affine table (window 7) for it.

Repeated keys (permissioned chains: the same validators sign again and again) hit ``key_cache``, a bounded,
thread-safe cache of decoded keys A and their tables of odd multiples for the batch equation
(native/_keyslots.py: keyed by the exact 32 bytes, filled on a key's second sighting, never holding verdicts
or keys that do not decode).  ``verify(..., cache=False)`` bypasses it; verdicts are the same either way.

``sign`` and ``pubkeys`` follow RFC 8032 and are for test data only: they run in variable time and are not
hardened against side channels.

Messages are one flat uint8 buffer with int64 offsets: message i is ``msg_buf[offsets[i]:offsets[i+1]]``.
Each native call covers a chunk of items; cffi releases the GIL, so chunks run on threads, and the results
do not depend on the number of threads.
"""
from __future__ import annotations

import os

import numpy as np


from . import AVAILABLE as _NATIVE, check_rc, ffi, has, lib
from ._keyslots import KeySlotCache
from .errors import InvalidArgument, InvalidType
from ._pool import run_chunks

AVAILABLE: bool = _NATIVE and has("lv_ed25519_verify_batch")
_SLOTS: bool = _NATIVE and has("lv_ed25519_verify_batch_slots")

# Sub-batch size of the batch path (items per batch equation).  Measured on the 2-core EPYC (AVX-512 IFMA
# path, C timing loop over 512 signatures): 32 -> 9.0, 64 -> 7.9, 128 -> 7.4, 256 -> 7.1 us per signature.
# 128 keeps most of the gain while a failing item costs fewer re-checks than in bigger batches.
BATCH_SIZE = 128
# Below this many items per chunk the batch equation does not pay for its setup.
BATCH_MIN = 4
# Threads get chunks of at least this many items, so each still runs a worthwhile batch.
_MIN_CHUNK_BATCH = 32
METHODS = ("auto", "single", "batch")


def _check(rc: int) -> None:
    check_rc(rc, "ed25519")


def _u8(name: str, a, ndim: int, width: int | None = None) -> np.ndarray:
    if not isinstance(a, np.ndarray) or a.dtype != np.uint8 or a.ndim != ndim or not a.flags.c_contiguous:
        raise InvalidType(f"{name} must be a C-contiguous {ndim}-D uint8 array")
    if width is not None and a.shape[1] != width:
        raise InvalidArgument(f"{name} must have {width} bytes per row, got {a.shape[1]}")
    return a


def _messages(msg_buf, msg_offsets, n: int) -> tuple[np.ndarray, np.ndarray]:
    _u8("msg_buf", msg_buf, 1)
    if (not isinstance(msg_offsets, np.ndarray) or msg_offsets.dtype != np.int64 or msg_offsets.ndim != 1
            or not msg_offsets.flags.c_contiguous):
        raise InvalidType("msg_offsets must be a C-contiguous 1-D int64 array")
    if msg_offsets.shape[0] != n + 1:
        raise InvalidArgument(f"msg_offsets must have N+1 = {n + 1} entries, got {msg_offsets.shape[0]}")
    return msg_buf, msg_offsets


def _buf(a: np.ndarray):
    return ffi.from_buffer("uint8_t[]", a) if a.size else ffi.NULL


def _offs(a: np.ndarray, start: int = 0):
    return ffi.from_buffer("int64_t[]", a) + start


def _fill_slots(keys: np.ndarray, arena: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Key-slot fill for ``key_cache``: keys (M, 32)."""
    keys = np.ascontiguousarray(keys)
    ok = np.zeros(len(slots), dtype=np.uint8)
    _check(lib.lv_ed25519_keyslots_fill(ffi.from_buffer(keys), len(slots), ffi.cast("uint8_t *", ffi.from_buffer(arena)),
                                        len(arena), ffi.cast("int32_t *", ffi.from_buffer(slots)), ffi.from_buffer(ok)))
    return ok.view(bool)


# 4096 keys of 5288 bytes (21.7 MB, committed as slots fill; the layout is in ed25519_batch_impl.h).
key_cache = KeySlotCache(_fill_slots, lib.LV_ED25519_KEYSLOT_BYTES if _SLOTS else 8, maxsize=4096)


def verify(keys, msg_buf, msg_offsets, sigs, *, threads: int | None = None, method: str = "auto",
           batch_size: int = BATCH_SIZE, rand: np.ndarray | None = None, cache: bool = True) -> np.ndarray:
    """(N,) bool: signature i over message i under key i, under the policy above.

    ``method``: ``auto`` (batch verification for chunks of at least ``BATCH_MIN`` items), ``single`` or
    ``batch``; all give the same verdicts.  ``rand`` (N, 16) uint8 replaces the ``os.urandom`` multipliers
    (tests only).  ``threads=None`` uses every core.  ``cache=False`` skips ``key_cache``."""
    if method not in METHODS:
        raise InvalidArgument(f"unknown method {method!r}; expected one of {METHODS}")
    keys = _u8("keys", keys, 2, 32)
    sigs = _u8("sigs", sigs, 2, 64)
    n = keys.shape[0]
    if sigs.shape[0] != n:
        raise InvalidArgument(f"keys and sigs differ in length ({n} != {sigs.shape[0]})")
    msg_buf, msg_offsets = _messages(msg_buf, msg_offsets, n)
    if not 1 <= batch_size <= lib.LV_ED25519_BATCH_MAX:
        raise InvalidArgument(f"batch_size must be in 1..{lib.LV_ED25519_BATCH_MAX}")
    status = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return status.view(bool)
    use_batch = method == "batch" or (method == "auto" and n >= BATCH_MIN)
    if use_batch and rand is not None:
        rand = _u8("rand", rand, 2, 16)
        if rand.shape[0] != n:
            raise InvalidArgument("rand must have one row per item")
    kp, sp, mp, stp = ffi.from_buffer(keys), ffi.from_buffer(sigs), _buf(msg_buf), ffi.from_buffer(status)
    mlen = msg_buf.shape[0]
    rp = ffi.from_buffer(rand) if use_batch and rand is not None else None
    lease = None
    if cache and _SLOTS and key_cache.maxsize:
        lease = key_cache.lookup(keys, np.arange(n), n)
        if not lease.any:
            lease.release()
            lease = None
    if lease is not None:
        pa = ffi.cast("uint8_t *", ffi.from_buffer(lease.arena))
        rows = len(lease.arena)
        psl = ffi.cast("int32_t *", ffi.from_buffer(lease.slots))

    def chunk(a: int, b: int) -> None:
        if use_batch and (method == "batch" or b - a >= BATCH_MIN):
            bs = min(batch_size, b - a)
            scratch_bytes = lib.lv_ed25519_batch_scratch_bytes(bs)
            scratch = np.empty(scratch_bytes, dtype=np.uint8)
            # each chunk draws its own multipliers: os.urandom on the calling thread alone was ~1% of a
            # 1,024-item batch that 2 threads could not share
            rnd = np.frombuffer(os.urandom(16 * (b - a)), np.uint8) if rp is None else None
            r = rp + 16 * a if rp is not None else ffi.from_buffer(rnd)
            if lease is None:
                rc = lib.lv_ed25519_verify_batch(kp + 32 * a, sp + 64 * a, mp, mlen, _offs(msg_offsets, a),
                                                 r, b - a, bs, ffi.from_buffer(scratch),
                                                 scratch_bytes, stp + a)
            else:
                rc = lib.lv_ed25519_verify_batch_slots(kp + 32 * a, sp + 64 * a, mp, mlen, _offs(msg_offsets, a),
                                                       r, b - a, bs, ffi.from_buffer(scratch),
                                                       scratch_bytes, pa, rows, psl + a, stp + a)
        elif lease is None:
            rc = lib.lv_ed25519_verify(kp + 32 * a, sp + 64 * a, mp, mlen, _offs(msg_offsets, a), b - a, stp + a)
        else:
            rc = lib.lv_ed25519_verify_slots(kp + 32 * a, sp + 64 * a, mp, mlen, _offs(msg_offsets, a), b - a,
                                             pa, rows, psl + a, stp + a)
        _check(rc)

    try:
        run_chunks(n, threads, chunk, min_chunk=_MIN_CHUNK_BATCH if use_batch else 16)
    finally:
        if lease is not None:
            lease.release()
    return status.view(bool)   # the kernels write 0 or 1: a view, not a copy


def sign(seeds, msg_buf, msg_offsets) -> np.ndarray:
    """(N, 64) RFC 8032 signatures R || S.  Test data only: variable time, not side-channel hardened."""
    seeds = _u8("seeds", seeds, 2, 32)
    n = seeds.shape[0]
    msg_buf, msg_offsets = _messages(msg_buf, msg_offsets, n)
    out = np.zeros((n, 64), dtype=np.uint8)
    if n == 0:
        return out
    sp, mp, op = ffi.from_buffer(seeds), _buf(msg_buf), ffi.from_buffer(out)

    def chunk(a: int, b: int) -> None:
        _check(lib.lv_ed25519_sign(sp + 32 * a, mp, msg_buf.shape[0], _offs(msg_offsets, a), b - a, op + 64 * a))

    run_chunks(n, None, chunk, min_chunk=16)
    return out


def pubkeys(seeds) -> np.ndarray:
    """(N, 32) RFC 8032 public keys of 32-byte seeds (test data only, as ``sign``)."""
    seeds = _u8("seeds", seeds, 2, 32)
    n = seeds.shape[0]
    out = np.zeros((n, 32), dtype=np.uint8)
    if n == 0:
        return out
    sp, op = ffi.from_buffer(seeds), ffi.from_buffer(out)

    def chunk(a: int, b: int) -> None:
        _check(lib.lv_ed25519_pubkeys(sp + 32 * a, b - a, op + 32 * a))

    run_chunks(n, None, chunk, min_chunk=16)
    return out


def sha512(msg_buf, msg_offsets) -> np.ndarray:
    """(N, 64) SHA-512 digests of the messages (the hash inside Ed25519; exposed for tests)."""
    _u8("msg_buf", msg_buf, 1)
    n = msg_offsets.shape[0] - 1 if isinstance(msg_offsets, np.ndarray) else -1
    msg_buf, msg_offsets = _messages(msg_buf, msg_offsets, n)
    out = np.zeros((n, 64), dtype=np.uint8)
    if n:
        _check(lib.lv_ed25519_sha512(_buf(msg_buf), msg_buf.shape[0], _offs(msg_offsets), n, ffi.from_buffer(out)))
    return out


# ---- test-only access to the field, scalar and group layers (32-byte little-endian values) ------------

def _layer(fn, op: int, a: bytes, b: bytes) -> tuple[int, bytes]:
    out = ffi.new("uint8_t[32]")
    rc = fn(op, a, b, out)
    if rc < 0:
        raise InvalidArgument(f"bad test op {op}")
    return rc, bytes(out)


def _test_fe(op: int, a: bytes, b: bytes = bytes(32)) -> tuple[int, bytes]:
    return _layer(lib.lv_ed25519_test_fe, op, a, b)


def _test_fe64(op: int, a: bytes, b: bytes = bytes(32)) -> tuple[int, bytes]:
    """The ADX path's 4x64 field (all 256 input bits used); NotImplementedError where the CPU lacks BMI2/ADX."""
    out = ffi.new("uint8_t[32]")
    rc = lib.lv_ed25519_test_fe64(op, a, b, out)
    if rc == lib.LV_EBADPATH:
        raise NotImplementedError("the 4x64 MULX/ADX field needs BMI2 and ADX")
    if rc < 0:
        raise InvalidArgument(f"bad test op {op}")
    return rc, bytes(out)


def _test_challenges(keys: np.ndarray, msg_buf: np.ndarray, msg_offsets: np.ndarray, sigs: np.ndarray) -> list[int]:
    """The batch verifier's challenges SHA-512(R || A || M) mod L, computed as the path in use computes them."""
    keys, sigs = _u8("keys", keys, 2, 32), _u8("sigs", sigs, 2, 64)
    n = keys.shape[0]
    msg_buf, msg_offsets = _messages(msg_buf, msg_offsets, n)
    out = np.zeros((n, 32), dtype=np.uint8)
    _check(lib.lv_ed25519_test_challenges(ffi.from_buffer(keys), ffi.from_buffer(sigs), _buf(msg_buf), msg_buf.shape[0],
                                          _offs(msg_offsets), n, ffi.from_buffer(out)))
    return [int.from_bytes(bytes(r), "little") for r in out]


def _test_sc(op: int, a: bytes, b: bytes = bytes(32)) -> tuple[int, bytes]:
    return _layer(lib.lv_ed25519_test_sc, op, a, b)


def _test_ge(op: int, a: bytes, b: bytes = bytes(32)) -> tuple[int, bytes]:
    return _layer(lib.lv_ed25519_test_ge, op, a, b)
