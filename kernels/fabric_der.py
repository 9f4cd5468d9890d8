"""A Numba kernel that decodes DER ECDSA signatures (SEQUENCE { INTEGER r, INTEGER s }, X.690) in one call:
Fabric's endorsement, creator and orderer signatures.  Strict DER, as Go's encoding/asn1 reads them for
Fabric: short-form lengths only, each integer positive, minimal and at most 256 bits (33 bytes only as a
zero before a byte >= 0x80), nothing after the sequence.

Layout: signature i is ``buf[offsets[i]:offsets[i+1]]``; row i of ``out`` is r || s, 32 bytes each,
big-endian, zeros where the signature does not decode.
"""
from __future__ import annotations

import numba as nb
import numpy as np

# n / 2 of P-256 (floor), big-endian: s above it is high-S
P256_HALF_N = ((0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 >> 1)
               .to_bytes(32, "big"))
_HALF = np.frombuffer(P256_HALF_N, dtype=np.uint8)


@nb.njit(cache=True, nogil=True)
def _integer_ok(buf, p, ln):
    """A DER INTEGER body at buf[p:p+ln] that is positive, minimal and at most 256 bits."""
    first = buf[p]
    if first >= 0x80:
        return False
    if ln > 1 and first == 0 and buf[p + 1] < 0x80:
        return False
    return ln < 33 or first == 0


@nb.njit(cache=True, nogil=True)
def _decode(buf, offsets, half, out, ok, high):
    for i in range(offsets.shape[0] - 1):
        a, n = offsets[i], offsets[i + 1] - offsets[i]
        ok[i] = 0
        high[i] = 0
        for t in range(64):
            out[i, t] = 0
        if n < 8 or n > 72 or buf[a] != 0x30 or buf[a + 1] != n - 2 or buf[a + 2] != 0x02:
            continue
        rl = np.int64(buf[a + 3])
        if rl < 1 or rl > 33 or 6 + rl >= n or buf[a + 4 + rl] != 0x02:
            continue
        sl = np.int64(buf[a + 5 + rl])
        if sl < 1 or sl > 33 or 6 + rl + sl != n:
            continue
        if not _integer_ok(buf, a + 4, rl) or not _integer_ok(buf, a + 6 + rl, sl):
            continue
        tr, ts = min(rl, 32), min(sl, 32)
        for t in range(tr):
            out[i, 32 - tr + t] = buf[a + 4 + rl - tr + t]
        for t in range(ts):
            out[i, 64 - ts + t] = buf[a + 6 + rl + sl - ts + t]
        ok[i] = 1
        for t in range(32):
            if out[i, 32 + t] != half[t]:
                high[i] = out[i, 32 + t] > half[t]
                break


def decode_ecdsa_der(buf: np.ndarray, offsets: np.ndarray):
    """(r||s (N, 64) uint8, ok (N,) bool, high (N,) bool) for the N signatures ``buf[offsets[i]:offsets[i+1]]``
    (``buf`` 1-D uint8, ``offsets`` (N+1,) int64, non-decreasing, within ``buf``).  ``high`` marks
    s > n/2 of P-256 where ``ok``."""
    if buf.dtype != np.uint8 or buf.ndim != 1 or offsets.dtype != np.int64 or offsets.ndim != 1:
        raise TypeError("buf must be 1-D uint8 and offsets 1-D int64")
    n = offsets.shape[0] - 1
    if n < 0 or (n and (offsets[0] < 0 or offsets[-1] > buf.shape[0] or np.any(np.diff(offsets) < 0))):
        raise ValueError("offsets must be non-decreasing and within buf")
    out = np.empty((n, 64), dtype=np.uint8)
    ok = np.empty(n, dtype=np.bool_)
    high = np.empty(n, dtype=np.bool_)
    _decode(buf, offsets, _HALF, out, ok, high)
    return out, ok, high
