"""secp256k1 C kernel, internal layers: field, scalar, GLV split, wNAF and the group law, against Python ints.

Uses the test-only entry points ``lv_secp256k1_test_*`` (not part of the API).  Random tests print their seed;
LEDGERVAL_TEST_QUICK=1 (set by the sanitizer run) shrinks the iteration counts.
"""
from __future__ import annotations

import os
import random

import pytest

from ledgerval.native import secp256k1 as k1
from ledgerval.native import tier_mask, tiers_available

pytestmark = pytest.mark.skipif(not k1.AVAILABLE, reason="native secp256k1 kernel not built")

if k1.AVAILABLE:
    from ledgerval.native import ffi, lib

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
LAMBDA = 0x5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72
BETA = 0x7AE96A2B657C07106E64479EAC3434E99CF0497512F58995C1396C28719501EE
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8
QUICK = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
ITERS = 60 if QUICK else 1500


def _b(x: int) -> bytes:
    return x.to_bytes(32, "big")


def _i(buf, lo=0, hi=32) -> int:
    return int.from_bytes(bytes(buf)[lo:hi], "big")


# Values that stress carries and reduction: near 0, near p and n, all-ones limbs, 2^256 - 1.
EDGE = [0, 1, 2, 3, 7, P - 1, P - 2, P, P + 1, N - 1, N, N + 1, 2**256 - 1, 2**256 - 2, 2**255, 2**52 - 1,
        2**52, 2**104 - 1, 2**208, (2**256 - 1) // 3, 0x1000003D1, P - 0x1000003D1]


def _samples(seed: int, count: int):
    rnd = random.Random(seed)
    out = [(a, b) for a in EDGE for b in EDGE[:8]]
    for _ in range(count):
        kind = rnd.randrange(3)
        if kind == 0:
            out.append((rnd.randrange(2**256), rnd.randrange(2**256)))
        elif kind == 1:  # sparse or dense bit patterns
            out.append((rnd.getrandbits(256) | rnd.getrandbits(256), rnd.getrandbits(256) & rnd.getrandbits(256)))
        else:
            out.append((P - rnd.randrange(2**40), rnd.randrange(2**64)))
    return out


def _fe(op, a, b):
    out = ffi.new("uint8_t[64]")
    rc = lib.lv_secp256k1_test_fe(op, _b(a), _b(b), out)
    return rc, out


def test_field_arithmetic_matches_python_ints():
    seed = random.randrange(2**32)
    print("seed", seed)
    for a, b in _samples(seed, ITERS):
        assert _i(_fe(lib.LV_K1_FE_MUL, a, b)[1]) == a * b % P, (hex(a), hex(b))
        assert _i(_fe(lib.LV_K1_FE_SQR, a, b)[1]) == a * a % P, hex(a)
        assert _i(_fe(lib.LV_K1_FE_SUB, a, b)[1]) == (a - b) % P
        assert _i(_fe(lib.LV_K1_FE_MUL_MAG, a, b)[1]) == a * b % P, (hex(a), hex(b))


def test_adx_field_matches_python_ints():
    """The 4x64 MULX/ADX field of the split chain, on raw inputs anywhere below 2^256 (its values may be
    >= p): products whose folds carry, sums and differences that wrap once or twice."""
    if _fe(lib.LV_K1_FE4_MUL, 1, 1)[0] == -1:
        pytest.skip("this build has no 4x64 MULX/ADX field (not x86-64)")
    if not (k1.lib.lv_secp256k1_path_ok(k1.lib.LV_SECP256K1_PATH_ADX)):
        pytest.skip("this CPU has no BMI2/ADX")
    seed = random.randrange(2**32)
    print("seed", seed)
    extra = [(2**256 - 1, 2**256 - 1), (2**256 - 1, 0x1000003D1), (P, P), (P + 5, 2**256 - 1 - P),
             (0x1000003D0, 0x1000003D1), (0, 2**256 - 1), (1, 2**256 - 1), (0x1000003D0, 2**256 - 1)]
    for a, b in _samples(seed, ITERS) + extra:
        assert _i(_fe(lib.LV_K1_FE4_MUL, a, b)[1]) == a * b % P, (hex(a), hex(b))
        assert _i(_fe(lib.LV_K1_FE4_ADD, a, b)[1]) == (a + b) % P, (hex(a), hex(b))
        assert _i(_fe(lib.LV_K1_FE4_SUB, a, b)[1]) == (a - b) % P, (hex(a), hex(b))
        assert _i(_fe(lib.LV_K1_FE4_SUB, b, a)[1]) == (b - a) % P, (hex(a), hex(b))


def test_field_inverse_and_sqrt():
    seed = random.randrange(2**32)
    print("seed", seed)
    for a, b in _samples(seed, ITERS // 10):
        rc, out = _fe(lib.LV_K1_FE_INV, a, b)
        assert _i(out) == pow(a, P - 2, P)
        rc, out = _fe(lib.LV_K1_FE_SQRT, a, b)
        is_square = pow(a % P, (P - 1) // 2, P) in (0, 1)
        assert rc == int(is_square)
        if is_square:
            assert _i(out) ** 2 % P == a % P
        if a % P and b % P:
            rc, out = _fe(lib.LV_K1_FE_INV_ALL, a, b)
            assert (_i(out, 0, 32), _i(out, 32, 64)) == (pow(a, -1, P), pow(b, -1, P))


def _sc(op, a, b, size=32):
    out = ffi.new("uint8_t[64]")
    assert lib.lv_secp256k1_test_scalar(op, _b(a), _b(b), out) == 1
    return out


def test_scalar_arithmetic_matches_python_ints():
    seed = random.randrange(2**32)
    print("seed", seed)
    extremes = [(N - 1, N - 1), (N - 2, N - 1), (N - 1, 2), (2**255, 2**255), (N // 2 + 1, N // 2 + 1),
                (2**256 - 1, 2**256 - 1), (N - 2**128, N - 2**128), (2**128, 2**128)]
    for a, b in extremes + _samples(seed, ITERS):
        assert _i(_sc(lib.LV_K1_SC_MUL, a, b)) == a * b % N
        assert _i(_sc(lib.LV_K1_SC_ADD, a, b)) == (a + b) % N
        assert _i(_sc(lib.LV_K1_SC_NEG, a, b)) == (-a) % N
    for a, b in _samples(seed, ITERS // 20):
        expect = pow(a, -1, N) if a % N else 0
        assert _i(_sc(lib.LV_K1_SC_INV, a, b)) == expect


def test_glv_split_is_exact_and_short():
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    ks = [0, 1, N - 1, N // 2, N // 2 + 1, LAMBDA, N - LAMBDA, 2**128, 2**128 - 1, 2**255]
    ks += [rnd.randrange(N) for _ in range(ITERS)]
    for k in ks:
        out = _sc(lib.LV_K1_SC_SPLIT, k, 0)
        k1_, k2_ = _i(out, 0, 32), _i(out, 32, 64)
        assert (k1_ + LAMBDA * k2_ - k) % N == 0
        assert min(k1_, N - k1_) < 2**128 and min(k2_, N - k2_) < 2**128, hex(k)


@pytest.mark.parametrize("w", [2, 5, 15])
def test_wnaf_digits(w):
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    digits = ffi.new("int32_t[257]")
    for k in [0, 1, N - 1, 2**128 - 1, 2**255 + 1] + [rnd.randrange(N) for _ in range(ITERS // 10)]:
        length = lib.lv_secp256k1_test_wnaf(_b(k), w, digits)
        d = list(digits)
        assert sum(x << i for i, x in enumerate(d)) == k
        assert length == (max((i for i, x in enumerate(d) if x), default=-1) + 1)
        nz = [i for i, x in enumerate(d) if x]
        assert all(x % 2 == 1 and abs(x) < 2 ** (w - 1) for x in d if x)
        assert all(j - i >= w for i, j in zip(nz, nz[1:]))


# --- group law, against a plain affine Python implementation ---

def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        m = 3 * x1 * x1 * pow(2 * y1, -1, P) % P
    else:
        m = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (m * m - x1 - x2) % P
    return x3, (m * (x1 - x3) - y1) % P


def _mul(k, pt):
    acc = None
    for bit in bin(k % N)[2:] if k % N else "":
        acc = _add(acc, acc)
        if bit == "1":
            acc = _add(acc, pt)
    return acc


G = (GX, GY)


def _enc(pt) -> bytes:
    return b"\x04" + _b(pt[0]) + _b(pt[1])


def _dec(out, rc):
    return None if rc == 0 else (_i(out, 1, 33), _i(out, 33, 65))


def _ecmult(key: bytes, na: int, ng: int):
    out = ffi.new("uint8_t[65]")
    rc = lib.lv_secp256k1_test_ecmult(key, len(key), _b(na), _b(ng), out)
    assert rc in (0, 1)
    return _dec(out, rc)


def test_group_addition_edge_cases():
    rnd = random.Random(7)
    pts = [G, _mul(2, G), _mul(rnd.randrange(N), G)]
    for a in pts:
        na = (a[0], (-a[1]) % P)
        for mode in (0, 1):
            out = ffi.new("uint8_t[65]")
            assert _dec(out, lib.lv_secp256k1_test_add(_enc(a), _enc(a), mode, out)) == _add(a, a)  # doubling
            assert lib.lv_secp256k1_test_add(_enc(a), _enc(na), mode, out) == 0                     # a + (-a)
            for b in pts:
                assert _dec(out, lib.lv_secp256k1_test_add(_enc(a), _enc(b), mode, out)) == _add(a, b)
        out = ffi.new("uint8_t[65]")
        assert _dec(out, lib.lv_secp256k1_test_add(_enc(a), _enc(a), 2, out)) == _add(a, a)
    # lambda * (x, y) = (beta x, y)
    assert _mul(LAMBDA, G) == (BETA * GX % P, GY)
    out = ffi.new("uint8_t[65]")
    assert lib.lv_secp256k1_test_add(b"\x04" + b"\x00" * 64, _enc(G), 0, out) == -3


@pytest.mark.parametrize("tier", tiers_available())
def test_multi_scalar_multiplication_edges(tier):
    """At every tier: the 4x64 MULX/ADX chain where BMI2 and ADX are kept, else 5x52."""
    with tier_mask(tier):
        _multi_scalar_multiplication_edges()


def _multi_scalar_multiplication_edges():
    """na*A + ng*G where the result is infinity, where equal points meet, and at scalar extremes."""
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    d = rnd.randrange(1, N)
    A = _mul(d, G)
    key = _enc(A)
    cases = [(0, 0), (0, 1), (1, 0), (1, 1), (N - 1, 0), (0, N - 1), (N - 1, N - 1), (2, N - 2 * d % N)]
    u = rnd.randrange(1, N)
    cases += [(u, (-u * d) % N),              # u*A - u*d*G = infinity
              (u, u * d % N),                 # u*A + u*A: both halves meet as the same point
              ((N + 1) // 2, 0), (LAMBDA, 0), (0, LAMBDA), (2**128, 2**128 - 1)]
    cases += [(rnd.randrange(N), rnd.randrange(N)) for _ in range(ITERS // 100 + 3)]
    for na, ng in cases:
        expect = _add(_mul(na, A), _mul(ng, G))
        assert _ecmult(key, na, ng) == expect, (hex(na), hex(ng))
    # A = G: table points and base-point table points coincide
    for na, ng in [(1, 1), (3, 5), (N - 1, 1), (rnd.randrange(N), rnd.randrange(N))]:
        assert _ecmult(_enc(G), na, ng) == _add(_mul(na, G), _mul(ng, G))
    # no key: ng*G alone; compressed key form
    assert _ecmult(b"", 0, 5) == _mul(5, G)
    comp = bytes([2 | (A[1] & 1)]) + _b(A[0])
    assert _ecmult(comp, 3, 4) == _add(_mul(3, A), _mul(4, G))


@pytest.mark.parametrize("tier", tiers_available())
def test_small_multiples_exhaustive(tier):
    """At every tier: the 4x64 MULX/ADX chain where BMI2 and ADX are kept, else 5x52."""
    with tier_mask(tier):
        _small_multiples_exhaustive()


def _small_multiples_exhaustive():
    """Every na, ng in [0, 24) against A = 3G: covers each table entry, sign and doubling collision."""
    A = _mul(3, G)
    mult = [None]
    for k in range(1, 100):
        mult.append(_add(mult[-1], G))
    limit = 8 if QUICK else 24
    for na in range(limit):
        for ng in range(limit):
            assert _ecmult(_enc(A), na, ng) == mult[3 * na + ng], (na, ng)  # mult[0] is None: infinity


@pytest.mark.parametrize("tier", tiers_available())
def test_sqrt8_lanes_match_python(tier):
    """The 8-lane IFMA exponentiation, the 4x64 MULX/ADX one, or the 5x52 one (whichever the tier's path
    uses for decompression) per lane."""
    with tier_mask(tier):
        _sqrt8_lanes_match_python()


def _sqrt8_lanes_match_python():
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    out = ffi.new("uint8_t[256]")
    pool = [0, 1, 4, 7, P - 1, P - 2, 2**256 - 1, 2**255, 2**52 - 1, 2**208 + 2**52]
    for _ in range(ITERS // 20 + 4):
        xs = [rnd.choice(pool) if rnd.random() < 0.3 else rnd.randrange(P) for _ in range(8)]
        lib.lv_secp256k1_test_sqrt8(b"".join(_b(x) for x in xs), out)
        for i, x in enumerate(xs):
            assert _i(out, 32 * i, 32 * i + 32) == pow(x % P, (P + 1) // 4, P), hex(x)


def _ecmult8(cases):
    """cases: up to 8 (A, na, ng); returns (points, redone) from the 8-lane path, or None without IFMA."""
    cases = list(cases) + [cases[0]] * (8 - len(cases))
    out = ffi.new("uint8_t[520]")
    redone = ffi.new("int *")
    rc = lib.lv_secp256k1_test_ecmult8(b"".join(_enc(a) for a, _, _ in cases),
                                       b"".join(_b(na) for _, na, _ in cases),
                                       b"".join(_b(ng) for _, _, ng in cases), out, redone)
    if rc == -1:
        return None
    assert rc == 1
    pts = []
    for i in range(8):
        row = bytes(out[65 * i : 65 * i + 65])
        pts.append(None if row[0] == 0 else (_i(row, 1, 33), _i(row, 33, 65)))
    return pts, redone[0]


def test_vector_multi_scalar_path_and_its_fallback():
    """The IFMA lanes against Python, including sums that meet the doubling/inverse case (redone on the
    scalar path) and results at infinity."""
    if _ecmult8([(G, 1, 1)]) is None:
        pytest.skip("no AVX-512 IFMA on this CPU")
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    d = rnd.randrange(1, N)
    A = _mul(d, G)
    u = rnd.randrange(1, N)
    cases = [(G, 1, 1), (G, 2, N - 2), (A, u, (-u * d) % N), (A, u, u * d % N), (A, 0, 5), (A, 5, 0),
             (A, N - 1, N - 1), (A, LAMBDA, 2**128), (G, 3, 5), (A, 1, 0), (A, 2**128 - 1, 2**255)]
    cases += [(A, rnd.randrange(N), rnd.randrange(N)) for _ in range(8 if QUICK else 40)]
    total_redone = 0
    for k in range(0, len(cases), 8):
        chunk = cases[k : k + 8]
        pts, redone = _ecmult8(chunk)
        total_redone += redone
        for (a, na, ng), got in zip(chunk, pts):
            assert got == _add(_mul(na, a), _mul(ng, G)), (hex(na), hex(ng))
    assert total_redone >= 3  # the exceptional lanes above did go through the fallback
    # every small combination with A = 3G: each table entry, sign, and the collisions between them
    A3 = _mul(3, G)
    mult = [None]
    for _ in range(1, 100):
        mult.append(_add(mult[-1], G))
    combos = [(na, ng) for na in range(8 if QUICK else 20) for ng in range(8 if QUICK else 20)]
    for k in range(0, len(combos), 8):
        chunk = [(A3, na, ng) for na, ng in combos[k : k + 8]]
        pts, _ = _ecmult8(chunk)
        for (_, na, ng), got in zip(chunk, pts):
            assert got == mult[3 * na + ng], (na, ng)


def _ecmult_split(key: bytes, na: int, ng: int):
    out = ffi.new("uint8_t[65]")
    split = ffi.new("int *")
    rc = lib.lv_secp256k1_test_ecmult_split(key, len(key), _b(na), _b(ng), out, split)
    assert rc in (0, 1) and split[0] == 1   # the GLV halves always fit the short chain
    return _dec(out, rc)


@pytest.mark.parametrize("tier", tiers_available())
def test_split_table_chain_matches_python(tier):
    """The 16-doubling chain over a key's split table (cached keys on the scalar path, on the 4x64 MULX/ADX
    field at tiers with BMI2 and ADX, on 5x52 at the portable tier): edge scalars whose wNAF digits land on
    chunk boundaries, the carry position, infinity and meeting points, and random ones."""
    with tier_mask(tier):
        _split_chain_cases()


def _split_chain_cases():
    seed = random.randrange(2**32)
    print("seed", seed)
    rnd = random.Random(seed)
    A = _mul(rnd.randrange(1, N), G)
    key = _enc(A)
    cases = [(0, 0), (0, 1), (1, 0), (1, 1), (N - 1, N - 1), (2**32 - 1, 2**32), (2**96 + 2**64 + 2**32 + 1, 0),
             (0, 2**224 + 2**192 + 2**160 + 2**128 + 2**96 + 2**64 + 2**32 + 1), (0, 2**256 - 1 - N),
             (2**128 - 1, 2**256 - 2**32 - 1), (LAMBDA, N - 1), ((N + 1) // 2, (N - 1) // 2)]
    cases += [(0, (2**k - 1) % N) for k in range(14, 260, 16)] + [((2**k - 1) % N, 0) for k in range(14, 260, 16)]
    cases += [(0, 2**k % N) for k in range(16, 257, 16)] + [(2**k % N, 2**k % N) for k in range(15, 130, 16)]
    u = rnd.randrange(1, N)
    for dd in range(1, 3):   # A = dd G: u A - u dd G is infinity; u A + u dd G doubles
        A2 = _mul(dd, G)
        for na, ng in [(u, (-u * dd) % N), (u, u * dd % N)]:
            assert _ecmult_split(_enc(A2), na, ng) == _add(_mul(na, A2), _mul(ng, G)), (dd, na, ng)
    cases += [(rnd.randrange(N), rnd.randrange(N)) for _ in range(ITERS // 50 + 4)]
    for na, ng in cases:
        assert _ecmult_split(key, na, ng) == _add(_mul(na, A), _mul(ng, G)), (hex(na), hex(ng))
    comp = bytes([2 | (A[1] & 1)]) + _b(A[0])
    assert _ecmult_split(comp, 5, 6) == _add(_mul(5, A), _mul(6, G))
    for na in range(8 if QUICK else 24):   # every small multiple: each table entry and sign
        assert _ecmult_split(_enc(_mul(3, G)), na, na + 1) == _mul(3 * na + na + 1, G)
