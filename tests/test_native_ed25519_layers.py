"""Ed25519 native layers against Python integers and hashlib: field mod 2^255-19, scalars mod L, SHA-512."""
from __future__ import annotations

import hashlib
import os
import random

import numpy as np
import pytest

from ledgerval.native import ed25519 as E

pytestmark = pytest.mark.skipif(not E.AVAILABLE, reason="native ed25519 kernels not built")

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
SEED = int(os.environ.get("LV_TEST_SEED", "25519"))
# Sanitizer runs (tests/test_native_sanitizers.py) ask for fewer random iterations.
QUICK = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
ITER = 40 if QUICK else 600


def b32(x: int) -> bytes:
    return x.to_bytes(32, "little")


def i32(b: bytes) -> int:
    return int.from_bytes(b, "little")


# Values that stress carries and the final reduction: around 0, p, 2^255 and limb boundaries.
FE_EDGES = [0, 1, 2, 18, 19, 20, P - 2, P - 1, P, P + 1, P + 18, 2**255 - 1, 2**51 - 1, 2**51, 2**102 - 1,
            2**204 + 2**153 - 1, (P - 1) // 2, (P + 1) // 2]

FE_OPS = {
    0: lambda a, b: a * b,
    1: lambda a, b: a * a,
    2: lambda a, b: a + b,
    3: lambda a, b: a - b,
    4: lambda a, b: -a,
    5: lambda a, b: pow(a, P - 2, P),
    6: lambda a, b: pow(a, (P - 5) // 8, P),
    8: lambda a, b: a,
    9: lambda a, b: (2 * (a + b)) ** 3,       # limbs near 2^53 into mul/sq without a carry pass
    10: lambda a, b: pow(a, P - 2, P) + pow(b, P - 2, P) + pow(a * b, P - 2, P),  # Montgomery's trick
}


def _fe_pairs(rng):
    for a in FE_EDGES:
        for b in FE_EDGES:
            yield a, b
    for _ in range(ITER):
        yield rng.getrandbits(255), rng.getrandbits(255)


def test_field_ops_match_python_ints():
    print("seed", SEED)
    rng = random.Random(SEED)
    for a, b in _fe_pairs(rng):
        for op, f in FE_OPS.items():
            if op == 10 and (a % P == 0 or b % P == 0):
                continue
            rc, out = E._test_fe(op, b32(a), b32(b))
            assert rc == 1
            assert i32(out) == f(a, b) % P, (op, hex(a), hex(b))


def test_field_sqrt_ratio():
    rng = random.Random(SEED + 1)
    seen = {0: 0, 1: 0}
    for _ in range(ITER):
        u, v = rng.randrange(P), rng.randrange(1, P)
        rc, out = E._test_fe(7, b32(u), b32(v))
        x = i32(out)
        q = u * pow(v, P - 2, P) % P
        is_square = q == 0 or pow(q, (P - 1) // 2, P) == 1
        assert rc == int(is_square)
        seen[rc] += 1
        if rc:
            assert (v * x * x - u) % P == 0
    rc, out = E._test_fe(7, b32(0), b32(5))
    assert rc == 1 and i32(out) == 0
    assert seen[0] and seen[1]


def test_field_canonical_encoding_of_edges():
    for a in FE_EDGES:
        assert i32(E._test_fe(8, b32(a))[1]) == a % P


SC_EDGES = [0, 1, L - 1, L, L + 1, 2 * L, 2**252, 2**253 - 1, 2**256 - 1]


def test_scalar_ops_match_python_ints():
    rng = random.Random(SEED + 2)
    wide = [0, 1, L, L * L, (L - 1) ** 2, 2**512 - 1, 2**511, L << 256] + [rng.getrandbits(512) for _ in range(ITER)]
    for x in wide:
        assert i32(E._test_sc(0, x.to_bytes(64, "little"))[1]) == x % L
    pairs = [(a, b) for a in SC_EDGES for b in SC_EDGES]
    pairs += [(rng.getrandbits(256), rng.getrandbits(256)) for _ in range(ITER)]
    for a, b in pairs:
        assert i32(E._test_sc(1, b32(a), b32(b))[1]) == a * b % L
        assert i32(E._test_sc(2, b32(a), b32(b))[1]) == (a + b) % L
        assert i32(E._test_sc(3, b32(a))[1]) == (-a) % L
        assert E._test_sc(4, b32(a))[0] == int(a < L)


def test_sha512_lengths_0_to_300():
    rng = random.Random(SEED + 3)
    msgs = [bytes(rng.getrandbits(8) for _ in range(n)) for n in range(301)]
    buf = np.frombuffer(b"".join(msgs), dtype=np.uint8)
    offs = np.zeros(len(msgs) + 1, dtype=np.int64)
    np.cumsum([len(m) for m in msgs], out=offs[1:])
    out = E.sha512(buf, offs)
    for i, m in enumerate(msgs):
        assert bytes(out[i]) == hashlib.sha512(m).digest(), len(m)


def test_sha512_empty_buffer_and_bad_offsets():
    out = E.sha512(np.zeros(0, dtype=np.uint8), np.zeros(2, dtype=np.int64))
    assert bytes(out[0]) == hashlib.sha512(b"").digest()
    with pytest.raises(ValueError):
        E.sha512(np.zeros(4, dtype=np.uint8), np.array([0, 5], dtype=np.int64))
    with pytest.raises(ValueError):
        E.sha512(np.zeros(4, dtype=np.uint8), np.array([3, 1], dtype=np.int64))
    with pytest.raises(ValueError):
        E.sha512(np.zeros(4, dtype=np.uint8), np.array([-1, 1], dtype=np.int64))


def test_batch_challenges_match_hashlib_on_every_path():
    """The batch verifier hashes R || A || M four lanes at once on the AVX2 and ADX paths when four items pad to
    the same number of blocks: lengths around every block boundary, equal and mixed within a group of four."""
    from test_native_ed25519 import path_mask, tiers_by_path

    rng = random.Random(SEED + 4)
    lens = [m for b in range(5) for m in (128 * b - 82, 128 * b - 81, 128 * b - 80, 128 * b - 64) if m >= 0]
    lens = [m for m in lens for _ in range(4)] + [rng.randrange(0, 520) for _ in range(37)]
    n = len(lens)
    keys = np.frombuffer(rng.randbytes(32 * n), np.uint8).reshape(n, 32)
    sigs = np.frombuffer(rng.randbytes(64 * n), np.uint8).reshape(n, 64)
    offs = np.zeros(n + 1, np.int64)
    np.cumsum(lens, out=offs[1:])
    buf = np.frombuffer(rng.randbytes(int(offs[-1])), np.uint8)
    want = [int.from_bytes(hashlib.sha512(bytes(sigs[i, :32]) + bytes(keys[i]) + bytes(buf[offs[i]:offs[i + 1]]))
                           .digest(), "little") % L for i in range(n)]
    for name in tiers_by_path():
        with path_mask(name):
            for lo in range(0, n, 200):
                hi = min(n, lo + 200)
                got = E._test_challenges(keys[lo:hi].copy(), buf, offs[lo:hi + 1], sigs[lo:hi].copy())
                assert got == want[lo:hi], name
