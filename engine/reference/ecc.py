"""Reference short-Weierstrass curve arithmetic, ECDSA and SM2, in plain Python integers.

This is the slow, obviously-correct oracle: the fast kernels are tested against it and the engine falls
back to it.  It is variable-time and unhardened, so it must never hold a real secret (signing exists to make
test data).

Conventions, shared by every function here:
- A point is an affine ``(x, y)`` tuple of ints, or ``None`` for the point at infinity.  Internally the
  scalar multiplications run in Jacobian coordinates ``(X, Y, Z)`` with ``x = X/Z^2``, ``y = Y/Z^3``.
- Public keys are SEC1 encodings: 33 bytes ``02|03 || x`` or 65 bytes ``04 || x || y``, big-endian.
- Signatures are ``r || s``, 32 + 32 bytes big-endian.
- Verification never raises on bad data: a malformed key, signature or digest is ``False``.  Signing is
  misuse-checked and raises ``ValueError`` on out-of-range inputs.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._bytes import as_bytes
from .sm3 import sm3


@dataclass(frozen=True)
class Curve:
    """y^2 = x^3 + a*x + b over GF(p), base point G = (gx, gy) of prime order n (cofactor 1)."""

    name: str
    p: int
    a: int
    b: int
    n: int
    gx: int
    gy: int

    @property
    def g(self) -> tuple[int, int]:
        return (self.gx, self.gy)

    @property
    def size(self) -> int:
        """Bytes in one coordinate or scalar."""
        return (self.p.bit_length() + 7) // 8


SECP256K1 = Curve(
    name="secp256k1",
    p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F,
    a=0,
    b=7,
    n=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    gx=0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    gy=0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)

P256 = Curve(
    name="secp256r1",
    p=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
    a=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
    b=0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    n=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)

# GB/T 32918.5 recommended curve sm2p256v1.
SM2 = Curve(
    name="sm2p256v1",
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)


# --- bytes helpers ------------------------------------------------------------------------------------------


def _to_int(data: bytes) -> int:
    return int.from_bytes(data, "big")


# --- field and group ----------------------------------------------------------------------------------------

def sqrt_mod(curve: Curve, v: int) -> int | None:
    """A square root of v mod p, or None.  Every curve here has p = 3 (mod 4), so it is v^((p+1)/4)."""
    p = curve.p
    r = pow(v, (p + 1) // 4, p)
    return r if r * r % p == v % p else None


def on_curve(curve: Curve, pt) -> bool:
    if pt is None:
        return False
    x, y = pt
    p = curve.p
    return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + curve.a * x + curve.b)) % p == 0


def _jac_double(curve: Curve, P):
    X, Y, Z = P
    p = curve.p
    if Z == 0 or Y == 0:
        return (1, 1, 0)
    YY = Y * Y % p
    S = 4 * X * YY % p
    ZZ = Z * Z % p
    M = (3 * X * X + curve.a * ZZ * ZZ) % p
    X3 = (M * M - 2 * S) % p
    Y3 = (M * (S - X3) - 8 * YY * YY) % p
    Z3 = 2 * Y * Z % p
    return (X3, Y3, Z3)


def _jac_add(curve: Curve, P, Q):
    X1, Y1, Z1 = P
    X2, Y2, Z2 = Q
    p = curve.p
    if Z1 == 0:
        return Q
    if Z2 == 0:
        return P
    Z1Z1 = Z1 * Z1 % p
    Z2Z2 = Z2 * Z2 % p
    U1 = X1 * Z2Z2 % p
    U2 = X2 * Z1Z1 % p
    S1 = Y1 * Z2 * Z2Z2 % p
    S2 = Y2 * Z1 * Z1Z1 % p
    if U1 == U2:
        # Same x: either the same point (double it) or opposite points (sum is infinity).
        return _jac_double(curve, P) if S1 == S2 else (1, 1, 0)
    H = (U2 - U1) % p
    R = (S2 - S1) % p
    HH = H * H % p
    HHH = H * HH % p
    V = U1 * HH % p
    X3 = (R * R - HHH - 2 * V) % p
    Y3 = (R * (V - X3) - S1 * HHH) % p
    Z3 = H * Z1 * Z2 % p
    return (X3, Y3, Z3)


def _to_jac(pt):
    return (1, 1, 0) if pt is None else (pt[0], pt[1], 1)


def _to_affine(curve: Curve, P):
    X, Y, Z = P
    if Z == 0:
        return None
    p = curve.p
    zi = pow(Z, -1, p)
    zi2 = zi * zi % p
    return (X * zi2 % p, Y * zi2 * zi % p)


def point_add(curve: Curve, P, Q):
    """Affine P + Q (None is infinity)."""
    return _to_affine(curve, _jac_add(curve, _to_jac(P), _to_jac(Q)))


def point_neg(curve: Curve, P):
    return None if P is None else (P[0], (-P[1]) % curve.p)


def scalar_mult(curve: Curve, k: int, P):
    """Affine k*P by left-to-right double-and-add (variable time)."""
    return double_mult(curve, k, P, 0, None)


def double_mult(curve: Curve, u1: int, P, u2: int, Q):
    """Affine u1*P + u2*Q with Shamir's trick: one shared doubling chain over both scalars' bits."""
    if u1 < 0 or u2 < 0:
        raise ValueError("scalars must be non-negative")
    jP, jQ = _to_jac(P), _to_jac(Q)
    jPQ = _jac_add(curve, jP, jQ)
    acc = (1, 1, 0)
    for i in range(max(u1.bit_length(), u2.bit_length()) - 1, -1, -1):
        acc = _jac_double(curve, acc)
        b1, b2 = (u1 >> i) & 1, (u2 >> i) & 1
        if b1 and b2:
            acc = _jac_add(curve, acc, jPQ)
        elif b1:
            acc = _jac_add(curve, acc, jP)
        elif b2:
            acc = _jac_add(curve, acc, jQ)
    return _to_affine(curve, acc)


# --- SEC1 keys ---------------------------------------------------------------------------------------------

def decode_pubkey(curve: Curve, data) -> tuple[int, int] | None:
    """A SEC1 public key (33-byte 02/03 compressed or 65-byte 04 uncompressed) as an affine point, or None.

    None for any other length or prefix (hybrid 06/07 and the 1-byte infinity 00 included), a coordinate
    >= p, a point not on the curve, or an x with no square root.
    """
    data = as_bytes(data)
    if data is None:
        return None
    size = curve.size
    if len(data) == 1 + size and data[0] in (2, 3):
        x = _to_int(data[1:])
        if x >= curve.p:
            return None
        y = sqrt_mod(curve, (x * x * x + curve.a * x + curve.b) % curve.p)
        if y is None:
            return None
        if (y & 1) != (data[0] & 1):
            y = (-y) % curve.p
        pt = (x, y)
    elif len(data) == 1 + 2 * size and data[0] == 4:
        pt = (_to_int(data[1 : 1 + size]), _to_int(data[1 + size :]))
    else:
        return None
    return pt if on_curve(curve, pt) else None


def encode_pubkey(curve: Curve, point, compressed: bool = True) -> bytes:
    """SEC1 encoding of an affine point (not infinity)."""
    if point is None or not on_curve(curve, point):
        raise ValueError("cannot encode: not a finite point on the curve")
    x, y = point
    size = curve.size
    if compressed:
        return bytes([2 | (y & 1)]) + x.to_bytes(size, "big")
    return b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")


def public_key(curve: Curve, d: int, compressed: bool = True) -> bytes:
    """SEC1 public key of the private scalar d in [1, n-1]."""
    if not isinstance(d, int) or not 1 <= d < curve.n:
        raise ValueError("private key must be an integer in [1, n-1]")
    return encode_pubkey(curve, scalar_mult(curve, d, curve.g), compressed)


# --- ECDSA -------------------------------------------------------------------------------------------------

def _parse_sig(curve: Curve, sig) -> tuple[int, int] | None:
    """(r, s) from a 64-byte r||s with both in [1, n-1], else None."""
    sig = as_bytes(sig)
    size = curve.size
    if sig is None or len(sig) != 2 * size:
        return None
    r, s = _to_int(sig[:size]), _to_int(sig[size:])
    if not (1 <= r < curve.n and 1 <= s < curve.n):
        return None
    return r, s


def _digest_int(curve: Curve, digest) -> int | None:
    """e from a 32-byte digest: the integer itself, reduced mod n (all curves here have a 256-bit n, so
    the leftmost-bits truncation of SEC1 4.1.4 step 5 keeps every bit)."""
    digest = as_bytes(digest)
    if digest is None or len(digest) != 32:
        return None
    return _to_int(digest) % curve.n


def ecdsa_verify(curve: Curve, pubkey, digest, sig, low_s: bool = False) -> bool:
    """SEC1 4.1.4 ECDSA verification of r||s over the 32-byte ``digest`` (the signed value itself).

    r and s must lie in [1, n-1]; with ``low_s`` an s above n/2 (Bitcoin's BIP 62/146 rule) is rejected.
    Any malformed input is False.
    """
    Q = decode_pubkey(curve, pubkey)
    rs = _parse_sig(curve, sig)
    e = _digest_int(curve, digest)
    if Q is None or rs is None or e is None:
        return False
    r, s = rs
    n = curve.n
    if low_s and s > n // 2:
        return False
    w = pow(s, -1, n)
    R = double_mult(curve, e * w % n, curve.g, r * w % n, Q)
    if R is None:
        return False
    return R[0] % n == r


def ecdsa_sign(curve: Curve, d: int, digest: bytes, k: int) -> bytes:
    """r||s over the 32-byte ``digest`` with private key d and the caller's nonce k (both in [1, n-1]).

    Raises ValueError on out-of-range inputs and when r or s comes out 0 (pick another k).  s is not
    normalised to the low half.
    """
    n = curve.n
    e = _digest_int(curve, digest)
    if e is None:
        raise ValueError("digest must be 32 bytes")
    if not isinstance(d, int) or not 1 <= d < n:
        raise ValueError("private key must be an integer in [1, n-1]")
    if not isinstance(k, int) or not 1 <= k < n:
        raise ValueError("nonce must be an integer in [1, n-1]")
    R = scalar_mult(curve, k, curve.g)
    r = R[0] % n
    if r == 0:
        raise ValueError("r = 0 for this nonce")
    s = pow(k, -1, n) * (e + r * d) % n
    if s == 0:
        raise ValueError("s = 0 for this nonce")
    return r.to_bytes(curve.size, "big") + s.to_bytes(curve.size, "big")


def ecdsa_recover(digest, sig65) -> bytes | None:
    """The 33-byte compressed secp256k1 key that produced ``sig65`` = r||s||v over ``digest``, or None.

    v is the recovery id 0..3 (or 27..30, Ethereum/Bitcoin message style): bit 0 is the parity of y(R),
    bit 1 says x(R) = r + n.  SEC1 4.1.6: Q = r^-1 (s*R - e*G).
    """
    curve = SECP256K1
    sig65 = as_bytes(sig65)
    e = _digest_int(curve, digest)
    if sig65 is None or len(sig65) != 65 or e is None:
        return None
    rs = _parse_sig(curve, sig65[:64])
    if rs is None:
        return None
    r, s = rs
    v = sig65[64]
    if 27 <= v <= 30:
        v -= 27
    if v > 3:
        return None
    x = r + (v >> 1) * curve.n
    if x >= curve.p:
        return None
    R = decode_pubkey(curve, bytes([2 | (v & 1)]) + x.to_bytes(32, "big"))
    if R is None:
        return None
    n = curve.n
    rinv = pow(r, -1, n)
    Q = double_mult(curve, s * rinv % n, R, (-e * rinv) % n, curve.g)
    if Q is None:
        return None
    return encode_pubkey(curve, Q, compressed=True)


# --- SM2 (GB/T 32918.2) -------------------------------------------------------------------------------------

DEFAULT_UID = b"1234567812345678"


def sm2_za(pubkey, uid: bytes = DEFAULT_UID) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA), ENTL the bit length of ID as 2 bytes.

    Raises ValueError for a key that does not decode or an ID of 8192 bytes or more.
    """
    c = SM2
    Q = decode_pubkey(c, pubkey)
    if Q is None:
        raise ValueError("public key does not decode to a point on sm2p256v1")
    uid = bytes(uid)
    if len(uid) * 8 >= 1 << 16:
        raise ValueError("user ID too long for a 16-bit ENTL")
    parts = [c.a, c.b, c.gx, c.gy, Q[0], Q[1]]
    return sm3((len(uid) * 8).to_bytes(2, "big") + uid + b"".join(v.to_bytes(32, "big") for v in parts))


def _sm2_e(pubkey, msg: bytes, uid: bytes) -> int:
    return _to_int(sm3(sm2_za(pubkey, uid) + msg))


def sm2_verify(pubkey, msg, sig, uid: bytes = DEFAULT_UID) -> bool:
    """GB/T 32918.2 section 7 verification of r||s over ``msg`` with e = SM3(Z_A || msg).

    r, s in [1, n-1]; t = (r + s) mod n != 0; (x1, y1) = s*G + t*P_A; valid iff (e + x1) mod n == r.
    Any malformed input is False.
    """
    c = SM2
    msg = as_bytes(msg)
    Q = decode_pubkey(c, pubkey)
    rs = _parse_sig(c, sig)
    if msg is None or Q is None or rs is None:
        return False
    r, s = rs
    n = c.n
    t = (r + s) % n
    if t == 0:
        return False
    e = _sm2_e(pubkey, msg, uid)
    R = double_mult(c, s, c.g, t, Q)
    if R is None:
        return False
    return (e + R[0]) % n == r


def sm2_sign(d: int, msg: bytes, k: int, uid: bytes = DEFAULT_UID) -> bytes:
    """GB/T 32918.2 section 6 signature r||s over ``msg`` with private key d in [1, n-2] and nonce k.

    Raises ValueError on out-of-range inputs and when r = 0, r + k = n or s = 0 (pick another k).
    """
    c = SM2
    n = c.n
    if not isinstance(d, int) or not 1 <= d < n - 1:
        raise ValueError("SM2 private key must be an integer in [1, n-2]")
    if not isinstance(k, int) or not 1 <= k < n:
        raise ValueError("nonce must be an integer in [1, n-1]")
    e = _sm2_e(public_key(c, d), bytes(msg), uid)
    x1 = scalar_mult(c, k, c.g)[0]
    r = (e + x1) % n
    if r == 0 or r + k == n:
        raise ValueError("r = 0 or r + k = n for this nonce")
    s = pow(1 + d, -1, n) * (k - r * d) % n
    if s == 0:
        raise ValueError("s = 0 for this nonce")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")
