"""Field, scalar and group layers of the a = -3 curves (P-256 and SM2, native/src/wei3_*) against Python
integers and the reference curve code, through the test-only C entry points."""
from __future__ import annotations

import os
import random

import pytest

from ledgerval.native import cpu_features, cpu_mask, ffi, has, lib
from ledgerval.reference import ecc

pytestmark = pytest.mark.skipif(not (has("lv_p256_test_field") and has("lv_sm2_test_field")),
                                reason="native P-256/SM2 kernels not built")

SEED = int(os.environ.get("LV_TEST_SEED", "256"))
ITER = 30 if os.environ.get("LEDGERVAL_TEST_QUICK") == "1" else 400
CURVES = {"p256": ecc.P256, "sm2": ecc.SM2}


# Every layer test runs on each field path: "fast" (MULX/ADX assembly where the CPU has it) and
# "portable" (all features masked off, the C path every machine gets).
PATHS = ["fast", "portable"]


@pytest.fixture(params=PATHS)
def path(request):
    if request.param == "fast":
        feats = cpu_features()
        if not (feats["BMI2"] and feats["ADX"]):
            pytest.skip("no BMI2/ADX: the fast field path is not taken on this CPU")
        yield "fast"
    else:
        with cpu_mask(0):
            yield "portable"


def _fn(curve: str, what: str):
    return getattr(lib, f"lv_{curve}_test_{what}")


