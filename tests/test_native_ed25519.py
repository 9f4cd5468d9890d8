"""Native Ed25519: published vectors, independent implementations, torsion cases, batch == single, threads.

Policy under test (native/ed25519.py): S < L, canonical A and R that decode per RFC 8032 5.1.3, then the
cofactored equation.  Seeds are printed; set LV_TEST_SEED to replay.
"""
from __future__ import annotations

import hashlib
import json
import os
import random

import numpy as np
import pytest
from conftest import vector_file

from ledgerval.native import best_path, cpu_mask, features_mask, tier_mask, tiers_available
from ledgerval.native import ed25519 as E

pytestmark = pytest.mark.skipif(not E.AVAILABLE, reason="native ed25519 kernels not built")

SEED = int(os.environ.get("LV_TEST_SEED", "8032"))
# Sanitizer runs (tests/test_native_sanitizers.py) ask for fewer random iterations.
SANITIZE = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
ITER = 12 if SANITIZE else 120

# ---- a small independent model of the curve (affine, Python ints) used to build test points ------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
O = (0, 1)


def m_add(p1, p2):
    (x1, y1), (x2, y2) = p1, p2
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P)


def m_mul(k, pt):
    acc = O
    for i in range(k.bit_length() - 1, -1, -1):
        acc = m_add(acc, acc)
        if (k >> i) & 1:
            acc = m_add(acc, pt)
    return acc


def m_enc(pt) -> bytes:
    return (pt[1] | ((pt[0] & 1) << 255)).to_bytes(32, "little")


def m_dec(b: bytes):
    n = int.from_bytes(b, "little")
    y, sign = n & (2**255 - 1), n >> 255
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P or (x == 0 and sign):
        return None
    return (P - x, y) if (x & 1) != sign else (x, y)


BASE = m_dec((4 * pow(5, -1, P) % P).to_bytes(32, "little"))


def _torsion8():
    """A point of order 8: [L]Q for a point Q whose order has a factor 8."""
    for y in range(2, 200):
        q = m_dec(y.to_bytes(32, "little"))
        if q is None:
            continue
        t = m_mul(L, q)
        if m_mul(4, t) != O:
            return t
    raise AssertionError("no point of order 8 found")


T8 = _torsion8()
TORSION = [m_mul(i, T8) for i in range(8)]


def h_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def model_sign(seed: bytes, msg: bytes, r_extra=O, a_extra=O):
    """RFC 8032 signing with a torsion point added to R and/or A (the signer knows a and r)."""
    h = hashlib.sha512(seed).digest()
    a = (int.from_bytes(h[:32], "little") & (2**254 - 8)) | 2**254
    A = m_add(m_mul(a, BASE), a_extra)
    r = h_int(h[32:], msg) % L
    R = m_add(m_mul(r, BASE), r_extra)
    k = h_int(m_enc(R), m_enc(A), msg) % L
    return m_enc(A), m_enc(R) + ((r + k * a) % L).to_bytes(32, "little")


def model_verify(pk: bytes, msg: bytes, sig: bytes) -> bool:
    """The policy, written out on the model (slow; used on the hand-built torsion cases)."""
    s = int.from_bytes(sig[32:], "little")
    A, R = m_dec(pk), m_dec(sig[:32])
    if s >= L or A is None or R is None:
        return False
    k = h_int(sig[:32], pk, msg) % L
    lhs = m_mul(8 * s, BASE)
    rhs = m_mul(8, m_add(R, m_mul(k, A)))
    return lhs == rhs


# No tier keeps AVX2 without BMI2 and ADX (Intel Haswell has exactly that): this mask reaches the AVX2 path
# with the 5x51 field, which the tiers of an ADX machine no longer choose.
AVX2_NOADX = "avx2-no-adx"


def path_mask(name: str):
    """``tier_mask(name)``, or for AVX2_NOADX a mask keeping SSE4.1, AVX2 and SHA."""
    return cpu_mask(features_mask(("SSE41", "AVX2", "SHA"))) if name == AVX2_NOADX else tier_mask(name)


