"""The ADX path's 4x64 MULX/ADCX/ADOX field mod 2^255 - 19 (native/src/ed25519_field_adx_impl.h) against Python
integers.  Its elements are any value below 2^256 (weakly reduced: p + small and 2p + small = 2^256 - 38 +
small included), so inputs range over all 256 bits, with values near 0, p, 2p, 2^255 and 2^256 - 1."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerval.native import ed25519 as E
from ledgerval.native import path_ok

pytestmark = [pytest.mark.skipif(not E.AVAILABLE, reason="native ed25519 kernels not built"),
              pytest.mark.skipif(E.AVAILABLE and not path_ok("ed25519", "adx"),
                                 reason="this CPU (or LEDGERVAL_CPU_FEATURES) has no BMI2/ADX")]

P = 2**255 - 19
QUICK = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
EXAMPLES = 60 if QUICK else 600

# Values where a carry, a fold by 38 or the final reduction changes course.
EDGES = sorted({v % 2**256 for c in (0, P, 2 * P, 2**255, 2**256, 2**64, 2**128, 2**192)
                for v in (c - 39, c - 38, c - 20, c - 19, c - 2, c - 1, c, c + 1, c + 18, c + 19, c + 38)
                if 0 <= v < 2**256} | {0x7FFFFFFF, 2**32 - 1, 1})

elements = st.one_of(st.sampled_from(EDGES), st.integers(0, 2**256 - 1),
                     st.builds(lambda e, d: (e + d) % 2**256, st.sampled_from(EDGES), st.integers(-2**70, 2**70)))

OPS = {
    0: lambda a, b: a * b,
    1: lambda a, b: a * a,
    2: lambda a, b: a + b,
    3: lambda a, b: a - b,
    4: lambda a, b: a * (b % 2**32),
    5: lambda a, b: pow(a, P - 2, P),
    6: lambda a, b: pow(a, (P - 5) // 8, P),
    7: lambda a, b: a,
    8: lambda a, b: (a + b) * (a - b),
}


def b32(x: int) -> bytes:
    return x.to_bytes(32, "little")


def _run(op: int, a: int, b: int) -> int:
    rc, out = E._test_fe64(op, b32(a), b32(b))
    assert rc == 1
    return int.from_bytes(out, "little")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elements, elements)
def test_fe64_ops_match_python_ints(a, b):
    for op, f in OPS.items():
        assert _run(op, a, b) == f(a, b) % P, (op, hex(a), hex(b))


TIGHT = 2**255 + 2**20


@settings(max_examples=EXAMPLES, deadline=None)
@given(elements, elements)
def test_fe64_products_are_tight_and_lazy_sums_correct(a, b):
    """Products and squares come out below 2^255 + 1463 (the reduction's bound), which the lazy sum and
    difference (one fold of 38) require of their second operand."""
    for op, want in ((12, a * b), (13, a * a)):
        raw = _run(op, a, b)
        assert raw < 2**255 + 1463 and raw % P == want % P, (op, hex(a), hex(b))
    t = _run(12, b, 1)                       # b as a product: tight
    assert _run(10, a, t) == (a + b) % P
    assert _run(11, a, t) == (a - b) % P


def test_fe64_lazy_sums_at_their_bounds():
    for a in EDGES:
        for t in (0, 1, 37, 38, 39, P - 1, P, 2**255 - 1, 2**255, TIGHT - 1):
            assert _run(10, a, t) == (a + t) % P, (hex(a), hex(t))
            assert _run(11, a, t) == (a - t) % P, (hex(a), hex(t))
    with pytest.raises(ValueError):
        E._test_fe64(10, b32(1), b32(TIGHT))      # outside the lazy sum's precondition: refused


@settings(max_examples=EXAMPLES // 4, deadline=None)
@given(elements, elements)
def test_fe64_batch_inversion(a, b):
    if a % P == 0 or b % P == 0:
        return
    want = (pow(a, P - 2, P) + pow(b, P - 2, P) + pow(a * b, P - 2, P)) % P
    assert _run(9, a, b) == want


def test_fe64_edges_exhaustively():
    for a in EDGES:
        for b in EDGES:
            for op in (0, 1, 2, 3, 4, 8):
                assert _run(op, a, b) == OPS[op](a, b) % P, (op, hex(a), hex(b))
    assert _run(5, 0, 0) == 0


def test_fe64_conversion_round_trip():
    """4x64 -> 5x51 is exact for every value below 2^256 (the top 5x51 limb takes 52 bits)."""
    for a in EDGES:
        assert _run(7, a, 0) == a % P, hex(a)


def test_fe64_bad_op_is_misuse():
    with pytest.raises(ValueError):
        E._test_fe64(14, bytes(32))
