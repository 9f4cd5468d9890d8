"""Intel crypto_mb (PyPI ``ipp-crypto``) as a benchmark peer, called through ctypes.

crypto_mb has no Python binding; its shared library exports the ``mbx_*`` multi-buffer functions (8 lanes of
AVX-512 IFMA for P-256, SM2 and Ed25519, 16 lanes for SM3).  The wheel's library links Intel's compiler
runtime (libsvml, libimf, libirng, libintlc, PyPI ``intel-cmplr-lib-rt``), which is not on the loader path,
so those are preloaded from the same prefix with RTLD_GLOBAL.  Anything missing makes the peer absent with
the reason, never an error.

Layouts (from crypto_mb's headers): r, s and digests are big-endian bytes; public-key coordinates are four
little-endian 64-bit limbs; Ed25519 takes the RFC 8032 encodings as they are.  The status word holds 4 bits
per lane, 0 meaning success.
"""
from __future__ import annotations

import ctypes
import os
import sys

_RUNTIME = ("libintlc.so.5", "libimf.so", "libirng.so", "libsvml.so")
_U8P = ctypes.POINTER(ctypes.c_uint8)
_U64P = ctypes.POINTER(ctypes.c_uint64)
_lib = None
_error: str | None = None


def _candidates() -> list[str]:
    dirs = [os.path.join(p, "lib") for p in dict.fromkeys((sys.prefix, sys.base_prefix, sys.exec_prefix))]
    return dirs + ["/usr/lib", "/usr/local/lib", "/usr/lib/x86_64-linux-gnu"]


def _masked() -> str | None:
    """Why crypto_mb is out at the current tier: an operator sizing an AVX2 server with LEDGERVAL_CPU_FEATURES
    must not see a peer that could not run there (crypto_mb's own dispatch ignores our mask)."""
    from ledgerval.native import cpu_features

    f = cpu_features()
    if f["AVX512F"] and f["AVX512IFMA"]:
        return None
    return "crypto_mb needs AVX-512 IFMA, which this tier lacks (CPU or LEDGERVAL_CPU_FEATURES)"


def load():
    """The loaded library, or None (``reason()`` then says why)."""
    global _lib, _error
    if _masked():
        return None
    if _lib is not None or _error is not None:
        return _lib
    for d in _candidates():
        path = os.path.join(d, "libcrypto_mb.so")
        if not os.path.exists(path):
            continue
        try:
            for name in _RUNTIME:
                dep = os.path.join(d, name)
                if os.path.exists(dep):
                    ctypes.CDLL(dep, mode=ctypes.RTLD_GLOBAL)
            lib = ctypes.CDLL(path)
        except OSError as exc:
            _error = f"libcrypto_mb.so does not load ({exc}); pip install intel-cmplr-lib-rt"
            return None
        lib.mbx_is_crypto_mb_applicable.argtypes = [ctypes.c_int64]
        lib.mbx_is_crypto_mb_applicable.restype = ctypes.c_int
        if not lib.mbx_is_crypto_mb_applicable(0):
            _error = "crypto_mb needs AVX-512 IFMA, which this CPU lacks"
            return None
        for fn in ("mbx_nistp256_ecdsa_verify_mb8", "mbx_sm2_ecdsa_verify_mb8", "mbx_ed25519_verify_mb8"):
            getattr(lib, fn).restype = ctypes.c_uint32
        lib.mbx_sm3_msg_digest_mb16.restype = ctypes.c_uint64
        _lib = lib
        return lib
    _error = "ipp-crypto (libcrypto_mb.so) not installed"
    return None


def reason() -> str | None:
    load()
    return _masked() or _error


def _limbs(v: int) -> ctypes.Array:
    return (ctypes.c_uint64 * 4)(*((v >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)))


def _u8(b: bytes) -> ctypes.Array:
    return (ctypes.c_uint8 * max(1, len(b))).from_buffer_copy(b if b else b"\0")


def _ptrs(kind, objs) -> ctypes.Array:
    return (kind * len(objs))(*(ctypes.cast(o, kind) for o in objs))


def _lane_ok(status: int, lanes: int) -> list[bool]:
    return [((status >> (4 * i)) & 0xF) == 0 for i in range(lanes)]


class _Groups:
    """Pre-built pointer arrays for batches of 8 (16 for SM3) lanes; the tail group repeats item 0 in the
    unused lanes and ignores their status."""

    def __init__(self, n: int, lanes: int):
        self.groups = [list(range(i, min(n, i + lanes))) for i in range(0, n, lanes)]
        self.lanes = lanes

    def padded(self, idx: list[int]) -> list[int]:
        return idx + [idx[0]] * (self.lanes - len(idx))


def _decode(curve_name: str, key: bytes):
    from ledgerval.reference import ecc

    curve = {"ecdsa-p256": ecc.P256, "sm2": ecc.SM2}[curve_name]
    return ecc.decode_pubkey(curve, key)