def tiers_by_path() -> list[str]:
    """The top tier (or AVX2_NOADX) of each distinct Ed25519 path this machine has: IFMA8, ADX, AVX2 and
    portable here (avx512 and avx2 share the ADX path)."""
    out, seen = [], set()
    for tier in tiers_available() + [AVX2_NOADX]:
        with path_mask(tier):
            path = best_path("ed25519")
        if path not in seen:
            seen.add(path)
            out.append(tier)
    return out


@pytest.fixture(params=tiers_by_path())
def cpu_path(request):
    """Run a test on every Ed25519 path this machine has (IFMA8, ADX, AVX2 and portable here)."""
    with path_mask(request.param):
        yield request.param


# ---- helpers -----------------------------------------------------------------------------------------

def pack(msgs):
    buf = np.frombuffer(b"".join(msgs), dtype=np.uint8)
    offs = np.zeros(len(msgs) + 1, dtype=np.int64)
    np.cumsum([len(m) for m in msgs], out=offs[1:])
    return buf, offs


def rows(items, width):
    return np.frombuffer(b"".join(items), dtype=np.uint8).reshape(len(items), width).copy()


def run(keys, msgs, sigs, method, threads=1, batch_size=E.BATCH_SIZE):
    buf, offs = pack(msgs)
    return E.verify(rows(keys, 32), buf, offs, rows(sigs, 64), threads=threads, method=method,
                    batch_size=batch_size)


def all_methods(keys, msgs, sigs):
    """Verdicts of single verification, after checking batch verification (several sizes) agrees."""
    single = run(keys, msgs, sigs, "single")
    for bs in (1, 3, 64):
        assert np.array_equal(run(keys, msgs, sigs, "batch", batch_size=bs), single), bs
    return single


def random_case(rng):
    seed = rng.randbytes(32)
    msg = rng.randbytes(rng.choice([0, 1, 32, 63, 64, 111, 112, 127, 128, 200]))
    return seed, msg


def corrupt(rng, pk, msg, sig):
    what = rng.randrange(4)
    if what == 0:
        s = bytearray(sig); s[rng.randrange(64)] ^= 1 << rng.randrange(8); return pk, msg, bytes(s)
    if what == 1:
        k = bytearray(pk); k[rng.randrange(32)] ^= 1 << rng.randrange(8); return bytes(k), msg, sig
    if what == 2:
        return pk, msg + b"x", sig
    s = int.from_bytes(sig[32:], "little") + L           # malleated S, same point equation
    return pk, msg, sig[:32] + (s % 2**256).to_bytes(32, "little")


# ---- RFC 8032 section 7.1, tests 1-3 ------------------------------------------------------------------

RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


def test_rfc8032_vectors(cpu_path):
    seeds = [bytes.fromhex(v[0]) for v in RFC8032]
    pks = [bytes.fromhex(v[1]) for v in RFC8032]
    msgs = [bytes.fromhex(v[2]) for v in RFC8032]
    sigs = [bytes.fromhex(v[3]) for v in RFC8032]
    assert [bytes(r) for r in E.pubkeys(rows(seeds, 32))] == pks
    buf, offs = pack(msgs)
    assert [bytes(r) for r in E.sign(rows(seeds, 32), buf, offs)] == sigs
    assert all_methods(pks, msgs, sigs).all()
    bad = [s[:5] + bytes([s[5] ^ 4]) + s[6:] for s in sigs]
    assert not all_methods(pks, msgs, bad).any()


# ---- Wycheproof ---------------------------------------------------------------------------------------

