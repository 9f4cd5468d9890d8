"""Reference Ed25519 (RFC 8032) in plain Python: key derivation, signing, and verification under a fixed policy.

Variable-time and unhardened: for test data and as the oracle of the fast kernels, never for real secrets.

Verification policy (``verify``), applied in this order; each failure is ``False``, never an exception:

1. Lengths: the public key A is 32 bytes, the signature R || S is 64 bytes (anything else is False).
2. S < L (RFC 8032 5.1.7 step 1): rejects the malleable S + L forms.
3. A and R are decoded as RFC 8032 5.1.3 does, which rejects: an encoded y >= p (non-canonical y),
   a y with no x (x^2 = (y^2 - 1)/(d y^2 + 1) has no square root), and x = 0 with the sign bit set
   (the non-canonical encodings of (0, 1) and (0, -1)).  Small-order A and R are *accepted* once they
   decode canonically: RFC 8032 does not exclude them and the cofactored equation handles them
   consistently.
4. k = SHA-512(R || A || M) mod L, hashing the encodings exactly as received.
5. The cofactored equation [8][S]B == [8]R + [8][k]A.  RFC 8032 5.1.7 step 3 permits it or the
   cofactorless one; the cofactored form is the one a batch verifier can reproduce exactly, so the fast
   batched kernels and this oracle give the same verdict even for small-order components.

How the Wycheproof ``ed25519_test.json`` flags map onto these rules (the tests check all 151 vectors;
no invalid vector passes the cofactored equation, so no rule beyond RFC 8032's own was needed):
- ``Valid``, ``Ktv``, ``TinkOverflow``: valid; they pass every rule.
- ``CompressedSignature``, ``SignatureWithGarbage``, ``TruncatedSignature``: rule 1 (length).
- ``SignatureMalleability`` (S + L and similar), ``InvalidKtv``: rule 2 (S >= L).
- ``InvalidEncoding``: rule 3 where R's encoding has y >= p, no square root, or is y = 1 with the sign
  bit set; the vectors with one bit of R flipped that still decode to some other point fail rule 5,
  because k hashes the received R bytes and the equation then describes a different R.
- ``InvalidSignature`` (edge-case values of R and S such as 0, L, p): rules 2, 3 or 5.
"""
from __future__ import annotations

import hashlib

from ._bytes import as_bytes

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, -1, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

# Points are extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z.
IDENTITY = (0, 1, 1, 0)


def _recover_x(y: int, sign: int) -> int | None:
    """RFC 8032 5.1.3 steps 2-4: x with x^2 = (y^2 - 1)/(d y^2 + 1) and parity ``sign``, or None."""
    if y >= P:
        return None
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    vxx = v * x * x % P
    if vxx == u:
        pass
    elif vxx == (-u) % P:
        x = x * SQRT_M1 % P
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if x & 1 != sign:
        x = P - x
    return x


_BY = 4 * pow(5, -1, P) % P
_BX = _recover_x(_BY, 0)
BASE = (_BX, _BY, 1, _BX * _BY % P)


def point_add(p1, p2):
    """The complete twisted-Edwards addition of RFC 8032 5.1.4 (it doubles correctly too)."""
    X1, Y1, Z1, T1 = p1
    X2, Y2, Z2, T2 = p2
    a = (Y1 - X1) * (Y2 - X2) % P
    b = (Y1 + X1) * (Y2 + X2) % P
    c = T1 * 2 * D * T2 % P
    d = Z1 * 2 * Z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def scalar_mult(k: int, pt):
    """k*pt by double-and-add (variable time)."""
    acc = IDENTITY
    for i in range(k.bit_length() - 1, -1, -1):
        acc = point_add(acc, acc)
        if (k >> i) & 1:
            acc = point_add(acc, pt)
    return acc


def point_equal(p1, p2) -> bool:
    X1, Y1, Z1, _ = p1
    X2, Y2, Z2, _ = p2
    return (X1 * Z2 - X2 * Z1) % P == 0 and (Y1 * Z2 - Y2 * Z1) % P == 0


def encode_point(pt) -> bytes:
    X, Y, Z, _ = pt
    zi = pow(Z, -1, P)
    x, y = X * zi % P, Y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def decode_point(data: bytes):
    """RFC 8032 5.1.3 decoding of 32 bytes, or None (y >= p, no square root, x = 0 with sign bit 1)."""
    if len(data) != 32:
        return None
    n = int.from_bytes(data, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _sha512_int(data: bytes) -> int:
    return int.from_bytes(hashlib.sha512(data).digest(), "little")


def _expand(seed: bytes) -> tuple[int, bytes]:
    """(clamped secret scalar a, prefix) from the 32-byte seed (RFC 8032 5.1.5)."""
    seed = bytes(seed)
    if len(seed) != 32:
        raise ValueError("Ed25519 seed must be 32 bytes")
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key of a 32-byte seed (RFC 8032 5.1.5)."""
    a, _ = _expand(seed)
    return encode_point(scalar_mult(a, BASE))


def sign(seed: bytes, msg: bytes) -> bytes:
    """The 64-byte RFC 8032 5.1.6 signature R || S of ``msg`` (deterministic)."""
    a, prefix = _expand(seed)
    msg = bytes(msg)
    A = encode_point(scalar_mult(a, BASE))
    r = _sha512_int(prefix + msg) % L
    R = encode_point(scalar_mult(r, BASE))
    k = _sha512_int(R + A + msg) % L
    S = (r + k * a) % L
    return R + S.to_bytes(32, "little")


def verify(pubkey: bytes, msg: bytes, sig: bytes) -> bool:
    """True iff ``sig`` is a valid signature of ``msg`` under ``pubkey`` by the module's policy."""
    pubkey, msg, sig = as_bytes(pubkey), as_bytes(msg), as_bytes(sig)
    if pubkey is None or msg is None or sig is None or len(pubkey) != 32 or len(sig) != 64:
        return False
    S = int.from_bytes(sig[32:], "little")
    if S >= L:
        return False
    A = decode_point(pubkey)
    R = decode_point(sig[:32])
    if A is None or R is None:
        return False
    k = _sha512_int(sig[:32] + pubkey + msg) % L
    lhs = scalar_mult(8 * S, BASE)
    rhs = scalar_mult(8, point_add(R, scalar_mult(k, A)))
    return point_equal(lhs, rhs)