def _edges(m: int) -> list[int]:
    return [0, 1, 2, 3, m - 1, m - 2, (m - 1) // 2, (m + 1) // 2, 2**64 - 1, 2**64, 2**128 - 1, 2**192,
            2**224 - 1, 2**255, m - 2**64, m - 2**224, m - 2**32, m - 2**96, m - 2**128, 2**256 - m,
            m - (2**256 - m), 2**256 - 1 - (2**256 - m) * 2, (1 << 256) // 3 % m]


FE_OPS = {0: lambda a, b, p: a * b % p, 1: lambda a, b, p: a * a % p, 2: lambda a, b, p: (a + b) % p,
          3: lambda a, b, p: (a - b) % p, 4: lambda a, b, p: -a % p, 5: lambda a, b, p: pow(a, p - 2, p),
          7: lambda a, b, p: a * pow(2, -1, p) % p}


@pytest.mark.parametrize("curve", CURVES)
def test_field_ops_against_python_ints(curve, path):
    rnd = random.Random(SEED)
    print("seed", SEED)
    p = CURVES[curve].p
    f = _fn(curve, "field")
    out = ffi.new("uint8_t[32]")
    vals = _edges(p) + [rnd.randrange(p) for _ in range(ITER)]
    for i, a in enumerate(vals):
        b = rnd.choice(vals)
        for op, ref in FE_OPS.items():
            assert f(op, a.to_bytes(32, "big"), b.to_bytes(32, "big"), out) == 1
            assert int.from_bytes(bytes(out), "big") == ref(a, b, p), (op, hex(a), hex(b))


@pytest.mark.parametrize("curve", CURVES)
def test_field_sqrt_and_range(curve, path):
    rnd = random.Random(SEED + 1)
    p = CURVES[curve].p
    f = _fn(curve, "field")
    out = ffi.new("uint8_t[32]")
    for a in [0, 1, 4, p - 1] + [rnd.randrange(p) for _ in range(ITER // 4)]:
        rc = f(6, a.to_bytes(32, "big"), bytes(32), out)
        residue = a == 0 or pow(a, (p - 1) // 2, p) == 1
        assert rc == int(residue)
        if rc:
            r = int.from_bytes(bytes(out), "big")
            assert r * r % p == a
    # inputs >= p are misuse for the test entry (the kernels reject such coordinates)
    for bad in (p, p + 1, 2**256 - 1):
        assert f(0, bad.to_bytes(32, "big"), bytes(32), out) == lib.LV_EMISUSE


SC_OPS = {0: lambda a, b, n: a * b % n, 1: lambda a, b, n: (a + b) % n, 2: lambda a, b, n: (a - b) % n,
          4: lambda a, b, n: a % n}


@pytest.mark.parametrize("curve", CURVES)
def test_scalar_ops_against_python_ints(curve, path):
    rnd = random.Random(SEED + 2)
    n = CURVES[curve].n
    f = _fn(curve, "scalar")
    out = ffi.new("uint8_t[64]")
    vals = _edges(n) + [n, n + 1, 2**256 - 1] + [rnd.randrange(2**256) for _ in range(ITER)]
    for a in vals:
        b = rnd.choice(vals)
        ab, bb = a.to_bytes(32, "big"), b.to_bytes(32, "big")
        for op, ref in SC_OPS.items():
            assert f(op, ab, bb, out) == 1
            assert int.from_bytes(bytes(out)[:32], "big") == ref(a % n, b % n, n), (op, hex(a), hex(b))
        if a % n:
            assert f(3, ab, bb, out) == 1
            assert int.from_bytes(bytes(out)[:32], "big") == pow(a, -1, n)
        if a % n and b % n:
            assert f(5, ab, bb, out) == 1   # Montgomery's trick as the verifier batches it
            assert int.from_bytes(bytes(out)[:32], "big") == pow(a, -1, n)
            assert int.from_bytes(bytes(out)[32:], "big") == pow(b, -1, n)


@pytest.mark.parametrize("what", ["ecmult", "ecmult_tab"])
@pytest.mark.parametrize("curve", CURVES)
def test_ecmult_against_reference(curve, path, what):
    """Plain Strauss path and the key-table path (split scalars, per-key and static split tables)."""
    rnd = random.Random(SEED + 3)
    C = CURVES[curve]
    n = C.n
    f = _fn(curve, what)
    out = ffi.new("uint8_t[65]")
    cases = [(1, 1, 0), (0, 1, 1), (n - 1, 1, 1), (2, 1, 0), (n - 1, n - 1, 1)]
    # chunk boundaries of the split path: all-ones chunks (top wNAF digit carries out), single bits
    cases += [(2**64 - 1, 3, 2**128 - 1), (2**192, 5, 2**64), ((2**256 - 1) % n, 7, (2**255) % n),
              (2**63, 9, 2**191 + 2**127 + 2**63), (n - 2**64, 11, n - 1)]
    # the same at 16-bit chunks (the key-table path's split): every chunk's top bit, alternate chunks all ones
    cases += [(sum(2**(16 * j + 15) for j in range(16)) % n, 13, sum((2**16 - 1) << (32 * j) for j in range(8))),
              (((2**16 - 1) << 240) % n, 15, 2**16 + 2**32 + 2**240)]
    cases += [(rnd.randrange(n), rnd.randrange(1, n), rnd.randrange(n)) for _ in range(max(4, ITER // 20))]
    for u1, d, u2 in cases:
        Q = ecc.scalar_mult(C, d, C.g)
        key = ecc.encode_pubkey(C, Q, compressed=rnd.random() < 0.5)
        rc = f(u1.to_bytes(32, "big"), key, len(key), u2.to_bytes(32, "big"), out)
        exp = ecc.double_mult(C, u1, C.g, u2, Q)
        if exp is None:
            assert rc == 0
        else:
            assert rc == 1 and bytes(out) == ecc.encode_pubkey(C, exp, compressed=False)
    # u1*G + u2*Q = infinity and the doubling case inside the additions (Q = G, Q = -G)
    for d, u1, u2 in ((1, 5, n - 5), (n - 1, 7, 7), (1, 3, 3), (1, 2**64, n - 2**64), (2**64, 1, 1),
                      (n - 1, 2**128 + 1, 2**128 + 1)):
        Q = ecc.scalar_mult(C, d, C.g)
        key = ecc.encode_pubkey(C, Q, compressed=False)
        rc = f(u1.to_bytes(32, "big"), key, 65, u2.to_bytes(32, "big"), out)
        exp = ecc.double_mult(C, u1, C.g, u2, Q)
        assert rc == (0 if exp is None else 1)
        if exp is not None:
            assert bytes(out) == ecc.encode_pubkey(C, exp, compressed=False)


@pytest.mark.parametrize("curve", CURVES)
def test_field_edge_pairs(curve, path):
    """Every pair of edge values through mul/sqr/add/sub: the carry and conditional-subtraction corners
    (results just below, at and just above p before the final subtraction)."""
    p = CURVES[curve].p
    f = _fn(curve, "field")
    out = ffi.new("uint8_t[32]")
    vals = sorted({v % p for v in _edges(p)})
    for a in vals:
        for b in vals:
            for op in (0, 1, 2, 3, 7):
                assert f(op, a.to_bytes(32, "big"), b.to_bytes(32, "big"), out) == 1
                assert int.from_bytes(bytes(out), "big") == FE_OPS[op](a, b, p), (op, hex(a), hex(b))