def wycheproof():
    path = vector_file("wycheproof", "ed25519_test.json")
    data = json.loads(path.read_text())
    out = []
    for g in data["testGroups"]:
        pk = bytes.fromhex(g["publicKey"]["pk"])
        for t in g["tests"]:
            if t["result"] == "acceptable":
                continue
            out.append((t["tcId"], pk, bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"]), t["result"] == "valid"))
    return out


def test_wycheproof_single_and_batch(cpu_path):
    vs = wycheproof()
    fixed = [v for v in vs if len(v[1]) == 32 and len(v[3]) == 64]
    got = all_methods([v[1] for v in fixed], [v[2] for v in fixed], [v[3] for v in fixed])
    wrong = [v[0] for v, g in zip(fixed, got) if g != v[4]]
    assert not wrong, f"tcIds with the wrong verdict: {wrong}"
    assert len(fixed) > 100 and any(v[4] for v in fixed) and not all(v[4] for v in fixed)


def test_wycheproof_through_verify_batch_all_lengths():
    import ledgerval

    vs = wycheproof()
    for backend in ("native", "auto"):
        got = ledgerval.verify_batch("ed25519", [v[1] for v in vs], [v[2] for v in vs], [v[3] for v in vs],
                                     backend=backend, threads=2)
        assert [v[0] for v, g in zip(vs, got) if g != v[4]] == []


def test_wycheproof_mixed_batches_find_failing_indices(cpu_path):
    rng = random.Random(SEED)
    print("seed", SEED)
    vs = [v for v in wycheproof() if len(v[3]) == 64]
    for rep in range(3 if SANITIZE else 10):
        pick = [rng.choice(vs) for _ in range(rng.choice([5, 64, 130, 200]))]
        expect = np.array([v[4] for v in pick])
        for bs in (8, 64, 256):
            got = run([v[1] for v in pick], [v[2] for v in pick], [v[3] for v in pick], "batch", threads=2,
                      batch_size=bs)
            assert np.array_equal(np.nonzero(~got)[0], np.nonzero(~expect)[0]), (rep, bs)


def test_wycheproof_reference_agrees():
    ref = pytest.importorskip("ledgerval.reference.ed25519")
    for tc, pk, msg, sig, valid in wycheproof():
        assert ref.verify(pk, msg, sig) == valid, tc


# ---- independent implementations ---------------------------------------------------------------------

def _cases(seed_offset):
    rng = random.Random(SEED + seed_offset)
    print("seed", SEED + seed_offset)
    seeds, msgs = zip(*[random_case(rng) for _ in range(ITER)])
    buf, offs = pack(msgs)
    pks = [bytes(r) for r in E.pubkeys(rows(seeds, 32))]
    sigs = [bytes(r) for r in E.sign(rows(seeds, 32), buf, offs)]
    keys, ms, ss = list(pks), list(msgs), list(sigs)
    for pk, m, s in zip(pks, msgs, sigs):
        k2, m2, s2 = corrupt(rng, pk, m, s)
        keys.append(k2); ms.append(m2); ss.append(s2)
    return seeds, pks, sigs, keys, ms, ss


def test_against_pynacl(cpu_path):
    signing = pytest.importorskip("nacl.signing")
    exceptions = pytest.importorskip("nacl.exceptions")
    seeds, pks, sigs, keys, ms, ss = _cases(1)
    for seed, pk, s, m in zip(seeds, pks, sigs, ms):
        sk = signing.SigningKey(seed)
        assert bytes(sk.verify_key) == pk
        assert sk.sign(m).signature == s
    ours = all_methods(keys, ms, ss)
    for k, m, s, v in zip(keys, ms, ss, ours):
        try:
            signing.VerifyKey(k).verify(m, s)
            theirs = True
        except (exceptions.BadSignatureError, ValueError, TypeError):
            theirs = False
        assert v == theirs, (k.hex(), m.hex(), s.hex())
    assert ours[:ITER].all() and not ours[ITER:].all()


@pytest.mark.skipif(SANITIZE and os.environ.get("PYCRYPTODOME_DISABLE_DEEPBIND") != "1",
                    reason="pycryptodome dlopens with RTLD_DEEPBIND, which the ASan runtime refuses")
def test_against_pycryptodome(cpu_path):
    eddsa = pytest.importorskip("Crypto.Signature.eddsa")
    ECC = pytest.importorskip("Crypto.PublicKey.ECC")
    seeds, pks, sigs, keys, ms, ss = _cases(2)
    for seed, pk, s, m in zip(seeds, pks, sigs, ms):
        key = ECC.construct(curve="Ed25519", seed=seed)
        assert eddsa.new(key, "rfc8032").sign(m) == s
    ours = all_methods(keys, ms, ss)
    for k, m, s, v in zip(keys, ms, ss, ours):
        try:
            eddsa.new(eddsa.import_public_key(k), "rfc8032").verify(m, s)
            theirs = True
        except ValueError:
            theirs = False
        assert v == theirs, (k.hex(), m.hex(), s.hex())


def test_against_reference(cpu_path):
    ref = pytest.importorskip("ledgerval.reference.ed25519")
    seeds, pks, sigs, keys, ms, ss = _cases(3)
    n = min(ITER, 25)                      # the pure-Python reference is slow
    for seed, pk, s, m in list(zip(seeds, pks, sigs, ms))[:n]:
        assert ref.public_key(seed) == pk and ref.sign(seed, m) == s
    ours = all_methods(keys, ms, ss)
    for i in list(range(n)) + list(range(ITER, ITER + n)):
        assert ours[i] == ref.verify(keys[i], ms[i], ss[i]), i


# ---- threads, misuse, fuzz ----------------------------------------------------------------------------

def test_thread_count_independence(cpu_path):
    seeds, pks, sigs, keys, ms, ss = _cases(7)
    ref = run(keys, ms, ss, "single", threads=1)
    for method in ("auto", "batch", "single"):
        for threads in (1, 2, 3, 8):
            for bs in (16, 64):
                assert np.array_equal(run(keys, ms, ss, method, threads=threads, batch_size=bs), ref)
    rand = np.zeros((len(keys), 16), dtype=np.uint8)   # multipliers all 1 still give exact verdicts
    buf, offs = pack(ms)
    assert np.array_equal(E.verify(rows(keys, 32), buf, offs, rows(ss, 64), method="batch", rand=rand), ref)


def test_dense_failures_switch_to_single_and_back(cpu_path):
    """Runs of bad signatures (where the batch path falls back to item-by-item checks) between clean runs."""
    rng = random.Random(SEED + 9)
    seeds, pks, sigs, keys, ms, ss = _cases(9)
    n = len(pks)
    good = list(zip(pks, [m for m in ms[:n]], sigs))
    bad = list(zip(keys[n:], ms[n:], ss[n:]))
    items, want = [], []
    for run_len, dens in ((40, 0.9), (40, 0.0), (30, 0.5), (50, 0.02), (20, 1.0), (40, 0.0)):
        for _ in range(run_len):
            if rng.random() < dens:
                items.append(rng.choice(bad)); want.append(None)
            else:
                items.append(rng.choice(good)); want.append(True)
    k, m, s = zip(*items)
    single = run(k, m, s, "single")
    assert all(single[i] for i, w in enumerate(want) if w)
    for bs in (8, 16, 128):
        assert np.array_equal(run(k, m, s, "batch", batch_size=bs, threads=2), single), bs


def test_misuse_raises_and_empty_batches():
    k, s = np.zeros((2, 32), np.uint8), np.zeros((2, 64), np.uint8)
    s[:, 32] = 1          # A = R = (sqrt(-1), 0) of order 4; with S = 0 this would verify (cofactored)
    buf, offs = np.zeros(4, np.uint8), np.array([0, 2, 4], np.int64)
    assert E.verify(k, buf, offs, s).tolist() == [False, False]
    assert E.verify(k[:0], buf, offs[:1], s[:0]).shape == (0,)
    with pytest.raises(TypeError):
        E.verify(k.astype(np.int16), buf, offs, s)
    with pytest.raises(TypeError):
        E.verify(k, buf, offs.astype(np.int32), s)
    with pytest.raises(ValueError):
        E.verify(k, buf, offs, s[:1])
    with pytest.raises(ValueError):
        E.verify(k, buf, offs[:2], s)
    with pytest.raises(ValueError):
        E.verify(np.zeros((2, 31), np.uint8), buf, offs, s)
    for method in ("single", "batch"):
        with pytest.raises(ValueError):
            E.verify(k, buf, np.array([0, 3, 5], np.int64), s, method=method)
        with pytest.raises(ValueError):
            E.verify(k, buf, np.array([0, 3, 2], np.int64), s, method=method)
    with pytest.raises(ValueError):
        E.verify(k, buf, offs, s, method="fast")
    with pytest.raises(ValueError):
        E.verify(k, buf, offs, s, batch_size=0)
    with pytest.raises(ValueError):
        E.sign(np.zeros((1, 32), np.uint8), buf, np.array([0, 9], np.int64))


def test_fuzz_random_bytes_single_equals_batch():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    good_pk, good_msg, good_sig = model_sign(b"\x07" * 32, b"fuzz")[0], b"fuzz", model_sign(b"\x07" * 32, b"fuzz")[1]

    @hypothesis.settings(max_examples=15 if SANITIZE else 120, deadline=None, derandomize=True)
    @hypothesis.given(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.binary(max_size=80),
                                         st.binary(min_size=64, max_size=64), st.integers(0, 3)),
                               min_size=1, max_size=12))
    def check(items):
        keys, msgs, sigs = [], [], []
        for pk, msg, sig, mode in items:
            if mode == 1:                       # a valid signature with random bytes spliced in
                pk, msg, sig = good_pk, good_msg, sig[:32] + good_sig[32:] if sig[0] & 1 else good_sig[:32] + sig[32:]
            elif mode == 2:
                pk, msg, sig = good_pk, good_msg, good_sig
            keys.append(pk); msgs.append(msg); sigs.append(sig)
        single = run(keys, msgs, sigs, "single")
        assert np.array_equal(run(keys, msgs, sigs, "batch", batch_size=5), single)
        for (pk, msg, sig, mode), v in zip(items, single):
            if mode == 2:
                assert v

    check()