def ecdsa_verifier(scheme: str, keys, msgs, sigs):
    """A callable that verifies the whole batch with crypto_mb and returns a list of bools, or raises
    LookupError with the reason it cannot.  Keys are decompressed here, outside any timing (crypto_mb takes
    affine coordinates)."""
    lib = load()
    if lib is None:
        raise LookupError(reason())
    if scheme not in ("ecdsa-p256", "sm2"):
        raise LookupError(f"crypto_mb has no {scheme}")
    n = len(keys)
    keep = []
    rs, ss, ms, xs, ys, mlens = [], [], [], [], [], []
    for k, m, s in zip(keys, msgs, sigs):
        pt = _decode(scheme, bytes(k))
        if pt is None:
            raise LookupError("workload key does not decode")
        x, y = _limbs(pt[0]), _limbs(pt[1])
        r, sv, mm = _u8(bytes(s)[:32]), _u8(bytes(s)[32:]), _u8(bytes(m))
        keep += [x, y, r, sv, mm]
        rs.append(r), ss.append(sv), ms.append(mm), xs.append(x), ys.append(y), mlens.append(len(bytes(m)))
    grp = _Groups(n, 8)
    uid = _u8(b"1234567812345678")
    calls = []
    for idx in grp.groups:
        p = grp.padded(idx)
        args = [_ptrs(_U8P, [rs[i] for i in p]), _ptrs(_U8P, [ss[i] for i in p])]
        if scheme == "sm2":
            args += [_ptrs(_U8P, [uid] * 8), (ctypes.c_int * 8)(*([16] * 8)),
                     _ptrs(_U8P, [ms[i] for i in p]), (ctypes.c_int * 8)(*[mlens[i] for i in p])]
            fn = lib.mbx_sm2_ecdsa_verify_mb8
        else:
            args += [_ptrs(_U8P, [ms[i] for i in p])]
            fn = lib.mbx_nistp256_ecdsa_verify_mb8
        args += [_ptrs(_U64P, [xs[i] for i in p]), _ptrs(_U64P, [ys[i] for i in p]), None, None]
        calls.append((len(idx), args))

    def run():
        out = []
        for m, args in calls:
            out += _lane_ok(fn(*args), 8)[:m]
        return out

    run._keep = (keep, calls, uid)  # the pointer arrays point into these buffers
    return run


def ed25519_verifier(keys, msgs, sigs):
    lib = load()
    if lib is None:
        raise LookupError(reason())
    bufs = [(_u8(bytes(k)), _u8(bytes(m)), len(bytes(m)), _u8(bytes(s)[:32]), _u8(bytes(s)[32:]))
            for k, m, s in zip(keys, msgs, sigs)]
    grp = _Groups(len(bufs), 8)
    calls = []
    for idx in grp.groups:
        p = grp.padded(idx)
        args = [_ptrs(_U8P, [bufs[i][3] for i in p]), _ptrs(_U8P, [bufs[i][4] for i in p]),
                _ptrs(_U8P, [bufs[i][1] for i in p]), (ctypes.c_uint32 * 8)(*[bufs[i][2] for i in p]),
                _ptrs(_U8P, [bufs[i][0] for i in p])]
        calls.append((len(idx), args))
    fn = lib.mbx_ed25519_verify_mb8

    def run():
        out = []
        for m, args in calls:
            out += _lane_ok(fn(*args), 8)[:m]
        return out

    run._keep = (bufs, calls)
    return run


def sm3_hasher(msgs):
    """A callable hashing every message with ``mbx_sm3_msg_digest_mb16``; returns the list of digests."""
    lib = load()
    if lib is None:
        raise LookupError(reason())
    ins = [_u8(bytes(m)) for m in msgs]
    outs = [(ctypes.c_uint8 * 32)() for _ in msgs]
    grp = _Groups(len(ins), 16)
    calls = []
    for idx in grp.groups:
        p = grp.padded(idx)
        # padding lanes hash into a scratch digest so they never overwrite a real one
        scratch = (ctypes.c_uint8 * 32)()
        dst = [outs[i] for i in idx] + [scratch] * (16 - len(idx))
        calls.append((_ptrs(_U8P, [ins[i] for i in p]), (ctypes.c_int * 16)(*[len(bytes(msgs[i])) for i in p]),
                      _ptrs(_U8P, dst), scratch))
    fn = lib.mbx_sm3_msg_digest_mb16
    fn.argtypes = [ctypes.POINTER(_U8P), ctypes.POINTER(ctypes.c_int), ctypes.POINTER(_U8P)]

    def run():
        for a, b, c, _ in calls:
            fn(a, b, c)
        return outs  # ctypes arrays; bytes(x) reads one (the check does, outside timing)

    run._keep = (ins, outs, calls)
    return run
