"""secp256k1 public keys in bulk: compressed SEC1 keys (33 bytes) -> the 64-byte x || y that Ethereum hashes
into an address.  The native recovery hands back compressed keys; an EVM sender is Keccak-256 of the
uncompressed point, so every recovered key needs y = sqrt(x^3 + 7) mod p.

Field elements are tuples of four uint64 limbs, least significant first.  Numba has no 128-bit product, so
the field operations are LLVM intrinsics written on wide integers (i512 product, i320 folding): LLVM lowers
them to the 64 x 64 -> 128 multiplications of the target.  (llvmlite, which builds that IR, is Numba's own
code generator, installed with it.)  p = 2^256 - 0x1000003D1, so the top half of a
product folds back in as hi * 0x1000003D1.  Results are below 2^256 but may exceed p until ``_canon``.

The square root is x^((p+1)/4) (p = 3 mod 4) along the usual addition chain for this p (x^(2^k - 1) for
k = 2, 3, 6, 9, 11, 22, 44, 88, 176, 220, 223, then the tail): 253 squarings and 13 multiplications.

Performance experiment (2-core AMD EPYC, one thread, CPU time): ten 26-bit limbs in int64 with schoolbook
products, scalar or eight keys side by side (LLVM vectorised the lane loops with vpmullq), took 23-28 ns
per squaring per key, ~7 us a key; these intrinsics take ~12 ns (one dependent chain), ~3.5 us a key;
CPython's pow(x, (p+1)//4, p) takes ~95 us.  Four keys' square roots interleaved (``_sqrt4``), so that the
core overlaps four dependent chains, took 1.25 ms for 672 keys against 2.0 ms one at a time (medians of 15).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ._md import chunking

_C = 0x1000003D1
_P = (1 << 256) - _C
CHUNK = 64
_FE = types.UniTuple(types.uint64, 4)


def _join(builder, tup, width: int):
    ty = ir.IntType(width)
    v = ir.Constant(ty, 0)
    for k in range(4):
        limb = builder.zext(builder.extract_value(tup, k), ty)
        v = builder.or_(v, builder.shl(limb, ir.Constant(ty, 64 * k)))
    return v


def _split(context, builder, v, ret):
    i64 = ir.IntType(64)
    limbs = [builder.trunc(builder.lshr(v, ir.Constant(v.type, 64 * k)), i64) for k in range(4)]
    return context.make_tuple(builder, ret, limbs)


def _fold(builder, t, rounds: int):
    """t (i320) -> t mod 2^256 + (t >> 256) * 0x1000003D1, ``rounds`` times: congruent mod p."""
    i256, i320 = ir.IntType(256), ir.IntType(320)
    for _ in range(rounds):
        lo = builder.zext(builder.trunc(t, i256), i320)
        hi = builder.lshr(t, ir.Constant(i320, 256))
        t = builder.add(lo, builder.mul(hi, ir.Constant(i320, _C)))
    return builder.trunc(t, i256)


@intrinsic
def _mulmod(typingctx, a, b):
    """a * b mod p, below 2^256.  The i512 product's top half h < 2^256 folds to < 2^290, then < 2^256 +
    2^67, then below 2^256 (a third fold adds at most 0x1000003D1 to a value already below 2^67)."""
    def codegen(context, builder, signature, args):
        i256, i320, i512 = ir.IntType(256), ir.IntType(320), ir.IntType(512)
        x = builder.mul(_join(builder, args[0], 512), _join(builder, args[1], 512))
        lo = builder.zext(builder.trunc(x, i256), i320)
        hi = builder.trunc(builder.lshr(x, ir.Constant(i512, 256)), i320)
        t = builder.add(lo, builder.mul(hi, ir.Constant(i320, _C)))
        return _split(context, builder, _fold(builder, t, 2), signature.return_type)
    return _FE(_FE, _FE), codegen


@intrinsic
def _addmod(typingctx, a, b):
    """a + b mod p, below 2^256 (a sum below 2^257 folds twice)."""
    def codegen(context, builder, signature, args):
        t = builder.add(_join(builder, args[0], 320), _join(builder, args[1], 320))
        return _split(context, builder, _fold(builder, t, 2), signature.return_type)
    return _FE(_FE, _FE), codegen


@intrinsic
def _canon(typingctx, a):
    """a (below 2^256) reduced to [0, p): one conditional subtraction suffices since 2^256 < 2p."""
    def codegen(context, builder, signature, args):
        v = _join(builder, args[0], 256)
        p = ir.Constant(ir.IntType(256), _P)
        r = builder.select(builder.icmp_unsigned(">=", v, p), builder.sub(v, p), v)
        return _split(context, builder, r, signature.return_type)
    return _FE(_FE), codegen


@intrinsic
def _neg(typingctx, a):
    """p - a for a in [0, p] (below 2^256 + 1, so ``_canon`` of it is -a mod p)."""
    def codegen(context, builder, signature, args):
        v = _join(builder, args[0], 256)
        r = builder.sub(ir.Constant(ir.IntType(256), _P), v)
        return _split(context, builder, r, signature.return_type)
    return _FE(_FE), codegen


@njit(cache=True)
def _sqr_n(a, n):
    for _ in range(n):
        a = _mulmod(a, a)
    return a


@njit(cache=True)
def _sqrt(a):
    """a^((p+1)/4)."""
    x2 = _mulmod(_mulmod(a, a), a)                 # a^(2^2 - 1)
    x3 = _mulmod(_mulmod(x2, x2), a)               # a^(2^3 - 1)
    x6 = _mulmod(_sqr_n(x3, 3), x3)
    x9 = _mulmod(_sqr_n(x6, 3), x3)
    x11 = _mulmod(_sqr_n(x9, 2), x2)
    x22 = _mulmod(_sqr_n(x11, 11), x11)
    x44 = _mulmod(_sqr_n(x22, 22), x22)
    x88 = _mulmod(_sqr_n(x44, 44), x44)
    x176 = _mulmod(_sqr_n(x88, 88), x88)
    x220 = _mulmod(_sqr_n(x176, 44), x44)
    x223 = _mulmod(_sqr_n(x220, 3), x3)
    # (p+1)/4 = (2^223 - 1) * 2^33 + (2^22 - 1) * 2^11 + (2^2 - 1) * 2^6 (then two more squarings)
    t = _mulmod(_sqr_n(x223, 23), x22)
    t = _mulmod(_sqr_n(t, 6), x2)
    return _sqr_n(t, 2)


@njit(cache=True)
def _sqr_n4(a, b, c, d, n):
    for _ in range(n):
        a, b, c, d = _mulmod(a, a), _mulmod(b, b), _mulmod(c, c), _mulmod(d, d)
    return a, b, c, d


@njit(cache=True)
def _mul4(a, b, c, d, e, f, g, h):
    return _mulmod(a, e), _mulmod(b, f), _mulmod(c, g), _mulmod(d, h)


@njit(cache=True)
def _sqrt4(a, b, c, d):
    """``_sqrt`` of four elements, their chains interleaved: one chain waits on each multiplication's
    latency, four keep the multiplier busy."""
    x2 = _mul4(*_sqr_n4(a, b, c, d, 1), a, b, c, d)
    x3 = _mul4(*_sqr_n4(*x2, 1), a, b, c, d)
    x6 = _mul4(*_sqr_n4(*x3, 3), *x3)
    x9 = _mul4(*_sqr_n4(*x6, 3), *x3)
    x11 = _mul4(*_sqr_n4(*x9, 2), *x2)
    x22 = _mul4(*_sqr_n4(*x11, 11), *x11)
    x44 = _mul4(*_sqr_n4(*x22, 22), *x22)
    x88 = _mul4(*_sqr_n4(*x44, 44), *x44)
    x176 = _mul4(*_sqr_n4(*x88, 88), *x88)
    x220 = _mul4(*_sqr_n4(*x176, 44), *x44)
    x223 = _mul4(*_sqr_n4(*x220, 3), *x3)
    t = _mul4(*_sqr_n4(*x223, 23), *x22)
    t = _mul4(*_sqr_n4(*t, 6), *x2)
    return _sqr_n4(*t, 2)


@njit(cache=True)
def _load_be(src):
    """32 big-endian bytes -> four little-endian uint64 limbs."""
    limbs = [np.uint64(0)] * 4
    for k in range(4):
        v = np.uint64(0)
        for b in range(8):
            v = (v << np.uint64(8)) | np.uint64(src[32 - 8 * (k + 1) + b])
        limbs[k] = v
    return (limbs[0], limbs[1], limbs[2], limbs[3])


@njit(cache=True)
def _store_be(a, dst):
    for k in range(4):
        v = a[k]
        for b in range(8):
            dst[32 - 8 * k - 1 - b] = np.uint8(v & np.uint64(0xFF))
            v >>= np.uint64(8)


_SEVEN = (np.uint64(7), np.uint64(0), np.uint64(0), np.uint64(0))


_ZERO = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))


@njit(cache=True)
def _rhs(key):
    """(whether the key can be a point: prefix 2 or 3, x < p; x^3 + 7 in canonical form, or zero)."""
    if key[0] != 2 and key[0] != 3:
        return False, _ZERO
    x = _load_be(key[1:])
    if _canon(x) != x:                 # x >= p
        return False, _ZERO
    return True, _canon(_addmod(_mulmod(_mulmod(x, x), x), _SEVEN))


@njit(cache=True)
def _finish(key, rhs, root, out) -> bool:
    """Store x || y from the square root candidate ``root`` of ``rhs``; False when rhs is not a square."""
    y = _canon(root)
    if _canon(_mulmod(y, y)) != rhs:   # x^3 + 7 is not a square: x is not on the curve
        return False
    if (y[0] & np.uint64(1)) != np.uint64(key[0] & 1):
        y = _canon(_neg(y))
    out[:32] = key[1:]
    _store_be(y, out[32:])
    return True


@njit(cache=True)
def _decompress_one(key, out) -> bool:
    good, rhs = _rhs(key)
    return good and _finish(key, rhs, _sqrt(rhs), out)


@njit(cache=True, nogil=True)
def _run(keys, out, ok, start, stop):
    i = start
    while i + 4 <= stop:   # four keys at a time through _sqrt4 (1.6x the throughput of one at a time)
        g0, r0 = _rhs(keys[i])
        g1, r1 = _rhs(keys[i + 1])
        g2, r2 = _rhs(keys[i + 2])
        g3, r3 = _rhs(keys[i + 3])
        y0, y1, y2, y3 = _sqrt4(r0, r1, r2, r3)
        ok[i] = g0 and _finish(keys[i], r0, y0, out[i])
        ok[i + 1] = g1 and _finish(keys[i + 1], r1, y1, out[i + 1])
        ok[i + 2] = g2 and _finish(keys[i + 2], r2, y2, out[i + 2])
        ok[i + 3] = g3 and _finish(keys[i + 3], r3, y3, out[i + 3])
        i += 4
    while i < stop:
        ok[i] = _decompress_one(keys[i], out[i])
        i += 1


@njit(cache=True, parallel=True)
def _kernel(keys, out, ok):
    n = keys.shape[0]
    for ch in prange(chunking(n, CHUNK)):
        _run(keys, out, ok, ch * CHUNK, min(n, (ch + 1) * CHUNK))


# Below this many keys (~7 ms of one core) the batch runs on the calling thread: waking Numba's workers
# for a block's few hundred keys (~1 ms) cost more than it saved on the shared 2-core machine (a block of
# 376 keys took 15.9 ms over two workers against 1.5 ms on one thread, medians of 15, load average ~10).
PARALLEL_MIN = 2048


def decompress_batch(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """keys (N, 33) uint8 compressed SEC1 -> ((N, 64) uint8 x || y big-endian, (N,) bool ok).  A row that is
    not a point on the curve (prefix not 2/3, x >= p, x^3 + 7 not a square) is not ok and left zero.
    Large batches spread over Numba's threads (``ledgerval.kernels.set_threads``)."""
    if not isinstance(keys, np.ndarray) or keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != 33:
        raise TypeError("keys must be an (N, 33) uint8 array")
    keys = np.ascontiguousarray(keys)
    n = keys.shape[0]
    out = np.zeros((n, 64), dtype=np.uint8)
    ok = np.zeros(n, dtype=np.bool_)
    if n >= PARALLEL_MIN:
        _kernel(keys, out, ok)
    else:
        _run(keys, out, ok, 0, n)
    return out, ok