def _decode_many(encs):
    n = len(encs)
    ok, out = E.ffi.new("uint8_t[]", max(n, 1)), E.ffi.new("uint8_t[]", 32 * max(n, 1))
    assert E.lib.lv_ed25519_test_decode_many(b"".join(encs) or b"\0", n, ok, out) == 0
    return [(ok[i], bytes(out[32 * i:32 * i + 32])) for i in range(n)]


def test_batched_decoding_matches_model_on_both_paths():
    rng = random.Random(SEED + 8)
    encs = [m_enc(t) for t in TORSION]
    encs += [m_enc(m_add(m_mul(rng.randrange(L), BASE), TORSION[rng.randrange(8)])) for _ in range(8)]
    encs += [(y | (sg << 255)).to_bytes(32, "little") for y in (0, 1, 2, 3, P - 1, P, P + 1, 2**255 - 1) for sg in (0, 1)]
    encs += [rng.randbytes(32) for _ in range(200 if not SANITIZE else 40)]
    want = []
    for e in encs:
        pt = m_dec(e)
        want.append((1, m_enc(pt)) if pt else (0, bytes(32)))
    paths = set()
    for tier in tiers_available() + [AVX2_NOADX]:
        got = []
        with path_mask(tier):
            paths.add(best_path("ed25519"))
            for i in range(0, len(encs), 61):          # 61: full groups of eight or four and a scalar tail
                got += _decode_many(encs[i:i + 61])
        assert got == want, tier
    assert any(w[0] for w in want) and not all(w[0] for w in want)
    if paths != {"ifma8", "adx", "avx2", "portable"}:
        pytest.skip(f"this CPU exercised only the decoders of {sorted(paths)}")
